"""The landlock level (and Landlock at the uid level): a worker confined without root or
namespaces reads only its view, opens no socket, signals and traces nothing outside; the level
is chosen where bubblewrap is refused, and its absence is explained."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import attack_recipes as attacks
from autograder import paths, sandbox
from autograder.grading.client import StudentError, WorkerClient
from autograder.sandbox import command, landlock, levels, reach, seccomp
from autograder.settings import Limits
from forensics import random_word
from uid_reach import uid_level_refused

pytestmark = pytest.mark.skipif(landlock.unavailable() is not None,
                                reason=landlock.unavailable() or "")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

PROBE = '''
import ctypes, os, signal, socket


def read(path):
    try:
        with open(path) as stream:
            return stream.read()
    except OSError as error:
        return type(error).__name__


def open_socket(family):
    try:
        socket.socket(getattr(socket, family), socket.SOCK_STREAM).close()
        return "opened"
    except OSError as error:
        return type(error).__name__


def signal_parent():
    try:
        os.kill(os.getppid(), 0)
        return "signalled"
    except OSError as error:
        return type(error).__name__


def trace_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.ptrace(16, os.getppid(), None, None) == 0:  # PTRACE_ATTACH
        return "attached"
    return os.strerror(ctypes.get_errno())


def numpy_sum():
    import numpy
    return float(numpy.arange(10).sum())
'''


@pytest.fixture
def planted():
    """A copy of the reference's layers.py that every user may read, outside the project (in
    /tmp: folders 0755, the file 0644)."""
    top = Path(tempfile.mkdtemp(prefix="bn-planted-", dir="/tmp"))
    copy = top / "copy" / "cs231n" / "layers.py"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(paths.SOLUTIONS / paths.PACKAGE_NAME / "layers.py", copy)
    for folder in (top, top / "copy", copy.parent):
        folder.chmod(0o755)
    copy.chmod(0o644)
    yield copy
    shutil.rmtree(top)


@pytest.fixture
def probe(tmp_path) -> Path:
    folder = tmp_path / "submission"
    (folder / "cs231n").mkdir(parents=True)
    (folder / "cs231n" / "__init__.py").write_text("")
    (folder / "cs231n" / "probe.py").write_text(PROBE)
    return folder


@pytest.fixture(autouse=True)
def no_subreaper_after():
    """Workers at the landlock and limits levels make this process a subreaper: undone after
    each test, or later tests' orphans would be adopted by pytest."""
    yield
    from test_sandbox import stop_adopting_orphans
    stop_adopting_orphans()


@pytest.fixture
def forget_level():
    sandbox.protections.cache_clear()
    yield
    sandbox.protections.cache_clear()


def test_a_landlock_worker_runs_numpy_but_reads_nothing_outside_its_view(probe, planted):
    with WorkerClient(probe, Limits(), call_timeout=30, level="landlock") as worker:
        assert worker.call("cs231n.probe:numpy_sum") == 45.0
        assert worker.call("cs231n.probe:read", str(planted)) == "PermissionError"
        assert worker.call("cs231n.probe:read", str(paths.ROOT / "Makefile")) == \
            "PermissionError"
        own = worker.process.scratch / "submission" / "cs231n" / "probe.py"
        assert "def numpy_sum" in worker.call("cs231n.probe:read", str(own))
        assert worker.call("cs231n.probe:open_socket", "AF_INET") == "PermissionError"
        assert worker.call("cs231n.probe:open_socket", "AF_UNIX") == "PermissionError"
        assert worker.call("cs231n.probe:signal_parent") == "PermissionError"
        assert worker.call("cs231n.probe:trace_parent") == os.strerror(1)  # EPERM


@needs_root
def test_a_uid_worker_under_landlock_cannot_read_the_planted_copy(probe, planted):
    if uid_level_refused():
        return  # a private checkout: the uid level does not run here, and says so
    assert command.confines("uid")
    with WorkerClient(probe, Limits(), call_timeout=30, level="uid") as worker:
        assert worker.call("cs231n.probe:read", str(planted)) == "PermissionError"
        assert worker.call("cs231n.probe:numpy_sum") == 45.0


def test_a_plain_user_confines_itself(planted, tmp_path):
    """Landlock as an unprivileged user, for real: a copy of the module applied by a script
    run as nobody, with the system Python (every user can run it)."""
    if os.geteuid() != 0:
        runner = []
    elif shutil.which("setpriv"):
        runner = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    else:
        pytest.skip("setpriv not installed")
    folder = Path(tempfile.mkdtemp(prefix="bn-plain-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        shutil.copyfile(landlock.__file__, folder / "landlock.py")
        (folder / "landlock.py").chmod(0o644)
        script = (f"import sys; sys.path.insert(0, {str(folder)!r}); import landlock\n"
                  f"before = open({str(planted)!r}).read(5)\n"
                  "landlock.Ruleset([('/usr', landlock.READ_EXECUTE)]).restrict()\n"
                  "try:\n"
                  f"    open({str(planted)!r}).read(5); print(len(before), 'read')\n"
                  "except PermissionError:\n"
                  "    print(len(before), 'denied')\n")
        python = shutil.which("python3", path="/usr/bin:/bin") or sys.executable
        done = subprocess.run([*runner, python, "-I", "-c", script], capture_output=True,
                              text=True, timeout=60, cwd="/")
    finally:
        shutil.rmtree(folder)
    assert done.stdout.split() == ["5", "denied"], done.stdout + done.stderr


def test_the_filter_kills_calls_of_another_architecture():
    program = seccomp._program("x86_64")
    assert program[1][3] == seccomp.AUDIT_ARCH["x86_64"]
    assert program[2] == (seccomp.RETURN, 0, 0, seccomp.RET_KILL_PROCESS)
    assert (seccomp.JUMP_AT_LEAST, 0, 1, seccomp.X32_BIT) in program
    assert len(seccomp._program("aarch64")) < 256  # classic BPF jumps are 8 bits


def without_bwrap(monkeypatch, tmp_path):
    """A PATH with setpriv but no bwrap: the namespaced levels' probe fails as bwrap's does
    where it is refused."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("setpriv",):
        if shutil.which(tool):
            (tools / tool).symlink_to(shutil.which(tool))
    monkeypatch.setenv("PATH", str(tools))


def test_auto_picks_landlock_where_bwrap_is_refused_and_not_root(monkeypatch, tmp_path,
                                                                  forget_level):
    monkeypatch.delenv(sandbox.SETTING, raising=False)
    monkeypatch.setattr(levels, "is_root", lambda: False)
    without_bwrap(monkeypatch, tmp_path)
    protections = sandbox.protections()
    assert protections.level == "landlock", protections.summary
    assert "bwrap not installed" in protections.reason
    assert "Landlock" in protections.summary and "seccomp" in protections.summary
    assert sandbox.secure("landlock", [paths.SOLUTIONS]) == []


@needs_root
def test_auto_falls_to_landlock_when_no_uid_reaches_the_python(monkeypatch, tmp_path,
                                                               forget_level):
    """As root without namespaces: uid where a worker uid reaches the Python, landlock (saying
    why) where the checkout is private."""
    monkeypatch.delenv(sandbox.SETTING, raising=False)
    real = levels._probe
    monkeypatch.setattr(levels, "_probe",
                        lambda level: "full: refused" if level == "full" else real(level))
    protections = sandbox.protections()
    refused = uid_level_refused()
    assert protections.level == ("landlock" if refused else "uid"), protections.summary
    if refused:
        assert refused in protections.reason


def test_no_landlock_falls_to_limits_and_says_what_to_do(monkeypatch, tmp_path, forget_level):
    monkeypatch.delenv(sandbox.SETTING, raising=False)
    monkeypatch.setattr(levels, "is_root", lambda: False)
    monkeypatch.setattr(landlock, "abi", lambda: 0)
    without_bwrap(monkeypatch, tmp_path)
    protections = sandbox.protections()
    assert protections.level == "limits"
    assert "no Landlock" in protections.reason and "5.13" in protections.reason
    with pytest.raises(sandbox.SandboxError) as refused:
        reach.secure("limits", [], reason=protections.reason)
    message = str(refused.value)
    assert "sudo make grade" in message and "make sandbox-tools" in message
    assert "Landlock" in message and "BN_SANDBOX=off" in message


# The walk of the disk -------------------------------------------------------------------------

def walker(tmp_path: Path) -> Path:
    intel = attacks.Intel(token=random_word(), forged="FORGED", root=str(tmp_path),
                          submissions=str(tmp_path), out=str(tmp_path),
                          canary=str(tmp_path / "no-canary"), repo=str(paths.ROOT), addresses=(),
                          tcp_port=9, udp_port=9, unix_socket=str(tmp_path / "no-socket"),
                          abstract_socket="none")
    attack = attacks.Attack("walk the disk", "template",
                            attacks.code("snooping", "walk the disk for the alt backward"))
    return attacks.build(attack, tmp_path / "walker", intel, 0)


def walk(package: Path, level: str) -> dict:
    """What the walk found at `level`; its stubs report it too, in one line."""
    with WorkerClient(package, Limits(), call_timeout=60, level=level) as worker:
        with pytest.raises(StudentError, match="WALK"):
            worker.call("cs231n.layers:batchnorm_backward_alt")
        return worker.call("cs231n.layers:walk_hits")


@pytest.mark.parametrize("level", ["full", "namespaces", "uid", "landlock"])
def test_walking_the_disk_finds_no_reference_at_an_isolating_level(level, planted, tmp_path):
    """A submission that walks / at import for any layers.py implementing
    batchnorm_backward_alt finds none (the planted world-readable copy included)."""
    if level in ("full", "uid") and os.geteuid() != 0:
        pytest.skip("needs root")
    problem = levels._probe(level)
    if level == "uid" and uid_level_refused():
        return  # a private checkout: the uid level does not run here, and says so
    if level == "namespaces" and problem:
        pytest.skip(problem)  # as root, user namespaces may be refused
    assert problem is None, problem
    found = walk(walker(tmp_path), level)
    assert found["hits"] == [] and found["folders"] > 0, found


def test_the_walk_finds_the_planted_copy_without_isolation(planted, tmp_path):
    """The control: at the limits level the same walk finds the copy."""
    found = walk(walker(tmp_path), "limits")
    assert str(planted) in found["hits"], found
