"""Forensics of the adversarial batches: what the world looked like before, what is left after.

Used by tests/test_attacks.py (the `full` level) and tests/test_attacks_fallback.py
(BN_SANDBOX=off). Before a batch: the submissions' and the canary's file hashes, the listings of
/tmp, /var/tmp, /dev/shm and /, the free disk space (`take_before`). After it, once
(`look_after`): processes left running (named like an attack, mentioning the suite's folders, or
of a sandbox uid), files an attack left (owned by a sandbox uid, or carrying one of its marks),
files in OUT the batch does not write, changed submissions or canary, what reached the
listeners, the disk space lost. `World` holds the graded batch and what was found, and reads its
gradebook and records.
"""

from __future__ import annotations

import csv
import hashlib
import io
import ipaddress
import json
import os
import random
import shutil
import socket
import stat
import string
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from attack_recipes import Intel
from autograder import paths
from autograder.course import batch, gradebook
from autograder.sandbox.command import UID_BASE
from autograder.checks import QUESTIONS

FULL = {name: question.points for name, question in QUESTIONS.items()}
TOTAL = sum(FULL.values())
SANDBOX_UID_BASE = UID_BASE  # workers of the levels full and uid run as uids from here up
NOBODY = 65534
WATCHED = ("/tmp", "/var/tmp", "/dev/shm")


# Marks, addresses and listeners the attacks are told of ----------------------------------------

def random_word(length: int = 10) -> str:
    """Letters only: the judge elides long digit runs in student messages, never letters."""
    return "".join(random.choices(string.ascii_lowercase, k=length))


def local_addresses() -> tuple[str, ...]:
    """The machine's own addresses (IPv4 from /proc/net/fib_trie, IPv6 but link-local)."""
    found = set()
    try:
        lines = Path("/proc/net/fib_trie").read_text().splitlines()
        for before, line in zip(lines, lines[1:]):
            if "/32 host LOCAL" in line:
                found.add(before.split()[-1])
    except OSError:
        pass
    try:
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            raw = line.split()[0]
            if not raw.startswith("fe80"):
                found.add(str(ipaddress.IPv6Address(int(raw, 16))))
    except OSError:
        pass
    return tuple(sorted(found))


class Listeners:
    """TCP and UDP on every address (IPv4 and IPv6), a unix socket and an abstract one."""

    def __init__(self, unix_path: Path, abstract: str):
        self.sockets: dict[str, socket.socket] = {}
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("0.0.0.0", 0))
        self.tcp_port = tcp.getsockname()[1]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("0.0.0.0", 0))
        self.udp_port = udp.getsockname()[1]
        self.sockets.update(tcp=tcp, udp=udp)
        for kind, port in ((socket.SOCK_STREAM, self.tcp_port), (socket.SOCK_DGRAM, self.udp_port)):
            try:
                six = socket.socket(socket.AF_INET6, kind)
                six.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                six.bind(("::", port))
                self.sockets["tcp6" if kind == socket.SOCK_STREAM else "udp6"] = six
            except OSError:
                pass
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.bind(str(unix_path))
        os.chmod(unix_path, 0o777)
        hidden = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        hidden.bind("\0" + abstract)
        self.sockets.update(unix=unix, abstract=hidden)
        for name, sock in self.sockets.items():
            if sock.type == socket.SOCK_STREAM:
                sock.listen(64)
            sock.setblocking(False)

    def received(self) -> list[str]:
        """What reached any listener (a connection waiting in a queue, or a datagram)."""
        got = []
        for name, sock in self.sockets.items():
            try:
                if sock.type == socket.SOCK_STREAM:
                    connection, peer = sock.accept()
                    connection.close()
                    got.append(f"{name}: a connection from {peer!r}")
                else:
                    data, peer = sock.recvfrom(65536)
                    got.append(f"{name}: a datagram from {peer!r}: {data[:60]!r}")
            except BlockingIOError:
                pass
        return got

    def close(self) -> None:
        for sock in self.sockets.values():
            sock.close()


# Files and processes --------------------------------------------------------------------------

def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file below `folder` (symbolic links by their target), by relative path."""
    hashes = {}
    for directory, folders, files in os.walk(folder):
        for name in files + [f for f in folders if Path(directory, f).is_symlink()]:
            path = Path(directory, name)
            key = path.relative_to(folder).as_posix()
            if path.is_symlink():
                hashes[key] = "link:" + os.readlink(path)
            elif path.is_file():
                hashes[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:  # a socket, a fifo: its kind and mode
                hashes[key] = f"special:{path.lstat().st_mode:o}"
    return hashes


def listing(folder: str) -> set[str]:
    try:
        return set(os.listdir(folder))
    except OSError:
        return set()


def is_sandbox_uid(uid: int) -> bool:
    return uid == NOBODY or (SANDBOX_UID_BASE is not None and uid >= SANDBOX_UID_BASE)


def read_proc(pid: str, name: str) -> bytes:
    return Path("/proc", pid, name).read_bytes()


def proc_mentions(pid: str, text: str) -> bool:
    """Whether process `pid` names `text` on its command line, in its environment or its cwd."""
    needle = text.encode()
    for name in ("cmdline", "environ"):
        try:
            if needle in read_proc(pid, name):
                return True
        except OSError:
            pass
    try:
        return os.readlink(f"/proc/{pid}/cwd").startswith(text)
    except OSError:
        return False


def stray_processes(roots: list[str], token: str) -> list[str]:
    """Processes an attack or the batch left: named like an attack, mentioning the suite's
    folders, or running as a sandbox uid whose grading process is gone or is this suite's."""
    me = str(os.getpid())
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        try:
            comm = read_proc(pid, "comm").decode(errors="replace").strip()
            uid = os.stat(f"/proc/{pid}").st_uid
            command = read_proc(pid, "cmdline").replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        why = ""
        if (comm.startswith("bnatk") and comm.endswith(token[:6])) or (
                "bnatk" in command and token[:6] in command):
            why = "an attack's process"
        elif any(proc_mentions(pid, root) for root in roots):
            why = "mentions the suite's folders"
        elif is_sandbox_uid(uid):
            owner = (uid - SANDBOX_UID_BASE) >> 4 if SANDBOX_UID_BASE and uid >= SANDBOX_UID_BASE \
                else None
            if owner is None or not Path(f"/proc/{owner}").exists() or any(
                    proc_mentions(str(owner), root) for root in roots):
                why = f"runs as sandbox uid {uid} and its grading process is gone or ours"
        if why:
            found.append(f"pid {pid} ({comm}, uid {uid}): {why}: {command[:160]}")
    return found


def wait_for_no_strays(roots: list[str], token: str, grace: float = 10.0) -> list[str]:
    deadline = time.monotonic() + grace
    strays = stray_processes(roots, token)
    while strays and time.monotonic() < deadline:
        time.sleep(0.2)
        strays = stray_processes(roots, token)
    return strays


def marked_files(tops, marks: list[str], skip: list[str], since: float) -> list[str]:
    """Files and folders below `tops` that an attack made: owned by a sandbox uid, named with a
    mark, or (new or changed since `since`, small) containing a mark."""
    needles = [mark.encode() for mark in marks]
    found = []
    for top in tops:
        for directory, folders, files in os.walk(top):
            folders[:] = [f for f in folders if str(Path(directory, f)) not in skip
                          and f not in (".git", ".venv", "node_modules")]
            for name in folders + files:
                path = Path(directory, name)
                try:
                    info = path.lstat()
                except OSError:
                    continue
                why = ""
                if is_sandbox_uid(info.st_uid):
                    why = f"owned by sandbox uid {info.st_uid}"
                elif any(mark in name for mark in marks):
                    why = "named with an attack's mark"
                elif (stat.S_ISREG(info.st_mode) and info.st_mtime >= since
                      and info.st_size < 2**20):
                    try:
                        data = path.read_bytes()
                    except OSError:
                        data = b""
                    if any(needle in data for needle in needles):
                        why = "holds an attack's mark"
                if why:
                    found.append(f"{path}: {why}")
    return found


def out_files(out: Path) -> set[str]:
    return {path.relative_to(out).as_posix() for path in out.rglob("*")}


def expected_out_files(names: list[str], out: Path) -> set[str]:
    """What grade_folder writes: the gradebook, its lock, and per submission its record and
    feedback (and grader-error.log where the grader itself crashed)."""
    files = {gradebook.GRADEBOOK, gradebook.LOCK}
    for name in names:
        files |= {name, f"{name}/{gradebook.RECORD}", f"{name}/{gradebook.FEEDBACK}"}
        if (out / name / gradebook.GRADER_LOG).exists():
            files.add(f"{name}/{gradebook.GRADER_LOG}")
    return files


# The canary: a folder that only the sandbox's private view protects ---------------------------

def tamper_canary(folder: Path) -> None:
    """A world-writable folder of world-writable files: only the mount namespace protects it."""
    folder.chmod(0o777)
    (folder / "cs231n").mkdir(mode=0o777)
    contents = {"victim.txt": "the attacks must not change this\n",
                "delete-me.txt": "the attacks must not delete this\n",
                "results.json": json.dumps({"score": 0}) + "\n",
                "grades.csv": "submission,total\ncanary,0\n",
                "cs231n/layers.py": "# a canary package\n"}
    for name, text in contents.items():
        (folder / name).write_text(text)
        (folder / name).chmod(0o666)
    (folder / "cs231n").chmod(0o777)


def open_up(folder: Path) -> None:
    """World-writable, so that only the sandbox's private view protects it (not permissions)."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)


# Before and after a batch ---------------------------------------------------------------------

@dataclass
class Before:
    submissions: dict[str, str]
    canary: dict[str, str]
    watched: dict[str, set[str]]
    top: set[str]
    free: int
    started: float


@dataclass
class World:
    """A graded batch and everything the tests check about it."""

    intel: Intel
    submissions: Path
    out: Path
    canary: Path
    result: batch.BatchResult
    before: Before
    seconds: float
    strays: list[str] = field(default_factory=list)
    files_left: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    free_after: int = 0
    problems: list[str] = field(default_factory=list)  # (c), computed once after the batch

    # Reading the gradebook and the records

    def rows(self) -> dict[str, dict]:
        text = (self.out / gradebook.GRADEBOOK).read_text(encoding="utf-8")
        return {row["submission"]: row for row in csv.DictReader(io.StringIO(text))}

    def row(self, name: str) -> dict:
        rows = self.rows()
        assert name in rows, f"no gradebook row for {name!r}; rows: {sorted(rows)}"
        return rows[name]

    def record(self, name: str) -> dict:
        return json.loads((self.out / name / gradebook.RECORD).read_text(encoding="utf-8"))

    def feedback(self, name: str) -> str:
        return (self.out / name / gradebook.FEEDBACK).read_text(encoding="utf-8")

    def student_texts(self, name: str) -> str:
        """What the student sees: feedback.md and results.json."""
        return self.feedback(name) + "\n" + (self.out / name / gradebook.RECORD).read_text(
            encoding="utf-8")

    def scores(self, name: str) -> dict[str, float]:
        """Per question, from grades.csv, checked against results.json."""
        row = self.row(name)
        scores = {q: float(row[q]) for q in QUESTIONS}
        record = self.record(name)
        from_record = {test["name"]: float(test["score"]) for test in record["tests"]}
        assert from_record == pytest.approx(scores, abs=1e-3), (
            f"{name}: results.json's scores {from_record} differ from grades.csv's {scores}")
        assert float(record["score"]) == pytest.approx(float(row["total"]), abs=1e-3), name
        return scores


def take_before(submissions: Path, canary: Path | None) -> Before:
    return Before(file_hashes(submissions), file_hashes(canary) if canary else {},
                  {folder: listing(folder) for folder in WATCHED}, listing("/"),
                  shutil.disk_usage("/").free, time.time())


def look_after(world: World, roots: list[str], marks: list[str], skip: list[str],
               expected_out: set[str] | None, listeners: Listeners | None) -> None:
    """Everything (c) checks, once: processes, files, OUT, submissions, canary, sockets, disk."""
    intel, before = world.intel, world.before
    world.strays = wait_for_no_strays(roots, intel.token)
    world.files_left = marked_files([*WATCHED, str(paths.ROOT)], marks, skip, before.started - 1)
    world.received = listeners.received() if listeners else []
    world.free_after = shutil.disk_usage("/").free
    problems = []
    if world.strays:
        problems.append("processes left running: " + "; ".join(world.strays))
    if world.files_left:
        problems.append("files left by attacks: " + "; ".join(world.files_left[:20]))
    if world.received:
        problems.append("the listeners were reached: " + "; ".join(world.received))
    after = file_hashes(world.submissions)
    changed = sorted(name for name in set(after) | set(before.submissions)
                     if after.get(name) != before.submissions.get(name))
    if changed:
        problems.append(f"submission files changed, added or removed: {changed[:20]}")
    if before.canary:
        canary = file_hashes(world.canary)
        changed = sorted(name for name in set(canary) | set(before.canary)
                         if canary.get(name) != before.canary.get(name))
        if changed:
            problems.append(f"the canary folder changed: {changed}")
    if listing("/") != before.top:
        problems.append(f"/ changed: added {sorted(listing('/') - before.top)}, removed "
                        f"{sorted(before.top - listing('/'))}")
    if expected_out is not None:
        extra = out_files(world.out) - expected_out
        if extra:
            problems.append(f"OUT holds files the batch does not write: {sorted(extra)[:20]}")
    if before.free - world.free_after > 2**30:
        problems.append(f"the disk lost {(before.free - world.free_after) / 2**30:.1f} GiB")
    world.problems = problems
