"""Reading the process table from /proc (autograder/sandbox/procfs.py), on processes started here."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from autograder.sandbox import procfs

SLEEPER = "import os, sys, time\nif os.fork() == 0:\n    time.sleep(60)\n    os._exit(0)\n" \
          "print('ready', flush=True)\ntime.sleep(60)\n"


def test_descendants_owner_start_and_name_of_a_process_tree(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", SLEEPER], cwd=tmp_path,
                              stdout=subprocess.PIPE)
    try:
        assert parent.stdout.readline() == b"ready\n"
        children = procfs.descendants(parent.pid)
        assert len(children) == 1
        # The quick reading (children files) and the whole table agree.
        assert procfs._descendants_from_table(parent.pid) == children
        assert procfs.children(parent.pid) == children
        assert set(procfs.processes_in(tmp_path)) == {parent.pid, children[0]}
        assert parent.pid in procfs.processes_of(os.getuid())
        assert procfs.process_table()[children[0]] == (parent.pid, os.getuid())
        assert procfs.start_ticks(parent.pid) <= procfs.start_ticks(children[0])
        assert procfs.command_name(parent.pid).startswith("python")
        assert procfs.stat_fields(parent.pid)[0] in "RS"
    finally:
        for pid in procfs.descendants(parent.pid):
            os.kill(pid, 9)
        parent.kill()
        parent.wait()


def test_a_gone_process_reads_as_nothing():
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True)
    pid = int(done.stdout)
    assert procfs.stat_fields(pid) is None and procfs.stat_fields(None) is None
    assert procfs.start_ticks(pid) is None
    assert procfs.command_name(pid) == ""
    assert procfs.cpu_ns(pid) == 0
    assert procfs.descendants(pid) == []


def test_a_zombie_is_seen_and_its_cpu_was_counted():
    child = subprocess.Popen([sys.executable, "-c", "sum(range(10**6))"])
    deadline = time.monotonic() + 10
    while child.pid not in procfs.zombie_children(os.getpid()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert child.pid in procfs.zombie_children(os.getpid())
    assert child.pid not in procfs.process_table()  # zombies are left out of the table
    child.wait()
    assert procfs.cpu_ns(os.getpid()) > 0


def test_without_proc_every_reader_answers_as_for_no_process(like_macos):
    """macOS has no /proc: nothing raises, and available() says nothing can be measured."""
    me = os.getpid()
    assert not procfs.available()
    assert procfs.process_table() == {} and procfs.descendants(me) == []
    assert procfs.processes_in(Path.cwd()) == [] and procfs.processes_of(os.getuid()) == []
    assert procfs.zombie_children(me) == [] and procfs.start_ticks(me) is None
    assert procfs.cpu_ns(me) == 0 and procfs.thread_count(me) == 0
    assert procfs.command_name(me) == "" and procfs.owner_and_limits(me) is None


def test_with_proc_it_is_available_and_counts_threads():
    assert procfs.available()
    assert procfs.thread_count(os.getpid()) >= 1
    uid, limits = procfs.owner_and_limits(os.getpid())
    assert uid == os.getuid() and "Max processes" in limits


def test_cpu_count_is_the_affinity_where_there_is_one():
    assert procfs.cpu_count() == len(os.sched_getaffinity(0))


def test_cpu_count_without_affinity_is_every_cpu(like_macos):
    assert not hasattr(os, "sched_getaffinity")
    assert procfs.cpu_count() == (os.cpu_count() or 1)


def test_without_children_files_descendants_come_from_the_table(monkeypatch):
    """A kernel without /proc/PID/task/*/children: the same answer, from the whole table."""
    parent = subprocess.Popen([sys.executable, "-c", SLEEPER], stdout=subprocess.PIPE)
    try:
        assert parent.stdout.readline() == b"ready\n"
        quick = procfs.descendants(parent.pid)
        monkeypatch.setattr(procfs, "children", lambda pid: None)
        assert procfs.descendants(parent.pid) == quick and len(quick) == 1
    finally:
        for pid in procfs._descendants_from_table(parent.pid):
            os.kill(pid, 9)
        parent.kill()
        parent.wait()
