"""The prelude: what every attack is told, and the helpers every attack shares.

Not imported, not collected: tests/attack_recipes.py reads this file as text, drops this
docstring, writes what the attack knows (its Intel and its process label) into `_ATK` and puts
the result in front of every attack's code (the sections of the other files of this folder).
"""

# ---- adversarial suite: attack prelude --------------------------------------------------------
_ATK = {}  # rewritten by the builder: the attack's Intel (as a dict) and its process label

import os as _atk_os  # noqa: E402
import sys as _atk_sys  # noqa: E402
import time as _atk_time  # noqa: E402


def _atk_name_process():
    try:
        import ctypes

        ctypes.CDLL(None).prctl(15, _ATK["label"].encode(), 0, 0, 0)  # PR_SET_NAME
    except Exception:
        pass


_atk_name_process()
# The safety belt (see tests/attack_recipes.py): never write or signal outside the scratch as
# root.
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
    for word in text.replace("\0", " ").replace("=", " ").replace(":", " ").split():
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
