"""At the `uid` level only file permissions and the firewall keep a worker from what it must not
reach: check it as a worker's uid before grading, close what the grader owns, or refuse.

`secure(level, secrets)` refuses the `limits` level unless it was asked for (a worker there can
read whatever the grader can), naming what would isolate workers on this machine, and does, at
the `uid` level (`full`, `namespaces` and `landlock` need nothing of it: bubblewrap or Landlock
shows a worker none of these folders, and no network):

- checks that a worker's own uid can run the Python at all (not from a checkout in a 0700
  folder), or refuses, saying why and what to use instead;
- asks a process running as a fresh worker uid which of `secrets` (the reference, the hidden
  checks, the other submissions, the output folder) it can read, list or pass through;
- closes those the grader owns to other users (`chmod o-rwx`) and asks again;
- raises `SandboxError` naming what is still within reach and how to close it;
- blocks the network of every worker uid with iptables/ip6tables (owner match) where the
  machine allows it, and says so where it does not.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from autograder.sandbox import landlock, levels
from autograder.sandbox.command import UID_BASE, worker_uid
from autograder.sandbox.levels import SandboxError

# Every uid worker_uid() can return: (pid << 4 | counter) with pids below 2**22 (Linux's most).
UID_LAST = UID_BASE + (2**22 << 4) + 15
# Run as the worker's uid: which of the paths it can read, list, or pass through (a folder it can
# pass through gives away every file whose name can be guessed: the package's own files, say).
REACH_PROBE = r"""
import json, os, sys
print(json.dumps([top for top in json.loads(sys.argv[1])
                  if os.access(top, os.R_OK) or (os.path.isdir(top) and os.access(top, os.X_OK))]))
"""


def reachable(paths: list[Path]) -> list[Path]:
    """Those of `paths` that a process of a fresh worker uid can read, list or pass through."""
    existing = [str(Path(path).resolve()) for path in paths if Path(path).exists()]
    if not existing:
        return []
    uid = worker_uid()
    command = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--",
               sys.executable, "-I", "-S", "-c", REACH_PROBE, json.dumps(existing)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd="/",
                          stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
    if done.returncode != 0:
        raise SandboxError(f"could not check what a worker can reach: {done.stderr.strip()}")
    return [Path(path) for path in json.loads(done.stdout)]


def close_to_others(path: Path) -> bool:
    """chmod o-rwx `path` if it exists and this process owns it; whether it did."""
    try:
        info = Path(path).stat()
    except FileNotFoundError:
        return False
    if info.st_uid != os.geteuid():
        return False
    Path(path).chmod(stat.S_IMODE(info.st_mode) & ~0o007)
    return True


def block_network() -> str:
    """Reject every packet a worker uid sends (IPv4 and IPv6); say what was done."""
    rule = ["OUTPUT", "-m", "owner", "--uid-owner", f"{UID_BASE}-{UID_LAST}", "-j", "REJECT"]
    done = []
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    for name in ("iptables", "ip6tables"):
        tool = shutil.which(name, path=search)
        if tool is None:
            return f"network NOT blocked: {name} is not installed (make sandbox-tools installs it)"
        present = subprocess.run([tool, "-w", "-C", *rule], capture_output=True)
        if present.returncode != 0:
            added = subprocess.run([tool, "-w", "-A", *rule], capture_output=True, text=True)
            if added.returncode != 0:
                return f"network NOT blocked: {name} refused ({added.stderr.strip()})"
        done.append(name)
    return f"network blocked for worker uids ({' and '.join(done)} owner rule)"


NO_ISOLATION = (
    "student code cannot be isolated here ({reason}): it would run as you, able to read the "
    "reference, the other submissions and your files. What would isolate it on this machine: "
    "{ways}; BN_SANDBOX=off grades anyway, without isolation")
USERNS_SYSCTL = Path("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")


def ways_to_isolate(reason: str = "") -> list[str]:
    """The commands that would give workers isolation on this machine, most likely first."""
    ways = []
    if not levels.is_root():
        ways.append("grading as root, `sudo make grade` (levels full or uid)")
    if shutil.which("bwrap") is None or "bwrap" in reason:
        ways.append("installing bubblewrap (`make sandbox-tools` as root, or your "
                    "distribution's package)")
    try:
        restricted = USERNS_SYSCTL.read_text().strip() == "1"
    except OSError:
        restricted = False
    if restricted:
        ways.append("letting bubblewrap make user namespaces (Ubuntu 24.04 refuses them: "
                    "`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`, or an "
                    "AppArmor profile for bwrap)")
    problem = landlock.unavailable()
    if problem:
        ways.append(f"a kernel with Landlock for the level landlock, which needs neither root nor "
                    f"namespaces ({problem})")
    return ways or ["grading as root, or with bubblewrap installed"]


def secure(level: str, secrets: list[Path], forced: bool = False, reason: str = "") -> list[str]:
    """Make sure a worker at `level` reaches none of `secrets`; return what was done, for the
    log. Raises SandboxError, saying how to fix it, when something stays within reach: at the
    `limits` level everything does, so it is refused unless asked for (`forced`, BN_SANDBOX=off);
    `reason` says why nothing stronger works."""
    if level == "limits" and not forced:
        raise SandboxError(NO_ISOLATION.format(reason=reason or "unknown",
                                               ways="; ".join(ways_to_isolate(reason))))
    if level != "uid":
        return []
    problem = levels._probe("uid")
    if problem is not None:
        raise SandboxError(f"student code cannot run at sandbox level 'uid': {problem}. Grade "
                           "with BN_SANDBOX=landlock (or auto, which picks the strongest level "
                           "that works), or from a checkout every user may pass through")
    notes = []
    open_paths = reachable(secrets)
    closed = [path for path in open_paths if close_to_others(path)]
    if closed:
        notes.append("closed to other users: " + ", ".join(map(str, closed)))
    still = reachable(open_paths) if closed else open_paths
    if still:
        raise SandboxError(
            "at sandbox level 'uid' student code could read " + ", ".join(map(str, still)) +
            " (not the grader's to close). Run `chmod o-rwx` on them (and on any copy of the "
            "reference or of submissions), or grade where bubblewrap works (level full)")
    notes.append(block_network())
    return notes
