"""The batch's fork server (Linux): load what grading needs once, then fork a child per request.

Started by launch.WarmForks as `python -m autograder.course.fork_server BATCH_PID`, in a session
of its own, from the batch's environment. It imports `autograder.course.supervise` and loads the
current assignment's checks and reference (judge.load_everything), then answers JSON lines on
stdin:

    {"module": ..., "argv": [...], "env": {...}, "cwd": ..., "log": ...}

by forking a child that runs `module.main(argv)` as launch.run_child describes, and writes JSON
lines on stdout: {"started": pid} for each request, in order, and {"exited": pid, "code": c}
when a child ends (c as subprocess reports it: -N when killed by signal N). It exits when its
stdin closes (the batch is done) or the batch dies, and its children get SIGTERM when it ends.
It is single-threaded, so that forking it is safe.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import selectors
import signal
import sys
import traceback


def load_everything() -> None:
    """What every child needs, loaded once here; whatever fails, each child loads itself."""
    importlib.import_module("autograder.course.supervise")  # numpy, the pipeline, the judge
    with contextlib.suppress(Exception):
        from autograder.grading import judge

        judge.load_everything()


def end_with(parent: int) -> None:
    """Get SIGTERM when `parent` (this process's parent) ends; end now if it already has."""
    with contextlib.suppress(Exception):  # AttributeError where libc has no prctl
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(128 + signal.SIGTERM)


def fork_child(request: dict, closing: list[int]) -> int:
    """Fork a child that serves `request`; return its pid (in the server). The child ends
    with the server."""
    server = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        end_with(server)
        for fd in closing:
            os.close(fd)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        from autograder.course import launch

        code = exit_status(launch.run_child(request["module"], request["argv"],
                                            request["env"], request["cwd"], request["log"]))
    except SystemExit as leaving:
        code = exit_status(leaving.code)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)  # never back into the server's loop


def exit_status(code) -> int:
    """The status Python exits with for `sys.exit(code)` (or main returning `code`): None is 0,
    an int itself, anything else is printed to stderr and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(BaseException):
        print(code, file=sys.stderr)
    return 1


def reap(replies) -> None:
    """Report every child that has ended."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        replies.write(json.dumps({"exited": pid, "code": os.waitstatus_to_exitcode(status)})
                      + "\n")
        replies.flush()


def serve() -> None:
    """Serve the batch whose pid is the first argument, until it closes stdin."""
    # Replies go to the real stdout; anything else printed goes to stderr (the server's log).
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    end_with(int(sys.argv[1]))
    load_everything()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    requests = sys.stdin.fileno()
    selector = selectors.DefaultSelector()
    selector.register(requests, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    closing = [requests, replies.fileno(), wake_read, wake_write, selector.fileno()]
    pending = b""
    while True:
        for key, _ in selector.select():
            if key.fd == wake_read:
                os.read(wake_read, 4096)
                continue
            chunk = os.read(requests, 1 << 16)
            if not chunk:
                return
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                pid = fork_child(json.loads(line), closing)
                replies.write(json.dumps({"started": pid}) + "\n")
                replies.flush()
        reap(replies)


if __name__ == "__main__":
    serve()
