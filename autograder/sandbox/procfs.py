"""Reading the process table from /proc: parents, owners, start times, states and CPU time.

Plain functions of pids (and uids, folders) for the sandbox's cleanup and the speed check's
timing. Nothing here starts, signals or changes a process; a process that vanishes while it is
read is simply left out. It imports nothing from autograder.

Where there is no /proc (macOS), every reader answers as for a process that is gone (no
processes, no CPU time) instead of raising, and `available()` says so, for callers whose answer
would otherwise be wrong rather than empty (the speed check's timing). `cpu_count()` is the
number of CPUs this process may use, on any system.
"""

from __future__ import annotations

import os
from pathlib import Path

# Where the process table is read; a test points it elsewhere to play a system without /proc.
PROC = Path("/proc")


def available() -> bool:
    """Whether this system has a readable /proc (Linux does; macOS has none)."""
    try:
        return (PROC / str(os.getpid()) / "stat").is_file()
    except OSError:
        return False


def cpu_count() -> int:
    """The CPUs this process may run on: its affinity mask where the system has one (Linux),
    else every CPU (os.sched_getaffinity does not exist on macOS)."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        try:
            return max(1, len(affinity(0)))
        except OSError:
            pass
    return max(1, os.cpu_count() or 1)


def _pids() -> list[int]:
    """Every pid /proc lists, none where it cannot be read."""
    try:
        return [int(entry) for entry in os.listdir(PROC) if entry.isdigit()]
    except OSError:
        return []


def stat_fields(pid: int | None) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None."""
    if pid is None:
        return None
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ')'.
    return stat.rpartition(")")[2].split()


def live(pid: int) -> bool:
    """Whether `pid` is a live process and not a zombie (which runs nothing, waiting to be
    reaped)."""
    return (stat_fields(pid) or ["Z"])[0] != "Z"


def process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, real uid) of every live process, read from /proc (zombies, which
    run nothing and wait for their new parent to reap them, left out)."""
    table = {}
    for pid in _pids():
        fields = stat_fields(pid)
        try:
            uid = os.stat(PROC / str(pid)).st_uid
        except OSError:
            continue
        if fields and fields[0] != "Z":
            table[pid] = (int(fields[1]), uid)
    return table


def children(pid: int) -> list[int] | None:
    """The children of every thread of `pid` (from /proc/PID/task/*/children: a few reads, not
    the whole table), zombies included; None where those files are missing or closed to us."""
    try:
        tasks = os.listdir(PROC / str(pid) / "task")
    except OSError:
        return []  # gone
    found = []
    for task in tasks:
        try:
            found.extend(int(child) for child in
                          (PROC / str(pid) / "task" / task / "children").read_text().split())
        except PermissionError:
            return None
        except FileNotFoundError:
            if (PROC / str(pid) / "task" / task).is_dir():
                return None  # the kernel has no children files (CONFIG_PROC_CHILDREN unset)
        except OSError:
            continue  # the thread ended meanwhile
    return found


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (children before grandchildren)."""
    found, frontier = [], [pid]
    while frontier:
        below = [children(each) for each in frontier]
        if any(kids is None for kids in below):
            return _descendants_from_table(pid)
        frontier = [kid for kids in below for kid in kids
                    if live(kid)]
        found.extend(frontier)
    return found


def _descendants_from_table(pid: int) -> list[int]:
    parents = {child: parent for child, (parent, _) in process_table().items()}
    found, frontier = [], {pid}
    while frontier:
        kids = [child for child, parent in parents.items() if parent in frontier]
        found.extend(kids)
        frontier = set(kids)
    return found


def processes_in(folder: Path) -> list[int]:
    """Processes that run from `folder` or name it on their command line (orphans included)."""
    folder = str(folder)
    found = []
    for pid in _pids():
        if pid != os.getpid():
            try:
                command = (PROC / str(pid) / "cmdline").read_bytes()
                cwd = os.readlink(PROC / str(pid) / "cwd")
            except OSError:
                continue
            if os.fsencode(folder + "/") in command or (cwd + "/").startswith(folder + "/"):
                found.append(pid)
    return found


def processes_of(uid: int) -> list[int]:
    """Every live process whose real uid is `uid` (the owner of /proc/PID is read first: only
    that uid's processes are read further)."""
    found = []
    try:
        entries = list(os.scandir(PROC))
    except OSError:
        return []
    for entry in entries:
        if entry.name.isdigit():
            try:
                owner = entry.stat().st_uid
            except OSError:
                continue
            if owner == uid and live(int(entry.name)):
                found.append(int(entry.name))
    return found


def command_name(pid: int) -> str:
    """The command name of `pid` (/proc/PID/comm), or "" if it is gone."""
    try:
        return (PROC / str(pid) / "comm").read_text().strip()
    except OSError:
        return ""


def start_ticks(pid: int) -> int | None:
    """When `pid` started, in clock ticks since boot (None if it is gone)."""
    fields = stat_fields(pid)
    return int(fields[19]) if fields else None


def zombie_children(parent: int | None) -> list[int]:
    """Children of `parent` that have exited but were not waited for."""
    found = []
    for pid in _pids():
        fields = stat_fields(pid)
        if fields and fields[0] == "Z" and int(fields[1]) == parent:
            found.append(pid)
    return found


def cpu_ns(pid: int) -> int:
    """Total on-CPU time of every thread of `pid`, in ns (from /proc/PID/task/*/schedstat)."""
    total = 0
    try:
        tasks = list((PROC / str(pid) / "task").iterdir())
    except OSError:
        return 0
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            continue
    return total


def thread_count(pid: int) -> int:
    """How many threads `pid` has (0 if it is gone, or there is no /proc)."""
    try:
        return len(os.listdir(PROC / str(pid) / "task"))
    except OSError:
        return 0


def owner_and_limits(pid: int) -> tuple[int, str] | None:
    """The real uid of `pid` and the text of /proc/PID/limits, or None if unreadable."""
    try:
        return os.stat(PROC / str(pid)).st_uid, (PROC / str(pid) / "limits").read_text()
    except OSError:
        return None
