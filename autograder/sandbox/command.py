"""Building a worker's command: its scratch folder, its uid, and how it is wrapped and limited.

A worker's scratch holds `runtime/` (a copy of autograder/runtime), `submission/<package>` (a copy of
the package's regular .py files) and `work/` (its cwd). At `full` and `namespaces` bubblewrap
shows it only these, /usr and the Python environment (read-only), under /sandbox; at `full` and
`uid` setpriv drops it to a uid no account owns. At `landlock` and `uid` (where the kernel has
Landlock) Landlock and seccomp confine it to `confined_view`. Every level gets a minimal
environment and the resource limits of `Limits`, set between fork and exec.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import sys
import tempfile
from pathlib import Path

from autograder import manifest
from autograder.sandbox import landlock, seccomp
from autograder.sandbox.levels import NAMESPACED, OWN_UID
from autograder.sandbox.memory import prefer_to_kill_me
from autograder.settings import Limits

try:
    import resource
except ImportError:  # Windows: no resource limits, so make grade refuses there first
    resource = None

RUNTIME = Path(__file__).resolve().parent.parent / "runtime"  # copied as a whole
# Workers run as uids no account owns, one per live worker (parent pid and a counter), so that a
# fork flood in one worker cannot use up another's process limit, and no two workers can signal
# each other or read each other's files.
UID_BASE = 1_500_000_000
_worker_numbers = itertools.count()

# Inside the namespace sandbox.
INSIDE = Path("/sandbox")
INSIDE_SUBMISSION = INSIDE / "submission"
INSIDE_RUNTIME = INSIDE / "runtime"
INSIDE_WORK = INSIDE / "work"
# Shown to every namespaced worker as the host has them.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def worker_uid() -> int:
    return UID_BASE + ((os.getpid() << 4) | (next(_worker_numbers) & 15))


def passable_by_all(folder: Path) -> bool:
    """Whether every user can pass through `folder` and each folder above it (o+x)."""
    folder = Path(folder).resolve()
    try:
        return all(os.stat(path).st_mode & 0o001 for path in [folder, *folder.parents])
    except OSError:
        return False


def scratch_parent(level: str) -> Path:
    """Where a worker's scratch folder goes: the temporary folder, unless the worker runs as a
    uid of its own with no private view (level uid) and could not pass through it (a TMPDIR in
    a 0700 folder such as /root, or make grade's OUT there): then a system one it can."""
    base = Path(tempfile.gettempdir())
    if level != "uid" or passable_by_all(base):
        return base
    for candidate in (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")):
        if candidate.is_dir() and passable_by_all(candidate):
            return candidate
    raise OSError(f"no folder that a worker's own uid can reach for its scratch ({base} and "
                  "/tmp are closed to other users)")


def make_scratch(parent: Path, level: str, uid: int | None,
                 submission: Path | None = None) -> Path:
    """parent/{runtime, submission, work}: the worker's code, a copy of the package, its cwd."""
    scratch = Path(tempfile.mkdtemp(prefix="bn-worker-", dir=parent))
    os.chmod(scratch, 0o711)  # the worker's uid may pass through (level uid), not list
    runtime = scratch / "runtime"
    shutil.copytree(RUNTIME, runtime, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    name = manifest.current().package  # the one folder the worker finds in submission/
    package = scratch / "submission" / name
    package.mkdir(parents=True)
    if submission is not None:
        copy_python_files(Path(submission) / name, package)
    for path in [runtime, *runtime.rglob("*"), scratch / "submission", package,
                 *package.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    if level in OWN_UID:
        # Only its own worker may read a package copy: at level uid, another worker (the
        # student's, beside the speed check's reference worker) could find this folder in /proc.
        for path in [scratch / "submission", package, *package.rglob("*")]:
            os.chown(path, uid, uid)
        os.chmod(scratch / "submission", 0o700)
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


def work_dir(scratch: Path, level: str) -> Path:
    """The worker's cwd as the worker sees it."""
    return INSIDE_WORK if level in NAMESPACED else scratch / "work"


def _loaded_library_folders() -> set[str]:
    """Folders of the shared libraries this interpreter has loaded (libpython, for one, may live
    outside its prefix: an interpreter built with an absolute run path)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return set()
    folders = set()
    for line in maps.splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and ".so" in fields[5].rsplit("/", 1)[-1]:
            folders.add(os.path.dirname(fields[5]))
    return folders


@functools.lru_cache(maxsize=None)
def _python_roots() -> tuple[Path, ...]:
    """Folders the worker's Python needs: its prefixes, its shared libraries and wherever numpy
    is installed (the same for every worker this process starts: read once)."""
    import numpy

    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                  str(Path(numpy.__file__).resolve().parents[1]),
                  str(Path(sys.executable).resolve().parent.parent),
                  *_loaded_library_folders()}
    roots = []
    for candidate in sorted(candidates, key=len):
        path = Path(candidate).resolve()
        if path == Path("/") or any(path.is_relative_to(system) for system in SYSTEM) or any(
                path.is_relative_to(root) for root in roots):
            continue
        roots.append(path)
    return tuple(roots)


def python_out_of_reach() -> list[Path]:
    """The worker's Python folders that a uid of its own cannot pass through (a checkout in a
    0700 folder): the uid level cannot run there."""
    return [root for root in _python_roots() if not passable_by_all(root)]


def _system_binds() -> list[str]:
    """/usr read-only; /bin, /lib... as the host has them (symlinks into /usr, or folders)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in SYSTEM[1:]:
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


def confined_view(scratch: Path) -> list[tuple[str, int]]:
    """What a Landlock-confined worker may do where: read and execute the system and its Python,
    read its runtime and its package, do anything in work/ (cwd, HOME, TMPDIR), use the harmless
    devices, and read /proc: the worker reads /proc/self/statm (its memory against RLIMIT_AS);
    of another process /proc shows no more than `ps` does, as Landlock denies the ptrace access
    that environ, maps, mem, fd, cwd and root need outside its domain. Nothing else."""
    view = [(path, landlock.READ_EXECUTE) for path in SYSTEM]
    view += [(str(root), landlock.READ_EXECUTE) for root in _python_roots()]
    view += [("/etc/ld.so.cache", landlock.READ_FILE), ("/proc", landlock.READ),
             (str(scratch / "runtime"), landlock.READ),
             (str(scratch / "submission"), landlock.READ),
             (str(scratch / "work"), landlock.EVERYTHING),
             ("/dev/urandom", landlock.READ_FILE)]
    view += [(device, landlock.READ_FILE | landlock.WRITE_FILE)
             for device in ("/dev/null", "/dev/zero")]
    return view


def confines(level: str) -> bool:
    """Whether Landlock and seccomp confine a worker at `level`: always at `landlock`, and at
    `uid` where the kernel has Landlock (so files every user may read stay out of reach)."""
    return level == "landlock" or (level == "uid" and landlock.abi() > 0)


def _setpriv(uid: int) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all", "--"]


def worker_command(level: str, scratch: Path, limits: Limits, uid: int | None,
                   program: list[str]) -> list[str]:
    """`python -I -B program...`, wrapped as `level` asks (bwrap, setpriv, both or neither)."""
    python = [sys.executable, "-I", "-B", *program]
    if level == "full":
        return _bwrap(level, scratch, limits) + _setpriv(uid) + python
    if level == "namespaces":
        return _bwrap(level, scratch, limits) + python
    if level == "uid":
        return _setpriv(uid) + python
    if level == "landlock" and os.geteuid() == 0:
        # Root keeps its uid here (no uid of its own reaches this Python) but no capability.
        return ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"] + python
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
    # Some processors here need these for OpenBLAS to compute correctly; numpy's dispatch
    # restricted by the grader (NPY_DISABLE_CPU_FEATURES) stands for a CPU without those features.
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "NPY_DISABLE_CPU_FEATURES"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def apply_limits(limits: Limits, level: str, scratch: Path | None = None):
    """The preexec function that sets the worker's resource limits and, where the level
    `confines`, Landlock (to the view of `scratch`) and seccomp: after fork, before exec. Both
    are built here, in the parent; the child only opens the view's paths and makes the calls."""
    ruleset = landlock.Ruleset(confined_view(scratch)) if confines(level) else None
    syscall_filter = seccomp.Filter() if ruleset is not None else None

    def apply() -> None:
        prefer_to_kill_me()
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if level in OWN_UID:
            # Counted per uid: root (bwrap, setpriv) is exempt, the worker's fresh uid is not.
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        if ruleset is not None:
            ruleset.restrict()  # sets no_new_privs, which the filter needs too
            syscall_filter.install()

    return apply
