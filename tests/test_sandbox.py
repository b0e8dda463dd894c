"""The sandbox: what a worker can see, reach and leave behind, at each protection level.

A probe package (built here) reports what the worker process observes from inside; the tests
compare it with what each level promises (the docstring of autograder/sandbox/__init__.py).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import pytest

from autograder import paths, sandbox
from autograder.sandbox import procfs
from autograder.sandbox import command
from autograder.sandbox.process import remove_files_of
from autograder.grading.client import StudentError, WorkerClient
from autograder.settings import Limits
from uid_reach import uid_level_refused

PROBE = '''
import os, socket, time


def readable(names):
    found = {}
    for name in names:
        try:
            with open(name, "rb") as stream:
                stream.read(1)
            found[name] = True
        except OSError:
            found[name] = False
    return found


def listing(folder):
    try:
        return sorted(os.listdir(folder))
    except OSError as error:
        return type(error).__name__


def facts():
    return {"uid": os.getuid(), "cwd": os.getcwd(), "root": listing("/"),
            "pids": len([entry for entry in os.listdir("/proc") if entry.isdigit()]),
            "tmpdir": os.environ.get("TMPDIR", "")}


def connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).sendall(b"leak")
        return "connected"
    except OSError as error:
        return type(error).__name__


def write_own_package():
    try:
        with open(os.path.join(os.path.dirname(__file__), "probe.py"), "a") as stream:
            stream.write("# changed")
        return "written"
    except OSError as error:
        return type(error).__name__


def fill(folder, chunk=2**20, most=2**31):
    written = 0
    try:
        with open(os.path.join(folder, "filler"), "wb") as stream:
            while written < most:
                stream.write(b"x" * chunk)
                stream.flush()
                written += chunk
    except OSError as error:
        return [written, type(error).__name__]
    return [written, "no error"]


def spawn(count):
    started = 0
    for _ in range(count):
        try:
            if os.fork() == 0:
                time.sleep(1000)
                os._exit(0)
            started += 1
        except OSError:
            break
    return started


def daemon(folder):
    """A double-forked sleeper that leaves the worker's process group and writes into folder."""
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            with open(os.path.join(folder, "daemon-was-here"), "w") as stream:
                stream.write(str(os.getpid()))
            os.chdir("/")  # nothing left that names the worker's folder
            os.execv("/bin/sleep", ["sleep", "1000"])
        os._exit(0)
    for _ in range(50):
        time.sleep(0.1)
        try:
            with open(os.path.join(folder, "daemon-was-here")) as stream:
                return int(stream.read())  # its pid, as the worker sees it
        except (OSError, ValueError):
            pass
    return 0
'''


@pytest.fixture
def level(monkeypatch):
    """Force a protection level for one test (BN_SANDBOX), and forget it afterwards."""
    def force(name: str) -> sandbox.Protections:
        monkeypatch.setenv(sandbox.SETTING, name)
        sandbox.protections.cache_clear()
        return sandbox.protections()
    yield force
    sandbox.protections.cache_clear()
    stop_adopting_orphans()


def stop_adopting_orphans() -> None:
    """A worker started here at the `limits` level made this pytest process a subreaper: undo
    it, or the orphans of later tests' gradings would be adopted by pytest, out of their
    batch's reach (test_attacks_fallback after this file)."""
    import ctypes

    from autograder.sandbox import process

    if process.adopt_orphans.cache_info().currsize:
        ctypes.CDLL(None, use_errno=True).prctl(36, 0, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER off
        process.adopt_orphans.cache_clear()


@pytest.fixture
def probe(tmp_path) -> Path:
    folder = tmp_path / "submission"
    (folder / "cs231n").mkdir(parents=True)
    (folder / "cs231n" / "__init__.py").write_text("")
    (folder / "cs231n" / "probe.py").write_text(PROBE)
    return folder


def start(probe: Path, **limits) -> WorkerClient:
    return WorkerClient(probe, Limits(**limits), call_timeout=30)


def assert_gone(process: sandbox.WorkerProcess) -> None:
    """Nothing of the worker left (SIGKILL lands asynchronously: a loaded machine gets 5 s)."""
    def left() -> list[int]:
        found = procfs.descendants(process.pid)
        return found + (procfs.processes_of(process.uid) if process.uid is not None else [])

    deadline = time.monotonic() + 5
    while left() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert procfs.descendants(process.pid) == []
    if process.uid is not None:
        remaining = procfs.processes_of(process.uid)
        assert remaining == [], [Path(f"/proc/{pid}/stat").read_text() for pid in remaining]
    assert not process.scratch.exists(), f"{process.scratch} left behind"


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="levels full and uid need root")


# Choosing the level ---------------------------------------------------------------------------

def owned_in_tmp(uid: int) -> list[str]:
    """The entries of /tmp owned by `uid` (other tests' workers may remove theirs meanwhile)."""
    owned = []
    for entry in Path("/tmp").iterdir():
        try:
            if entry.lstat().st_uid == uid:
                owned.append(entry.name)
        except FileNotFoundError:
            continue
    return owned


def test_root_with_bubblewrap_gets_the_full_level(level):
    if os.geteuid() != 0 or shutil.which("bwrap") is None:
        pytest.skip("the full level needs root and bwrap (make sandbox-tools installs it)")
    protections = level("auto")
    assert protections.level == "full", protections.summary
    assert "namespaces" in protections.summary and "unprivileged uid" in protections.summary


def test_off_is_limits_only_and_says_so(level):
    protections = level("off")
    assert protections.level == "limits"
    assert "NO isolation" in protections.summary and "BN_SANDBOX=off" in protections.summary


def test_an_unknown_setting_is_refused_with_the_choices(level):
    with pytest.raises(sandbox.SandboxError, match="expected auto, off, or one of full"):
        level("paranoid")


# The full level -----------------------------------------------------------------------------

@needs_root
def test_full_worker_sees_only_its_package_the_runtime_and_its_scratch(level, probe, tmp_path):
    level("full")
    secret = tmp_path / "secret.txt"
    secret.write_text("hidden")
    secret.chmod(0o644)  # readable by everyone: only the mount namespace hides it
    reference = paths.SOLUTIONS / paths.PACKAGE_NAME / "layers.py"
    names = [str(reference), str(paths.ROOT / "Makefile"), str(secret), "/etc/shadow",
             str(command.INSIDE_SUBMISSION / "cs231n" / "probe.py")]
    original = (probe / "cs231n" / "probe.py").read_bytes()
    with start(probe) as worker:
        seen = worker.call("cs231n.probe:readable", names)
        facts = worker.call("cs231n.probe:facts")
        wrote = worker.call("cs231n.probe:write_own_package")
    assert seen == {**{name: False for name in names[:-1]}, names[-1]: True}
    assert facts["uid"] >= command.UID_BASE
    assert facts["cwd"] == facts["tmpdir"] == str(command.INSIDE_WORK)
    assert set(facts["root"]) <= {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc",
                                  "proc", "dev", "sandbox", *Path(os.sys.prefix).parts[1:2],
                                  *Path(os.sys.base_prefix).parts[1:2]}, facts["root"]
    assert facts["pids"] <= 3  # bwrap's init, the worker, nothing of the host
    assert wrote in ("OSError", "PermissionError")
    assert (probe / "cs231n" / "probe.py").read_bytes() == original


@needs_root
def test_full_worker_has_no_network_not_even_loopback(level, probe):
    level("full")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    with start(probe) as worker:
        outcome = worker.call("cs231n.probe:connect", listener.getsockname()[1])
    assert outcome != "connected"
    with pytest.raises(BlockingIOError):
        listener.accept()
    listener.close()


@needs_root
def test_full_worker_scratch_is_capped(level, probe):
    level("full")
    with start(probe, scratch_bytes=8 * 2**20) as worker:
        written, error = worker.call("cs231n.probe:fill", str(command.INSIDE_WORK))
    assert written <= 8 * 2**20 and error == "OSError", (written, error)


@needs_root
def test_full_worker_process_count_is_capped(level, probe):
    level("full")
    with start(probe, processes=8) as worker:
        started = worker.call("cs231n.probe:spawn", 50)
        process = worker.process
    assert started < 8
    assert_gone(process)


@needs_root
def test_full_worker_daemons_die_with_it_and_its_scratch_goes(level, probe):
    level("full")
    worker = start(probe)
    assert worker.call("cs231n.probe:daemon", str(command.INSIDE_WORK)) > 0
    process = worker.process
    assert len(procfs.processes_of(process.uid)) >= 2  # the worker and its daemon
    worker.stop()
    assert_gone(process)


@needs_root
def test_workers_get_distinct_uids(level, probe):
    level("full")
    with start(probe) as first, start(probe) as second:
        uids = {first.call("cs231n.probe:facts")["uid"], second.call("cs231n.probe:facts")["uid"]}
    assert len(uids) == 2


def test_a_signal_death_inside_bwrap_reads_as_a_signal(probe, level):
    if os.geteuid() != 0 or shutil.which("bwrap") is None:
        pytest.skip("needs the full level")
    level("full")
    (probe / "cs231n" / "die.py").write_text(
        "import os, signal\ndef now():\n    os.kill(os.getpid(), signal.SIGSEGV)\n")
    worker = start(probe)
    with pytest.raises(Exception, match="killed by signal 11"):
        worker.call("cs231n.die:now")


# Weaker levels --------------------------------------------------------------------------------

@needs_root
def test_uid_level_drops_privileges_and_removes_what_it_left_in_tmp(level, probe, tmp_path):
    protections = level("uid")
    assert "NO namespaces" in protections.summary
    if uid_level_refused():  # a private checkout: refused clearly (test_sandbox_landlock)
        return
    private = tmp_path / "private.txt"
    private.write_text("hidden")
    private.chmod(0o600)
    worker = start(probe)
    try:
        facts = worker.call("cs231n.probe:facts")
    except StudentError:
        raise
    seen = worker.call("cs231n.probe:readable", [str(private)])
    daemon_folder = "/tmp"
    if command.confines("uid"):  # Landlock: it may write only its scratch's work/
        with pytest.raises(StudentError, match="PermissionError"):
            worker.call("cs231n.probe:daemon", "/tmp")
        daemon_folder = facts["cwd"]
    assert worker.call("cs231n.probe:daemon", daemon_folder) > 0
    process = worker.process
    assert facts["uid"] >= command.UID_BASE
    assert seen == {str(private): False}
    worker.stop()
    assert_gone(process)
    assert not owned_in_tmp(process.uid)


@needs_root
def test_what_a_worker_uid_left_in_tmp_is_removed(tmp_path):
    """Without Landlock a uid-level worker can write to /tmp: what its uid left there goes."""
    uid = command.worker_uid()
    left = [Path(tempfile.mkdtemp(prefix="bn-left-", dir="/tmp")),
            Path(tempfile.mkstemp(prefix="bn-left-", dir="/tmp")[1])]
    for path in left:
        os.chown(path, uid, uid)
    (left[0] / "inside").write_text("x")
    kept = Path(tempfile.mkstemp(prefix="bn-kept-", dir="/tmp")[1])
    remove_files_of(uid)
    assert not any(path.exists() for path in left) and kept.exists()
    kept.unlink()


@needs_root
def test_uid_level_works_with_a_temporary_folder_other_users_cannot_enter(level, probe,
                                                                          tmp_path, monkeypatch):
    """make grade's children set TMPDIR inside OUT, which may sit in a 0700 folder (/root): the
    worker's scratch then goes where its own uid can reach it, and it runs."""
    level("uid")
    closed = tmp_path / "closed"
    (closed / "tmp").mkdir(parents=True)
    closed.chmod(0o700)
    monkeypatch.setattr(tempfile, "tempdir", str(closed / "tmp"))
    assert not command.passable_by_all(closed / "tmp")
    parent = command.scratch_parent("uid")
    assert command.passable_by_all(parent) and not parent.is_relative_to(closed)
    if uid_level_refused():  # a private checkout: its Python too is out of a worker uid's reach
        return
    with start(probe) as worker:
        facts = worker.call("cs231n.probe:facts")
        scratch = worker.process.scratch
    assert facts["uid"] >= command.UID_BASE
    assert command.passable_by_all(scratch.parent) and not scratch.is_relative_to(closed)
    assert not scratch.exists()


def test_limits_level_still_caps_memory_and_cleans_up(level, probe):
    level("off")
    (probe / "cs231n" / "hog.py").write_text(
        "def hog():\n    block = []\n    while True:\n        block.append(bytearray(2**26))\n")
    worker = start(probe, memory_bytes=1 * 2**30)
    with pytest.raises(StudentError, match="MemoryError"):
        worker.call("cs231n.hog:hog")
    daemon = worker.call("cs231n.probe:daemon", str(probe.parent))  # no pid namespace here
    assert Path(f"/proc/{daemon}").exists()
    process = worker.process
    worker.stop()
    assert_gone(process)
    assert not Path(f"/proc/{daemon}").exists(), "the detached daemon survived its worker"


def test_the_worker_copy_takes_regular_python_files_only(tmp_path):
    source, copy = tmp_path / "cs231n", tmp_path / "copy"
    (source / "classifiers").mkdir(parents=True)
    (source / "__init__.py").write_text("")
    (source / "classifiers" / "fc_net.py").write_text("x = 1\n")
    (source / "notes.txt").write_text("not code")
    (source / "layers.py").symlink_to(paths.SOLUTIONS / paths.PACKAGE_NAME / "layers.py")
    command.copy_python_files(source, copy)
    taken = sorted(path.relative_to(copy).as_posix() for path in copy.rglob("*") if path.is_file())
    assert taken == ["__init__.py", "classifiers/fc_net.py"]
