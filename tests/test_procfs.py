"""Reading the process table from /proc (autograder/sandbox/procfs.py), on processes started here."""

from __future__ import annotations

import os
import subprocess
import sys
import time

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
