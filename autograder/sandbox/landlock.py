"""Landlock: confine a process to a view of the filesystem, with no TCP and no signals out.

Landlock (Linux 5.13 and later) lets an unprivileged process restrict itself and its future
children: no root, no namespaces, nothing for an AppArmor policy to refuse. A `Ruleset` is built
in the grader (the paths and what may be done beneath each) and applied in the worker between
fork and exec (`Ruleset.restrict`), after no_new_privs; it holds across exec and setuid.

Handled, so denied unless a rule allows it: every filesystem right the kernel's ABI knows
(masked per ABI 1..7); from ABI 4, binding and connecting TCP sockets (no rule allows any port);
from ABI 6, signals to processes outside the domain and connecting to abstract unix sockets
outside it (the grader's, other workers'). Landlock also refuses ptrace of processes outside the
domain at every ABI, which hides /proc/<pid>/environ, maps, mem and fd of the grader.

The three system calls are made directly through ctypes: the interface is three calls and two
structures, and a binding (PyPI's `landlock`) would add a dependency to pin, audit and ship to
Gradescope for about a hundred lines.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform

# System call numbers: the same on x86_64 and aarch64 (added after the tables were unified).
CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15  # ABI 2, 3, 5
FS_ABI_1 = (1 << 13) - 1  # execute .. make_sym
# The rights a rule on a file (not a folder) may carry.
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

READ = READ_FILE | READ_DIR
READ_EXECUTE = READ | EXECUTE
EVERYTHING = (1 << 16) - 1  # masked to the ABI's rights


class RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # packed in the kernel's header
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _fs_rights(abi: int) -> int:
    rights = FS_ABI_1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


@functools.lru_cache(maxsize=None)
def abi() -> int:
    """The kernel's Landlock ABI version, 0 where it has none (see `unavailable`)."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "aarch64"):
        return 0
    version = _libc().syscall(ctypes.c_long(CREATE_RULESET), None, ctypes.c_size_t(0),
                              ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(int(version), 0)


def unavailable() -> str | None:
    """None where Landlock works, else why not and what would make it work."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "aarch64"):
        return f"Landlock needs Linux on x86_64 or aarch64 (this is {platform.system()} " \
               f"{platform.machine()})"
    if abi() == 0:
        return ("this kernel has no Landlock (it needs Linux 5.13 or newer with landlock in "
                "its lsm= boot list)")
    return None


class Ruleset:
    """What a confined process may do beneath which paths; built in the parent, applied in the
    child (`restrict`), which then only opens the paths and makes the calls."""

    def __init__(self, rules: list[tuple[str, int]]):
        """`rules`: (path, rights) pairs; paths that do not exist are left out, and rights are
        masked to what the kernel knows and to what a file (not a folder) may carry."""
        self.abi = abi()
        if self.abi == 0:
            raise OSError(unavailable())
        fs = _fs_rights(self.abi)
        net = NET_BIND_TCP | NET_CONNECT_TCP if self.abi >= 4 else 0
        scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if self.abi >= 6 else 0
        self.attr = RulesetAttr(fs, net, scoped)
        # An older kernel reads a shorter structure: only the fields its ABI knows.
        self.attr_size = 24 if self.abi >= 6 else 16 if self.abi >= 4 else 8
        self.rules = []
        for path, rights in rules:
            if not os.path.exists(path):
                continue
            mask = fs if os.path.isdir(path) else fs & FILE_RIGHTS
            self.rules.append((os.fsencode(path), PathBeneathAttr(rights & mask, -1)))
        self.libc = _libc()

    def _call(self, number: int, *args) -> int:
        result = self.libc.syscall(ctypes.c_long(number), *args)
        if result < 0:
            error = ctypes.get_errno()
            raise OSError(error, f"landlock call {number}: {os.strerror(error)}")
        return int(result)

    def restrict(self) -> None:
        """Confine this process (and what it executes) to the rules. In the child, between fork
        and exec: no_new_privs first (Landlock requires it of an unprivileged process), then
        the ruleset, whose descriptors are all closed before the worker runs."""
        one, zero = ctypes.c_ulong(1), ctypes.c_ulong(0)
        if self.libc.prctl(PR_SET_NO_NEW_PRIVS, one, zero, zero, zero) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        ruleset = self._call(CREATE_RULESET, ctypes.byref(self.attr),
                             ctypes.c_size_t(self.attr_size), ctypes.c_uint32(0))
        try:
            for path, beneath in self.rules:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                try:
                    beneath.parent_fd = fd
                    self._call(ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                               ctypes.byref(beneath), ctypes.c_uint32(0))
                finally:
                    os.close(fd)
            self._call(RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
        finally:
            os.close(ruleset)
