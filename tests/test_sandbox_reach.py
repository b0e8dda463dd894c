"""The uid level's own defences: what a worker's uid can reach is checked, closed or refused, and
the workers' network is blocked where iptables works."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.sandbox import levels, reach
from autograder.sandbox.command import worker_uid
from uid_reach import uid_level_refused

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the uid level needs root")


@pytest.fixture
def python_reached(monkeypatch):
    """secure('uid') first checks that a worker uid can run the Python at all. In a private
    checkout it cannot (uid_level_refused checks the refusal says so); the permission checks
    that follow are then tested as if it could."""
    if uid_level_refused():
        monkeypatch.setattr(levels, "_probe", lambda level: None)


@pytest.fixture
def world_readable():
    """A folder every user may enter (in /tmp: pytest's own folders are closed), holding a
    'reference' every user may read."""
    top = Path(tempfile.mkdtemp(prefix="bn-reach-", dir="/tmp"))
    top.chmod(0o755)
    folder = top / "reference"
    (folder / "cs231n").mkdir(parents=True)
    (folder / "cs231n" / "layers.py").write_text("SOLUTION = 1\n")
    for path in (folder, folder / "cs231n"):
        path.chmod(0o755)
    yield folder
    shutil.rmtree(top)


def test_a_worker_uid_reaches_what_every_user_may_read(world_readable):
    closed = world_readable.parent / "closed"
    closed.mkdir(mode=0o700)
    absent = world_readable.parent / "absent"
    assert reach.reachable([world_readable, closed, absent]) == [world_readable]


def test_a_folder_it_can_pass_through_counts_though_it_cannot_list_it(world_readable):
    """0711: no listing, but cs231n/layers.py is a name anyone can guess."""
    world_readable.chmod(0o711)
    (world_readable / "cs231n").chmod(0o711)
    uid = worker_uid()
    guessed = subprocess.run(
        ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--", sys.executable,
         "-I", "-S", "-c", f"print(open({str(world_readable / 'cs231n' / 'layers.py')!r}).read())"],
        capture_output=True, text=True)
    assert "SOLUTION" in guessed.stdout
    assert reach.reachable([world_readable]) == [world_readable]


def test_secure_closes_what_the_grader_owns(world_readable, python_reached):
    notes = sandbox.secure("uid", [world_readable])
    assert any(str(world_readable) in note and "closed" in note for note in notes), notes
    assert world_readable.stat().st_mode & 0o007 == 0
    assert reach.reachable([world_readable]) == []


def test_secure_refuses_what_it_cannot_close_and_says_how(world_readable, python_reached):
    os.chown(world_readable, 12345, 12345)
    with pytest.raises(sandbox.SandboxError, match=r"chmod o-rwx") as refused:
        sandbox.secure("uid", [world_readable])
    assert str(world_readable) in str(refused.value)


def test_other_levels_need_nothing_of_it(world_readable):
    assert sandbox.secure("full", [world_readable]) == []
    assert world_readable.stat().st_mode & 0o005 == 0o005  # left as it was


@pytest.mark.skipif(shutil.which("iptables") is None, reason="iptables not installed "
                    "(make sandbox-tools installs it)")
def test_the_workers_network_is_blocked():
    note = reach.block_network()
    if note.startswith("network NOT blocked: "):  # the machine does not allow it: said, and why
        pytest.skip(note)
    assert note.startswith("network blocked"), note
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    code = ("import socket\ntry:\n    socket.create_connection(('127.0.0.1', %d), timeout=5)\n"
            "    print('connected')\nexcept OSError as error:\n    print(type(error).__name__)"
            % port)
    uid = worker_uid()
    done = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--",
                           sys.executable, "-I", "-S", "-c", code],
                          capture_output=True, text=True, timeout=30)
    listener.close()
    assert done.stdout.strip() == "ConnectionRefusedError", done.stdout + done.stderr
    assert reach.block_network() == note  # idempotent: the rule is not added twice
    rules = subprocess.run(["iptables", "-S", "OUTPUT"], capture_output=True, text=True).stdout
    assert rules.count(f"--uid-owner {reach.UID_BASE}-{reach.UID_LAST}") == 1


def test_no_isolation_is_refused_unless_asked_for(world_readable):
    with pytest.raises(sandbox.SandboxError, match=r"BN_SANDBOX=off") as refused:
        sandbox.secure("limits", [world_readable], forced=False, reason="bwrap not installed")
    assert "bwrap not installed" in str(refused.value)
    assert "make sandbox-tools" in str(refused.value)
    assert sandbox.secure("limits", [world_readable], forced=True) == []
