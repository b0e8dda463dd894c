"""Start the batch's children: forks of a warm fork server on Linux, fresh interpreters elsewhere.

A child runs `main(argv)` of a module of autograder (supervise.py: grade one submission). As a
fresh interpreter it first spends about half a CPU-second importing numpy, the judge, the checks
and the reference: a quarter of a grading. On Linux the batch starts a fork server
(fork_server.py) that loads them once and forks every child from that state. Elsewhere (macOS:
forking a process that has loaded Apple's Accelerate is not safe), and if the fork server cannot
start or dies, each child is a fresh interpreter.

Either way a child has its own session, stdin from /dev/null, stdout and stderr appended to its
log file, exactly the environment and working folder it is given, and a handle that answers
like subprocess.Popen's: `pid`, `poll()`, `wait(timeout)`, `returncode` (-N when killed by
signal N).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import platform
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator, Protocol

from autograder import paths


# How long the batch waits for the server to fork a child (the first time: to load everything
# and fork, about a second here) before grading on without it.
SERVER_ANSWER_SECONDS = 120.0


class Handle(Protocol):
    """A running child as the batch sees it (subprocess.Popen is one)."""

    pid: int

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class Launcher(Protocol):
    """Starts a child that runs `module`'s main(argv) with exactly `env`, in `cwd`, its output
    appended to `log`."""

    def start(self, module: str, argv: list[str], env: dict[str, str], cwd: Path,
              log: Path) -> Handle: ...


def python_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with this checkout first on PYTHONPATH."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(paths.ROOT), env.get("PYTHONPATH")]))
    return env


class FreshInterpreters:
    """Each child is `python -m module argv...`."""

    def start(self, module: str, argv: list[str], env: dict[str, str], cwd: Path,
              log: Path) -> subprocess.Popen:
        with open(log, "ab") as output:
            return subprocess.Popen([sys.executable, "-m", module, *argv], cwd=cwd, env=env,
                                    stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                                    start_new_session=True)


def run_child(module: str, argv: list[str], env: dict[str, str], cwd: str, log: str) -> int:
    """In a child just forked by the fork server: become what FreshInterpreters would have
    started (session, environment, folder, standard streams), then run the module's main."""
    os.setsid()
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # read TMPDIR again
    os.chdir(cwd)
    redirect(os.open(os.devnull, os.O_RDONLY), [0])
    redirect(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), [1, 2])
    return importlib.import_module(module).main(argv)


def redirect(opened: int, standard: list[int]) -> None:
    """Make the standard descriptors `standard` point where `opened` does (which may itself be
    one of them: the server's stdin is closed in its children), then close `opened`."""
    for fd in standard:
        if fd != opened:
            os.dup2(opened, fd)
    if opened not in standard:
        os.close(opened)


class Forked:
    """A child of the fork server, answering like subprocess.Popen."""

    def __init__(self, server: "WarmForks", pid: int):
        self.server = server
        self.pid = pid

    @property
    def returncode(self) -> int | None:
        return self.server.exit_codes.get(self.pid)

    def poll(self) -> int | None:
        if self.returncode is None:
            self.server.read_replies(0)
            if self.server.gone and not exists(self.pid):
                # The server's death sent it SIGTERM (fork_server.end_with); its own exit code
                # went with the server.
                self.server.exit_codes[self.pid] = -signal.SIGTERM
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = 0.05 if end is None else min(0.05, end - time.monotonic())
            if left <= 0:
                raise subprocess.TimeoutExpired(f"child {self.pid}", timeout)
            self.server.read_replies(left)
        return self.returncode


class WarmForks:
    """Children forked by a fork server started on first use (fork_server.py); fresh
    interpreters once it cannot be started or has died."""

    def __init__(self, log: Path):
        self.log = log
        self.server: subprocess.Popen | None = None
        self.gone = False  # the server has died (or could not start)
        self.why = "the fork server ended"
        self.warned = False
        self.exit_codes: dict[int, int] = {}
        self.pending = b""
        self.started: list[int] = []

    def start(self, module: str, argv: list[str], env: dict[str, str], cwd: Path,
              log: Path) -> Handle:
        if not self.gone:
            try:
                return Forked(self, self.fork(module, argv, env, cwd, log))
            except (OSError, ValueError) as error:
                self.gone, self.why = True, str(error)
        if not self.warned:
            self.warn()
        return FreshInterpreters().start(module, argv, env, cwd, log)

    def warn(self) -> None:
        """Say, on stderr, that grading goes on without the server, and why (its log's last
        line, else what the batch saw)."""
        try:
            last = self.log.read_text(errors="replace").strip().splitlines()[-1:]
        except OSError:
            last = []
        print(f"note: {last[0] if last else self.why}; the next submissions are graded by "
              "fresh interpreters (the same grades, a little slower)", file=sys.stderr)
        self.warned = True

    def fork(self, module: str, argv: list[str], env: dict[str, str], cwd: Path,
             log: Path) -> int:
        """Ask the server (started now if need be) for a child; its pid."""
        if self.server is None:
            with open(self.log, "ab") as output:
                self.server = subprocess.Popen(
                    self.server_command(), cwd=paths.ROOT, env=python_environment(),
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=output,
                    start_new_session=True)
        request = {"module": module, "argv": argv, "env": env, "cwd": str(cwd), "log": str(log)}
        self.server.stdin.write(json.dumps(request).encode() + b"\n")
        self.server.stdin.flush()
        deadline = time.monotonic() + SERVER_ANSWER_SECONDS
        while not self.started:
            if self.gone:
                raise OSError("the fork server ended")
            if time.monotonic() > deadline:
                self.server.kill()
                raise OSError(f"the fork server did not answer in {SERVER_ANSWER_SECONDS:g} s")
            self.read_replies(1.0)
        return self.started.pop(0)

    @staticmethod
    def server_command() -> list[str]:
        return [sys.executable, "-m", "autograder.course.fork_server", str(os.getpid())]

    def read_replies(self, timeout: float | None) -> None:
        """Read what the server has said, waiting at most `timeout` s for it (None: until it
        says something); note when it is gone."""
        if self.gone:
            if timeout:
                time.sleep(timeout)
            return
        replies = self.server.stdout.fileno()
        ready, _, _ = select.select([replies], [], [], timeout)
        if not ready:
            return
        chunk = os.read(replies, 1 << 16)
        if not chunk:
            self.gone = True
            return
        *lines, self.pending = (self.pending + chunk).split(b"\n")
        for line in lines:
            reply = json.loads(line)
            if "started" in reply:
                self.started.append(reply["started"])
            else:
                self.exit_codes[reply["exited"]] = reply["code"]

    def close(self) -> None:
        """Stop the server (the next batch starts its own, with the code as it is then)."""
        if self.server is None:
            return
        with contextlib.suppress(OSError):
            self.server.stdin.close()
        try:
            self.server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
        self.server.stdout.close()


def exists(pid: int) -> bool:
    """Whether `pid` still exists (zombies, which others reap, included)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forks_here() -> bool:
    """Whether children are forked from a warm server here (Linux) rather than started as
    fresh interpreters."""
    return platform.system() == "Linux"


@contextlib.contextmanager
def launcher(folder: Path) -> Iterator[Launcher]:
    """The way this system starts children, for one batch (a fork server's log in `folder`)."""
    if not forks_here():
        yield FreshInterpreters()
        return
    forks = WarmForks(Path(folder) / "fork-server.log")
    try:
        yield forks
    finally:
        forks.close()
