"""Reading the process table from /proc: parents, owners, start times, states and CPU time.

Plain functions of pids (and uids, folders) for the sandbox's cleanup and the speed check's
timing. Nothing here starts, signals or changes a process; a process that vanishes while it is
read is simply left out. It imports nothing from autograder.
"""

from __future__ import annotations

import os
from pathlib import Path


def stat_fields(pid: int | None) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ')'.
    return stat.rpartition(")")[2].split()


def process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, real uid) of every live process, read from /proc (zombies, which
    run nothing and wait for their new parent to reap them, left out)."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = stat_fields(int(entry))
            try:
                uid = os.stat(Path("/proc", entry)).st_uid
            except OSError:
                continue
            if fields and fields[0] != "Z":
                table[int(entry)] = (int(fields[1]), uid)
    return table


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (children before grandchildren)."""
    parents = {child: parent for child, (parent, _) in process_table().items()}
    found, frontier = [], {pid}
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found.extend(children)
        frontier = set(children)
    return found


def processes_in(folder: Path) -> list[int]:
    """Processes that run from `folder` or name it on their command line (orphans included)."""
    folder = str(folder)
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                command = Path("/proc", entry, "cmdline").read_bytes()
                cwd = os.readlink(f"/proc/{entry}/cwd")
            except OSError:
                continue
            if os.fsencode(folder + "/") in command or (cwd + "/").startswith(folder + "/"):
                found.append(int(entry))
    return found


def processes_of(uid: int) -> list[int]:
    """Every live process whose real uid is `uid`."""
    return [pid for pid, (_, owner) in process_table().items() if owner == uid]


def command_name(pid: int) -> str:
    """The command name of `pid` (/proc/PID/comm), or "" if it is gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def start_ticks(pid: int) -> int | None:
    """When `pid` started, in clock ticks since boot (None if it is gone)."""
    fields = stat_fields(pid)
    return int(fields[19]) if fields else None


def zombie_children(parent: int | None) -> list[int]:
    """Children of `parent` that have exited but were not waited for."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = stat_fields(int(entry))
            if fields and fields[0] == "Z" and int(fields[1]) == parent:
                found.append(int(entry))
    return found


def cpu_ns(pid: int) -> int:
    """Total on-CPU time of every thread of `pid`, in ns (from /proc/PID/task/*/schedstat)."""
    total = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return 0
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            continue
    return total
