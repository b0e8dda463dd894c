"""Start the worker that runs one submission's code, isolated, and remove every trace of it after.

The strongest protections the machine allows are chosen once per process (`protections()`):

- `full` (the grader is root, bubblewrap works): the worker runs under `bwrap` in new mount, pid,
  network, IPC and UTS namespaces, as a uid of its own that no account owns (`setpriv`, no
  capabilities, no_new_privs). It sees /usr and the Python runtime read-only, a copy of its own
  submission (read-only, /sandbox/submission), the worker's runtime folder (/sandbox/runtime), a
  size-limited tmpfs scratch (/sandbox/work: cwd, HOME, TMPDIR), and its own /proc and /dev. No
  network, loopback included. Killing bwrap kills the whole pid namespace, daemons included.
- `namespaces` (not root, unprivileged user namespaces work): the same view, under the grader's uid.
- `uid` (root, but no namespaces, as in an unprivileged container): the worker runs under its own
  uid in a scratch folder, confined by Landlock and seccomp as at `landlock` where the kernel has
  Landlock (otherwise files readable by every user stay visible to it, so protect them by their
  permissions, as Gradescope's run_autograder does). Every process and /tmp file of that uid is
  removed at the end. It needs a Python every user may reach: not a checkout in a 0700 folder.
- `landlock` (no root and no namespaces needed, as on Ubuntu 24.04 where AppArmor refuses bwrap
  its user namespaces; Linux 5.13 or newer): the worker runs under the grader's uid (as root,
  without capabilities), with no_new_privs, Landlock (it may read /usr, the Python, its runtime
  and its package, write only its scratch's work/; no TCP; no signals or abstract unix sockets
  out of its domain; no ptrace) and a seccomp filter (no new sockets, namespaces, mounts, bpf,
  keyrings...). It sees the machine's process list; the grader adopts its orphans.
- `limits`: resource limits, its own session, a scratch folder, and cleanup by process tree.

Every level sets the resource limits of `Limits` (memory, CPU time, file size, processes where the
kernel counts them per uid) and a minimal environment. `BN_SANDBOX` chooses: `auto` (default:
the strongest that works here, in the order full or namespaces, uid, landlock, limits), `full`,
`namespaces`, `uid`, `landlock`, or `off` (= `limits`).

The package: `levels` (choosing the level), `command` (building the worker's command: scratch,
bwrap/setpriv, environment, limits), `landlock` and `seccomp` (confining a worker without
namespaces), `memory` (fitting workers' memory to the container),
`reach` (at the uid level: what a worker can reach, closed, and its network blocked),
`process` (starting a worker, killing it and cleaning up).
What a worker runs is autograder/runtime, copied as a folder; /proc is read by autograder.sandbox.procfs.
"""

from autograder.sandbox.levels import (
    LEVELS,
    NAMESPACED,
    OWN_UID,
    SETTING,
    Protections,
    SandboxError,
    protections,
)
from autograder.sandbox.memory import container_limit, fit_to_container
from autograder.sandbox.reach import close_to_others, secure
from autograder.sandbox.process import WorkerProcess, signal_hint, start_worker
from autograder.settings import Limits

__all__ = ["LEVELS", "NAMESPACED", "OWN_UID", "SETTING", "Limits", "Protections", "SandboxError",
           "WorkerProcess", "close_to_others", "container_limit", "fit_to_container",
           "protections", "secure", "signal_hint", "start_worker"]
