"""A seccomp filter for workers: the system calls student code has no use for fail with EPERM.

Denied: new sockets (the worker talks to the judge over inherited pipes; socketpair stays),
ptrace and process_vm_*, namespaces (unshare, setns, clone with any CLONE_NEW* flag), mounts
and chroot, bpf, perf_event_open, the kernel keyring, userfaultfd, io_uring, kexec, kernel
modules and file handles (open_by_handle_at walks around every path check). clone3 passes its
flags in memory, where a filter cannot look: it fails with ENOSYS, so glibc falls back to clone.
A call from another architecture (32-bit or x32 on x86_64) kills the process, as its numbers mean
other calls.

The filter is a short classic BPF program built here, installed with prctl(PR_SET_SECCOMP)
between fork and exec: no libseccomp (which allocates, after a fork of a threaded grader, and
is one more library to ship), and nothing to compute in the child.
"""

from __future__ import annotations

import ctypes
import errno
import platform

PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
RET_KILL_PROCESS, RET_ERRNO, RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
LOAD_WORD, JUMP_EQUAL, JUMP_AT_LEAST, JUMP_ANY_BIT, RETURN = 0x20, 0x15, 0x35, 0x45, 0x06
# Offsets in struct seccomp_data: nr, arch, then the arguments (64 bits each; the low half
# first on these little-endian machines).
NUMBER, ARCH, FIRST_ARGUMENT = 0, 4, 16
X32_BIT = 0x40000000
CLONE_NEW = (0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000
             | 0x40000000)  # NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET

DENIED = ("socket", "ptrace", "process_vm_readv", "process_vm_writev", "unshare", "setns",
          "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen",
          "fsconfig", "fsmount", "fspick", "mount_setattr", "bpf", "perf_event_open", "keyctl",
          "add_key", "request_key", "userfaultfd", "io_uring_setup", "kexec_load",
          "kexec_file_load", "init_module", "finit_module", "delete_module",
          "open_by_handle_at", "name_to_handle_at")
# The calls added since the tables were unified have the same numbers on both architectures.
_COMMON = {"io_uring_setup": 425, "open_tree": 428, "move_mount": 429, "fsopen": 430,
           "fsconfig": 431, "fsmount": 432, "fspick": 433, "clone3": 435, "mount_setattr": 442}
SYSCALLS = {
    "x86_64": {"socket": 41, "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
               "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155,
               "chroot": 161, "bpf": 321, "perf_event_open": 298, "keyctl": 250,
               "add_key": 248, "request_key": 249, "userfaultfd": 323, "kexec_load": 246,
               "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
               "delete_module": 176, "open_by_handle_at": 304, "name_to_handle_at": 303,
               "clone": 56, **_COMMON},
    "aarch64": {"socket": 198, "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
                "unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41,
                "chroot": 51, "bpf": 280, "perf_event_open": 241, "keyctl": 219,
                "add_key": 217, "request_key": 218, "userfaultfd": 282, "kexec_load": 104,
                "kexec_file_load": 294, "init_module": 105, "finit_module": 273,
                "delete_module": 106, "open_by_handle_at": 265, "name_to_handle_at": 264,
                "clone": 220, **_COMMON},
}
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}


class Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Instruction))]


def _program(machine: str) -> list[tuple[int, int, int, int]]:
    numbers = SYSCALLS[machine]
    eperm, enosys = RET_ERRNO | errno.EPERM, RET_ERRNO | errno.ENOSYS
    code = [(LOAD_WORD, 0, 0, ARCH),
            (JUMP_EQUAL, 1, 0, AUDIT_ARCH[machine]),
            (RETURN, 0, 0, RET_KILL_PROCESS),
            (LOAD_WORD, 0, 0, NUMBER)]
    if machine == "x86_64":  # x32 calls: the same entry points under other numbers
        code += [(JUMP_AT_LEAST, 0, 1, X32_BIT), (RETURN, 0, 0, RET_KILL_PROCESS)]
    # Each test falls through to its return on a match and jumps over it otherwise.
    for name in DENIED:
        code += [(JUMP_EQUAL, 0, 1, numbers[name]), (RETURN, 0, 0, eperm)]
    code += [(JUMP_EQUAL, 0, 1, numbers["clone3"]), (RETURN, 0, 0, enosys),
             (JUMP_EQUAL, 0, 3, numbers["clone"]),
             (LOAD_WORD, 0, 0, FIRST_ARGUMENT),  # clone's flags (their low 32 bits)
             (JUMP_ANY_BIT, 0, 1, CLONE_NEW), (RETURN, 0, 0, eperm),
             (RETURN, 0, 0, RET_ALLOW)]
    return code


def unavailable() -> str | None:
    """None where this filter can be installed, else why not."""
    if platform.system() != "Linux" or platform.machine() not in SYSCALLS:
        return f"the seccomp filter is written for Linux on {' and '.join(SYSCALLS)}"
    return None


class Filter:
    """The worker's filter, built in the parent; `install` in the child, after no_new_privs."""

    def __init__(self):
        problem = unavailable()
        if problem:
            raise OSError(problem)
        code = _program(platform.machine())
        self.instructions = (Instruction * len(code))(*[Instruction(*line) for line in code])
        self.program = Program(len(code), self.instructions)
        self.libc = ctypes.CDLL(None, use_errno=True)

    def install(self) -> None:
        zero = ctypes.c_ulong(0)
        if self.libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER),
                           ctypes.byref(self.program), zero, zero) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
