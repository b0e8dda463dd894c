"""The judge's side of a worker: start it, send requests, read answers, survive its failures.

A `WorkerClient` owns one worker process for one submission. Every request has a timeout; a
worker that hangs, exits, crashes or breaks the protocol is killed (with its whole process group)
and the request raises `WorkerLost`. The next request starts a fresh worker, so one broken function
costs only the checks that use it. A Python exception inside student code raises `StudentError`.
"""

from __future__ import annotations

import itertools
import os
import re
import select
import time
from dataclasses import dataclass
from pathlib import Path

from autograder import sandbox
from autograder.runtime import wire
from autograder.settings import Limits, Settings

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,79}")
OUT_OF_TIME = "the time allowed for grading this submission ran out"
# A worker answer larger than this is refused (a memory bomb aimed at the judge).
MAX_ANSWER_BYTES = 512 * 2**20


@dataclass
class StudentError(Exception):
    """Student code raised an exception (type, message, and where in the submission)."""

    type: str
    message: str
    where: str | None

    def __str__(self) -> str:
        location = f" at {self.where}" if self.where else ""
        return f"{self.type}{location}: {self.message}"


def exception_name(name) -> str:
    """An exception's class name as the worker reported it, if it looks like one (student code
    can rename its exception classes to anything, a fake score included)."""
    name = str(name)
    return name if IDENTIFIER.fullmatch(name) else "an exception with an invalid name"


class WorkerLost(Exception):
    """The worker hung, died or broke the protocol; the message says which. `timed_out`: the
    request ran past its timeout; `out_of_time`: past the whole grading's deadline."""

    def __init__(self, message: str, timed_out: bool = False, out_of_time: bool = False):
        super().__init__(message)
        self.timed_out = timed_out
        self.out_of_time = out_of_time


class WorkerClient:
    def __init__(self, submission: Path, limits: Limits | None = None,
                 call_timeout: float = Settings.call_timeout, level: str | None = None,
                 deadline: float | None = None):
        """`level`: the sandbox level its workers start at (None: `sandbox.protections()`).
        `deadline` (time.monotonic()): no request runs past it."""
        self.submission = Path(submission)
        self.limits = limits or Limits()
        self.call_timeout = call_timeout
        self.deadline = deadline
        self.level = level if level is not None else sandbox.protections().level
        self.process: sandbox.WorkerProcess | None = None
        self.starts = 0
        self._ids = itertools.count(1)
        self._buffer = b""

    # Life cycle -------------------------------------------------------------------------------

    def ensure_started(self) -> None:
        if self.process is None:
            self.process = sandbox.start_worker(self.submission, self.limits, self.level)
            self.starts += 1
            self._buffer = b""

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process = None

    def __enter__(self) -> "WorkerClient":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def out_of_time(self) -> bool:
        """Whether the grading's deadline has passed (no request may start any more)."""
        return self.deadline is not None and time.monotonic() >= self.deadline

    def _lose(self, why: str, **kind) -> WorkerLost:
        self.stop()
        return WorkerLost(why, **kind)

    # Requests ---------------------------------------------------------------------------------

    def request(self, op: str, timeout: float | None = None, **fields):
        """Send one request; return the decoded value (handles stay `wire.Handle`)."""
        if self.out_of_time():
            raise WorkerLost(OUT_OF_TIME, out_of_time=True)
        self.ensure_started()
        request_id = next(self._ids)
        try:
            os.write(self.process.requests, wire.dumps({"id": request_id, "op": op, **fields}))
        except (BrokenPipeError, OSError):
            raise self._lose(self._death_note()) from None
        line = self._read_line(timeout or self.call_timeout)
        try:
            answer = wire.loads(line)
            if answer.get("id") != request_id:
                raise wire.WireError("answer to another request")
            if "error" in answer:
                error = answer["error"]
                raise StudentError(exception_name(error.get("type")), str(error.get("message")),
                                   error.get("where") if isinstance(error.get("where"), str) else None)
            return wire.decode(answer.get("value"))
        except wire.WireError as error:
            raise self._lose(f"the worker broke the protocol ({error})") from None

    def _read_line(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        cut = self.deadline is not None and self.deadline < deadline
        if cut:
            deadline = self.deadline
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if cut:
                    raise self._lose(OUT_OF_TIME, out_of_time=True)
                raise self._lose(f"timed out after {timeout:g} s", timed_out=True)
            ready, _, _ = select.select([self.process.responses], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self.process.responses, 1 << 20)
            if not chunk:
                raise self._lose(self._death_note())
            self._buffer += chunk
            if len(self._buffer) > MAX_ANSWER_BYTES:
                raise self._lose("the worker sent an answer that is too large")
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _death_note(self) -> str:
        code = self.process.wait(timeout=5) if self.process else None
        if code is None:
            return "the worker stopped answering"
        if code < 0:
            return f"the worker was killed by signal {-code}" + sandbox.signal_hint(-code)
        return f"the worker exited with status {code}"

    # Conveniences -----------------------------------------------------------------------------

    def call(self, target, *args, method: str | None = None, keep: bool | list[int] = False,
             timeout: float | None = None, fresh: bool = False, **kwargs):
        """Call `target` ('package.module:name' or a handle) in the worker and return the result.

        keep=True keeps the whole result in the worker (a handle comes back); a list of indices
        keeps those items of a tuple result there (e.g. keep=[1] for a layer's cache).
        fresh=True calls it on copies of the arguments (kept objects included).
        """
        return self.request("call", timeout, target=target, method=method, keep=keep,
                            fresh=fresh, args=wire.encode(list(args)),
                            kwargs=wire.encode(kwargs))

    def get(self, target, attr: str | None = None, keep: bool = False, **select):
        """Read `target.attr` (or `target` itself); keep=True leaves it in the worker.

        select: key=K reads item K of it, rows=[...] only those rows of that array.
        """
        return self.request("get", target=target, attr=attr, keep=keep, **select)

    def put(self, value) -> wire.Handle:
        """Keep `value` in the worker; its handle can be passed to calls and read back."""
        return self.request("put", value=wire.encode(value))

    def set(self, target, key: str, value) -> None:
        self.request("set", target=target, key=key, value=wire.encode(value))
