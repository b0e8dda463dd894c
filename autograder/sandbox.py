"""Start the worker that runs one submission's code, isolated, and remove every trace of it after.

The strongest protections the machine allows are chosen once per process (`protections()`):

- `full` (the grader is root, bubblewrap works): the worker runs under `bwrap` in new mount, pid,
  network, IPC and UTS namespaces, as a uid of its own that no account owns (`setpriv`, no
  capabilities, no_new_privs). It sees /usr and the Python runtime read-only, a copy of its own
  submission (read-only, /sandbox/submission), the worker's two files (/sandbox/runtime), a
  size-limited tmpfs scratch (/sandbox/work: cwd, HOME, TMPDIR), and its own /proc and /dev. No
  network, loopback included. Killing bwrap kills the whole pid namespace, daemons included.
- `namespaces` (not root, unprivileged user namespaces work): the same view, under the grader's uid.
- `uid` (root, but no namespaces, as in an unprivileged container): the worker runs under its own
  uid in a scratch folder; files readable by every user stay visible to it, so protect them by
  their permissions (Gradescope's run_autograder does). Every process and /tmp file of that uid is
  removed at the end.
- `limits`: resource limits, its own session, a scratch folder, and cleanup by process tree.

Every level sets the resource limits of `Limits` (memory, CPU time, file size, processes where the
kernel counts them per uid) and a minimal environment. `BN_SANDBOX` chooses: `auto` (default:
the strongest that works here), `full`, `namespaces`, `uid`, or `off` (= `limits`).
"""

from __future__ import annotations

import functools
import itertools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

WORKER_FILES = ("worker.py", "wire.py", "timed_calls.py")
HERE = Path(__file__).resolve().parent
PACKAGE = "cs231n"
LEVELS = ("full", "namespaces", "uid", "limits")
SETTING = "BN_SANDBOX"
NAMESPACED = ("full", "namespaces")  # levels where bwrap starts the worker
OWN_UID = ("full", "uid")  # levels where the worker runs as a uid of its own
# Workers run as uids no account owns, one per live worker (parent pid and a counter), so that a
# fork flood in one worker cannot use up another's process limit, and no two workers can signal
# each other or read each other's files.
UID_BASE = 1_500_000_000
_worker_numbers = itertools.count()
_live_workers: set[int] = set()  # pids of the workers this process started and has not killed

# Inside the namespace sandbox.
INSIDE = Path("/sandbox")
INSIDE_SUBMISSION = INSIDE / "submission"
INSIDE_RUNTIME = INSIDE / "runtime"
INSIDE_WORK = INSIDE / "work"


class SandboxError(Exception):
    """The sandbox was asked for something this machine cannot do (a bad BN_SANDBOX)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker process."""

    memory_bytes: int = 4 * 2**30  # address space
    cpu_seconds: int = 600
    file_bytes: int = 64 * 2**20  # largest file it may write
    processes: int = 32  # processes and threads of its uid (levels full and uid)
    scratch_bytes: int = 256 * 2**20  # its tmpfs scratch (levels full and namespaces)


@dataclass(frozen=True)
class Protections:
    """What isolates a worker on this machine, and why nothing stronger does."""

    level: str
    reason: str = ""

    @property
    def summary(self) -> str:
        descriptions = {
            "full": "bubblewrap namespaces (private filesystem view, no network, own pids) and "
                    "an unprivileged uid per worker; resource limits",
            "namespaces": "bubblewrap namespaces (private filesystem view, no network, own pids) "
                          "under the grader's own uid; resource limits",
            "uid": "an unprivileged uid per worker and resource limits; NO namespaces: files "
                   "readable by every user and the network are reachable",
            "limits": "resource limits and a process group only; NO isolation: student code "
                      "can read what the grader can and use the network",
        }
        text = f"sandbox level '{self.level}': {descriptions[self.level]}"
        return f"{text} ({self.reason})" if self.reason else text


@dataclass
class WorkerProcess:
    popen: subprocess.Popen
    requests: int  # fd the judge writes requests to
    responses: int  # fd the judge reads answers from
    scratch: Path
    uid: int | None  # the worker's own uid (levels full and uid)
    level: str  # the protection level it was started at
    started: int = 0  # its start time, in clock ticks since boot

    @property
    def wrapped(self) -> bool:
        """Started by bwrap, which exits with 128 + N when the worker dies of signal N."""
        return self.level in NAMESPACED

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait(self, timeout: float) -> int | None:
        """The worker's exit status (-N: killed by signal N), or None if still running."""
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return 128 - code if self.wrapped and code > 128 else code

    def cpu_ns(self) -> int:
        """CPU time used so far by the worker and every process it started, in ns."""
        return sum(cpu_ns(pid) for pid in [self.popen.pid, *descendants(self.popen.pid)])

    def processes(self) -> list[int]:
        """The worker's live processes (bwrap's own left out): by uid where it has its own."""
        if self.uid is not None:
            return processes_of(self.uid)
        return [pid for pid in [self.popen.pid, *descendants(self.popen.pid)]
                if not (self.wrapped and _command_name(pid) == "bwrap")]

    # One process, one thread (the speed check) ------------------------------------------------

    @functools.cached_property
    def main_pid(self) -> int | None:
        """The worker's own process among its processes: the one that started first."""
        started = {pid: start_ticks(pid) for pid in self.processes()}
        started = {pid: time for pid, time in started.items() if time is not None}
        return min(started, key=lambda pid: (started[pid], pid)) if started else None

    def main_cpu_ns(self) -> int:
        """CPU time of the worker's own process only (all of its threads), in ns: a quick read
        of /proc, for when the worker is known to be one process."""
        return cpu_ns(self.main_pid) if self.main_pid is not None else 0

    def threads(self) -> int:
        """How many threads the worker's processes have (1: one process of one thread)."""
        total = 0
        for pid in self.processes():
            try:
                total += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                continue
        return total

    def single(self) -> bool:
        """Whether the worker is now one process of one thread."""
        return len(self.processes()) == 1 and self.threads() == 1

    def end_strays(self, attempts: int = 50) -> bool:
        """Kill every process of the worker but the worker itself (what it started earlier);
        whether only the worker is left."""
        for _ in range(attempts):
            strays = [pid for pid in self.processes() if pid != self.main_pid]
            if not strays:
                return True
            for pid in strays:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.01)
        return not [pid for pid in self.processes() if pid != self.main_pid]

    def zombies(self) -> set[int]:
        """The worker's children that have exited but were not waited for (their CPU time is
        counted nowhere else)."""
        return set(zombie_children(self.main_pid))

    def children_cpu_ticks(self) -> int | None:
        """CPU time of the children the worker has waited for (cutime + cstime), in clock
        ticks; None if unreadable."""
        fields = stat_fields(self.main_pid)
        return int(fields[13]) + int(fields[14]) if fields else None

    def forks_blocked(self) -> bool:
        """Whether the worker is one process that can start no other: its hard RLIMIT_NPROC is
        0 (set by the worker itself; only a capability it lacks could raise it again) and its
        uid is not root (which the kernel exempts). The judge cannot set another uid's limits
        here (no CAP_SYS_RESOURCE), so it asks the worker and verifies the result."""
        pids = self.processes()
        if len(pids) != 1:
            return False
        try:
            uid = os.stat(f"/proc/{pids[0]}").st_uid
            limits = Path(f"/proc/{pids[0]}/limits").read_text()
        except OSError:
            return False
        line = next((line for line in limits.splitlines() if line.startswith("Max processes")), "")
        return uid != 0 and line.split()[3:4] == ["0"]

    def kill(self) -> None:
        """Kill the worker and everything it started, close the pipes, remove its files."""
        # bwrap's --die-with-parent takes its pid namespace down with it. Otherwise descendants
        # are found by parentage, orphans by their folder, and processes of its own uid by uid.
        doomed = {self.popen.pid, *descendants(self.popen.pid), *processes_in(self.scratch)}
        if self.uid is not None:
            doomed.update(processes_of(self.uid))
        # Only a subreaper (level limits) adopts orphans; elsewhere our other children stay.
        orphans = _adopted_orphans(self.started) if self.level == "limits" else []
        for orphan in orphans:
            doomed.update([orphan, *descendants(orphan)])
        for pid in doomed:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.popen.wait()
        _live_workers.discard(self.popen.pid)
        for orphan in orphans:  # now our children: reap them
            try:
                os.waitpid(orphan, 0)
            except ChildProcessError:
                pass
        for fd in (self.requests, self.responses):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.uid is not None:
            for pid in processes_of(self.uid):  # forked while the others were being killed
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            remove_files_of(self.uid)
        shutil.rmtree(self.scratch, ignore_errors=True)


# Processes ------------------------------------------------------------------------------------

def _process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, real uid) of every live process, read from /proc (zombies, which
    run nothing and wait for their new parent to reap them, left out)."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = stat_fields(int(entry))
            try:
                uid = os.stat(Path("/proc", entry)).st_uid
            except OSError:
                continue
            if fields and fields[0] != "Z":
                table[int(entry)] = (int(fields[1]), uid)
    return table


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (children before grandchildren)."""
    parents = {child: parent for child, (parent, _) in _process_table().items()}
    found, frontier = [], {pid}
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found.extend(children)
        frontier = set(children)
    return found


def processes_in(folder: Path) -> list[int]:
    """Processes that run from `folder` or name it on their command line (orphans included)."""
    folder = str(folder)
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                command = Path("/proc", entry, "cmdline").read_bytes()
                cwd = os.readlink(f"/proc/{entry}/cwd")
            except OSError:
                continue
            if os.fsencode(folder + "/") in command or (cwd + "/").startswith(folder + "/"):
                found.append(int(entry))
    return found


def _command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def stat_fields(pid: int | None) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ')'.
    return stat.rpartition(")")[2].split()


def start_ticks(pid: int) -> int | None:
    """When `pid` started, in clock ticks since boot (None if it is gone)."""
    fields = stat_fields(pid)
    return int(fields[19]) if fields else None


def zombie_children(parent: int | None) -> list[int]:
    """Children of `parent` that have exited but were not waited for."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = stat_fields(int(entry))
            if fields and fields[0] == "Z" and int(fields[1]) == parent:
                found.append(int(entry))
    return found


@functools.lru_cache(maxsize=None)
def adopt_orphans() -> None:
    """Make this process the reaper of its descendants' orphans (PR_SET_CHILD_SUBREAPER), so a
    daemon that detaches from a worker (double fork, new session) stays in our process tree,
    where kill() finds it. Used at the level `limits`, where nothing else catches such daemons."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _adopted_orphans(since: int) -> list[int]:
    """Our children that we did not start as workers, started since `since`: adopted orphans."""
    own = os.getpid()
    return [pid for pid, (parent, _) in _process_table().items()
            if parent == own and pid not in _live_workers and (start_ticks(pid) or 0) >= since]


def processes_of(uid: int) -> list[int]:
    return [pid for pid, (_, owner) in _process_table().items() if owner == uid]


def remove_files_of(uid: int) -> None:
    """Remove what `uid` left in the world-writable folders (level uid: no private /tmp)."""
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


def cpu_ns(pid: int) -> int:
    """Total on-CPU time of every thread of `pid`, in ns (from /proc/PID/task/*/schedstat)."""
    total = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return 0
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            continue
    return total


# Choosing the protections ---------------------------------------------------------------------

def is_root() -> bool:
    return os.geteuid() == 0


@functools.lru_cache(maxsize=None)
def protections() -> Protections:
    """The protections workers get here: `BN_SANDBOX`, or the strongest that works (probed)."""
    wanted = os.environ.get(SETTING, "auto").strip().lower() or "auto"
    if wanted == "off":
        return Protections("limits", f"{SETTING}=off")
    if wanted in LEVELS:
        return Protections(wanted, f"{SETTING}={wanted}")
    if wanted != "auto":
        raise SandboxError(f"{SETTING}={wanted!r}: expected auto, off, or one of "
                           f"{', '.join(LEVELS)}")
    namespaced = "full" if is_root() else "namespaces"
    problem = _probe(namespaced)
    if problem is None:
        return Protections(namespaced)
    if is_root():
        uid_problem = _probe("uid")
        if uid_problem is None:
            return Protections("uid", problem)
        problem = f"{problem}; {uid_problem}"
    return Protections("limits", problem)


def _probe(level: str) -> str | None:
    """None if a worker at `level` can start Python with numpy here, else why it cannot."""
    missing = [tool for tool in _tools(level) if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed"
    with tempfile.TemporaryDirectory(prefix="bn-probe-") as folder:
        uid = _worker_uid()
        scratch = _make_scratch(Path(folder), level, uid)
        command = _command(level, scratch, Limits(), uid, program=["-c", "import numpy"])
        try:
            done = subprocess.run(command, cwd=scratch / "work", capture_output=True,
                                  env=worker_environment(_work_dir(scratch, level)), timeout=60,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"{level} sandbox failed to start: {error}"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        return f"{level} sandbox unavailable: {lines[-1] if lines else f'exit {done.returncode}'}"
    return None


def _tools(level: str) -> list[str]:
    return {"full": ["bwrap", "setpriv"], "namespaces": ["bwrap"], "uid": ["setpriv"]}.get(level, [])


# Building the worker's command ----------------------------------------------------------------

def _worker_uid() -> int:
    return UID_BASE + ((os.getpid() << 4) | (next(_worker_numbers) & 15))


def _make_scratch(parent: Path, level: str, uid: int | None,
                  submission: Path | None = None) -> Path:
    """parent/{runtime, submission, work}: the worker's code, a copy of the package, its cwd."""
    scratch = Path(tempfile.mkdtemp(prefix="bn-worker-", dir=parent))
    os.chmod(scratch, 0o711)  # the worker's uid may pass through (level uid), not list
    runtime = scratch / "runtime"
    runtime.mkdir()
    for name in WORKER_FILES:
        shutil.copyfile(HERE / name, runtime / name)
    package = scratch / "submission" / PACKAGE
    package.mkdir(parents=True)
    if submission is not None:
        copy_python_files(Path(submission) / PACKAGE, package)
    for path in [runtime, *runtime.iterdir(), scratch / "submission", package,
                 *package.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    work = scratch / "work"
    work.mkdir(mode=0o700)
    if level == "uid":
        os.chown(work, uid, uid)
    return scratch


def copy_python_files(source: Path, destination: Path) -> None:
    """Copy the regular .py files under `source` (never through a symbolic link, which could
    point at the reference) into `destination`, keeping their folders."""
    for directory, folders, files in os.walk(source):  # os.walk does not follow links
        target = destination / Path(directory).relative_to(source)
        folders[:] = [name for name in folders if name != "__pycache__"]
        for name in files:
            path = Path(directory) / name
            if name.endswith(".py") and path.is_file() and not path.is_symlink():
                target.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target / name)


def _work_dir(scratch: Path, level: str) -> Path:
    """The worker's cwd as the worker sees it."""
    return INSIDE_WORK if level in NAMESPACED else scratch / "work"


def _python_roots() -> list[Path]:
    """Folders the worker's Python needs: its prefixes and wherever numpy is installed."""
    import numpy

    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                  str(Path(numpy.__file__).resolve().parents[1]),
                  str(Path(sys.executable).resolve().parent.parent)}
    roots = []
    for candidate in sorted(candidates, key=len):
        path = Path(candidate).resolve()
        if path == Path("/") or path.is_relative_to("/usr") or any(
                path.is_relative_to(root) for root in roots):
            continue
        roots.append(path)
    return roots


def _system_binds() -> list[str]:
    """/usr read-only; /bin, /lib... as the host has them (symlinks into /usr, or folders)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    args += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    return args


def _bind_with_parents(path: Path, made: set[Path]) -> list[str]:
    """Bind `path` at the same place, its parents made passable (bwrap makes them 0700)."""
    args = []
    for parent in reversed(path.parents):
        if parent != Path("/") and parent not in made:
            made.add(parent)
            args += ["--perms", "0755", "--dir", str(parent)]
    return args + ["--ro-bind", str(path), str(path)]


def _bwrap(level: str, scratch: Path, limits: Limits) -> list[str]:
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    if level == "namespaces":
        args.append("--unshare-user")
    args += _system_binds()
    made: set[Path] = set()
    for root in _python_roots():
        args += _bind_with_parents(root, made)
    args += ["--perms", "0755", "--dir", str(INSIDE),
             "--ro-bind", str(scratch / "runtime"), str(INSIDE_RUNTIME),
             "--ro-bind", str(scratch / "submission"), str(INSIDE_SUBMISSION),
             "--size", str(limits.scratch_bytes), "--perms", "1777", "--tmpfs", str(INSIDE_WORK),
             "--proc", "/proc", "--dev", "/dev", "--chdir", str(INSIDE_WORK), "--"]
    return args


def _setpriv(uid: int) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all", "--"]


def _command(level: str, scratch: Path, limits: Limits, uid: int | None,
             program: list[str]) -> list[str]:
    python = [sys.executable, "-I", "-B", *program]
    if level == "full":
        return _bwrap(level, scratch, limits) + _setpriv(uid) + python
    if level == "namespaces":
        return _bwrap(level, scratch, limits) + python
    if level == "uid":
        return _setpriv(uid) + python
    return python


def worker_environment(work: Path) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(work),
        "TMPDIR": str(work),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
        # One thread: timings mean the same on every machine, and a worker uses one core.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        # Keep freed numpy buffers in the heap instead of returning them to the kernel, so a
        # timing measures the arithmetic rather than page faults on fresh memory.
        "MALLOC_MMAP_THRESHOLD_": str(2**30),
        "MALLOC_TRIM_THRESHOLD_": str(2**30),
    }
    # Some processors here need these for OpenBLAS to compute correctly.
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _apply_limits(limits: Limits, level: str):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if level in OWN_UID:
            # Counted per uid: root (bwrap, setpriv) is exempt, the worker's fresh uid is not.
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))

    return apply


def start_worker(submission: Path, limits: Limits) -> WorkerProcess:
    """Start `worker.py` on a copy of the `cs231n` package found in `submission`."""
    level = protections().level
    if level == "limits":
        adopt_orphans()
    uid = _worker_uid() if level in OWN_UID else None
    scratch = _make_scratch(Path(tempfile.gettempdir()), level, uid, Path(submission))
    inside = INSIDE if level in NAMESPACED else scratch
    request_read, request_write = os.pipe()
    response_read, response_write = os.pipe()
    log = open(scratch / "worker.log", "wb")
    program = [str(inside / "runtime" / "worker.py"), str(inside / "submission"),
               str(request_read), str(response_write)]
    try:
        popen = subprocess.Popen(
            _command(level, scratch, limits, uid, program),
            cwd=scratch / "work",
            env=worker_environment(_work_dir(scratch, level)),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            pass_fds=(request_read, response_write),
            start_new_session=True,
            preexec_fn=_apply_limits(limits, level),
        )
    finally:
        log.close()
        os.close(request_read)
        os.close(response_write)
    _live_workers.add(popen.pid)
    return WorkerProcess(popen, request_write, response_read, scratch, uid, level,
                         started=start_ticks(popen.pid) or 0)


def signal_hint(number: int) -> str:
    hints = {
        signal.SIGKILL: " (killed: out of memory, or stopped by the grader)",
        signal.SIGXCPU: " (CPU time limit reached)",
        signal.SIGXFSZ: " (file size limit reached)",
        signal.SIGSEGV: " (segmentation fault)",
    }
    return hints.get(number, "")
