"""autograder.course.launch and fork_server: a child forked by the warm fork server is what a
fresh interpreter would have been (session, environment, folder, streams, exit code), the server
ends with the batch and takes its children along, and grading falls back to fresh interpreters
where the server cannot run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from autograder.course import launch

CHILD = textwrap.dedent("""
    import json, os, sys, tempfile, time

    def main(argv):
        what = argv[0]
        if what == "report":
            print("to stdout")
            print("to stderr", file=sys.stderr)
            report = {"pid": os.getpid(), "sid": os.getsid(0), "cwd": os.getcwd(),
                      "env": dict(os.environ), "stdin": sys.stdin.read(),
                      "tempdir": tempfile.gettempdir()}
            with open(argv[1], "w") as out:
                json.dump(report, out)
            return 0
        if what == "exit":
            sys.exit(int(argv[1]))
        if what == "raise":
            raise RuntimeError("broken on purpose")
        if what == "message":
            sys.exit("leaving with a message")
        if what == "nothing":
            return None
        if what == "sleep":
            time.sleep(float(argv[1]))
            return 0

    if __name__ == "__main__":
        sys.exit(main(sys.argv[1:]))
""")

@pytest.fixture
def child_module(tmp_path, monkeypatch):
    """A module `launch_probe` with a main(argv), importable by the server and its children."""
    folder = tmp_path / "modules"
    folder.mkdir()
    (folder / "launch_probe.py").write_text(CHILD)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [str(folder), os.environ.get("PYTHONPATH")])))
    return "launch_probe"


@pytest.fixture
def launcher(launcher, child_module):
    """conftest's launcher, with launch_probe importable by its children."""
    return launcher


def environment(**variables) -> dict[str, str]:
    """Exactly `variables`, and the PYTHONPATH that finds launch_probe and autograder."""
    return launch.python_environment({**variables, "PYTHONPATH": os.environ["PYTHONPATH"]})


def start(launcher, tmp_path, *argv):
    return launcher.start("launch_probe", list(argv), environment(TMPDIR=str(tmp_path)),
                          tmp_path, tmp_path / "child.log")


def test_a_child_has_its_own_session_environment_folder_and_streams(launcher, tmp_path):
    (tmp_path / "tmp").mkdir()
    folder = tmp_path / "cwd"
    folder.mkdir()
    handle = launcher.start("launch_probe", ["report", str(tmp_path / "report.json")],
                            environment(ONLY="this", TMPDIR=str(tmp_path / "tmp")), folder,
                            tmp_path / "child.log")
    assert handle.wait(60) == 0 and handle.returncode == 0 and handle.poll() == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["pid"] == handle.pid
    assert report["sid"] == handle.pid, "a child leads a session of its own"
    assert report["cwd"] == str(folder)
    assert report["stdin"] == "", "stdin is /dev/null"
    assert report["tempdir"] == str(tmp_path / "tmp"), "tempfile reads the child's TMPDIR"
    assert report["env"]["ONLY"] == "this" and report["env"]["TMPDIR"] == str(tmp_path / "tmp")
    assert set(report["env"]) - {"ONLY", "TMPDIR", "PYTHONPATH"} <= {"LC_CTYPE"}, \
        f"only the environment given: {sorted(report['env'])}"
    log = (tmp_path / "child.log").read_text()
    assert "to stdout" in log and "to stderr" in log


@pytest.mark.parametrize("argv, code", [(["exit", "3"], 3), (["raise"], 1),
                                        (["exit", "0"], 0), (["message"], 1),
                                        (["nothing"], 0)])
def test_a_child_s_exit_code_is_reported_as_subprocess_does(launcher, tmp_path, argv, code):
    handle = start(launcher, tmp_path, *argv)
    assert handle.wait(60) == code
    log = (tmp_path / "child.log").read_text()
    if argv == ["raise"]:
        assert "RuntimeError: broken on purpose" in log
    if argv == ["message"]:
        assert "leaving with a message" in log


def test_a_killed_child_reports_the_signal_and_wait_times_out_before(launcher, tmp_path):
    handle = start(launcher, tmp_path, "sleep", "60")
    with pytest.raises(subprocess.TimeoutExpired):
        handle.wait(0.2)
    assert handle.poll() is None
    os.kill(handle.pid, signal.SIGKILL)
    assert handle.wait(10) == -signal.SIGKILL


def test_children_of_a_fork_server_are_forked_from_it(tmp_path, child_module):
    forks = launch.WarmForks(tmp_path / "fork-server.log")
    try:
        first = start(forks, tmp_path, "sleep", "30")
        second = start(forks, tmp_path, "exit", "0")
        assert second.wait(60) == 0
        server = forks.server.pid
        assert Path(f"/proc/{first.pid}/stat").read_text().rpartition(")")[2].split()[1] \
            == str(server), "the fork server is the child's parent"
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
    finally:
        forks.close()
    assert forks.server.poll() is not None, "close() stops the server"


def test_the_server_s_death_ends_its_children_and_later_children_start_fresh(tmp_path,
                                                                           child_module, capsys):
    forks = launch.WarmForks(tmp_path / "fork-server.log")
    try:
        running = start(forks, tmp_path, "sleep", "60")
        os.kill(forks.server.pid, signal.SIGKILL)
        assert running.wait(30) is not None, "the server's children end with it"
        assert not launch.exists(running.pid)
        after = start(forks, tmp_path, "exit", "5")
        assert isinstance(after, subprocess.Popen), "a fresh interpreter once the server is gone"
        assert after.wait(60) == 5
        assert start(forks, tmp_path, "exit", "0").wait(60) == 0
    finally:
        forks.close()
    assert capsys.readouterr().err.count("note: the fork server ended; the next submissions "
                                         "are graded by fresh interpreters") == 1


def test_a_fork_server_that_cannot_start_leaves_fresh_interpreters(tmp_path, child_module,
                                                                    monkeypatch, capsys):
    monkeypatch.setattr(launch.WarmForks, "server_command", staticmethod(
        lambda: [sys.executable, "-c", "raise SystemExit('numpy is broken here')"]))
    forks = launch.WarmForks(tmp_path / "fork-server.log")
    try:
        first = start(forks, tmp_path, "exit", "4")
        assert isinstance(first, subprocess.Popen) and forks.gone
        assert first.wait(60) == 4
        second = start(forks, tmp_path, "exit", "0")
        assert isinstance(second, subprocess.Popen) and second.wait(60) == 0
    finally:
        forks.close()
    assert capsys.readouterr().err.count(
        "note: numpy is broken here; the next submissions are graded by fresh interpreters") == 1


def test_a_fork_server_that_does_not_answer_is_stopped_and_left(tmp_path, child_module,
                                                                monkeypatch, capsys):
    monkeypatch.setattr(launch, "SERVER_ANSWER_SECONDS", 1.0)
    monkeypatch.setattr(launch.WarmForks, "server_command", staticmethod(
        lambda: [sys.executable, "-c", "import time; time.sleep(120)"]))
    forks = launch.WarmForks(tmp_path / "fork-server.log")
    try:
        first = start(forks, tmp_path, "exit", "6")
        assert isinstance(first, subprocess.Popen) and first.wait(60) == 6
        assert forks.server.wait(10) == -signal.SIGKILL
    finally:
        forks.close()
    assert ("note: the fork server did not answer in 1 s; the next submissions are graded by "
            "fresh interpreters") in capsys.readouterr().err


def test_the_fork_server_ends_when_the_batch_dies(tmp_path, child_module):
    """The batch killed outright (no close()): the server reads the end of its requests and
    exits, and its children get SIGTERM."""
    batch = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from autograder.course import launch
        forks = launch.WarmForks(Path({str(tmp_path / 'server.log')!r}))
        child = forks.start("launch_probe", ["sleep", "120"], launch.python_environment(),
                            Path({str(tmp_path)!r}), Path({str(tmp_path / 'child.log')!r}))
        print(forks.server.pid, child.pid, flush=True)
        time.sleep(120)
    """)
    process = subprocess.Popen([sys.executable, "-c", batch], stdout=subprocess.PIPE, text=True,
                               env=launch.python_environment())
    try:
        server, child = map(int, process.stdout.readline().split())
        process.kill()
        process.wait()
        deadline = time.monotonic() + 30
        while (launch.exists(server) or launch.exists(child)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not launch.exists(server), "the fork server outlived the batch"
        assert not launch.exists(child), "the server's child outlived the batch"
    finally:
        process.kill()


def test_off_linux_children_are_fresh_interpreters(tmp_path, monkeypatch):
    import platform

    monkeypatch.setattr(platform, "system", lambda: "Darwin")
    with launch.launcher(tmp_path) as chosen:
        assert isinstance(chosen, launch.FreshInterpreters)
    monkeypatch.setattr(platform, "system", lambda: "Linux")
    with launch.launcher(tmp_path) as chosen:
        assert isinstance(chosen, launch.WarmForks)
