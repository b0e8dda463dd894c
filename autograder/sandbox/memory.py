"""Sizing workers' memory to the container they run in, so a submission never takes the judge down.

A container's memory limit is its cgroup's (Gradescope's default: 768 MB). A worker's own cap
(`Limits.memory_bytes`, an address-space limit) of 4 GiB means nothing there: the kernel's OOM
killer acts first and may pick any process, the judge included. So:

- `container_limit()` reads the limit of this process's memory cgroup and of every cgroup above
  it (cgroup v1 `memory.limit_in_bytes`, v2 `memory.max`) and takes the smallest;
- `fit_to_container()` lowers the worker's cap to that limit minus what the judge keeps;
- `prefer_to_kill_me()`, called in every worker before it starts, tells the OOM killer to pick a
  worker before anything else (oom_score_adj 1000: any process may raise its own).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from autograder.settings import Limits

CGROUP_ROOT = Path("/sys/fs/cgroup")
# What the judge keeps for itself (Python, numpy, otter, the reference) and the page cache.
JUDGE_RESERVE = 256 * 2**20
# Below this a worker cannot start Python with numpy and the package (measured: 110 MB of
# address space after a few layer calls at 128x512).
WORKER_FLOOR = 192 * 2**20
# Larger than any machine's memory: cgroup v1's "no limit".
UNLIMITED = 2**62


def _cgroup_paths(proc_cgroup: str) -> list[tuple[str, str]]:
    """(controllers, path) pairs from /proc/self/cgroup's text."""
    pairs = []
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            pairs.append((parts[1], parts[2]))
    return pairs


def _read_limit(file: Path) -> int | None:
    try:
        text = file.read_text().strip()
    except OSError:
        return None
    if text == "max" or not text.isdigit() or int(text) >= UNLIMITED:
        return None
    return int(text)


def _limits_along(folder: Path, relative: str, name: str) -> list[int]:
    """The limits in `name` of the cgroup at `relative` under `folder` and of its ancestors."""
    found = []
    path = Path("/") / relative.lstrip("/")
    for ancestor in [path, *path.parents]:
        limit = _read_limit(folder / str(ancestor).lstrip("/") / name)
        if limit is not None:
            found.append(limit)
    return found


def container_limit(root: Path = CGROUP_ROOT, proc_cgroup: str | None = None) -> int | None:
    """The memory limit, in bytes, that applies to this process (None: none found)."""
    if proc_cgroup is None:
        try:
            proc_cgroup = Path("/proc/self/cgroup").read_text()
        except OSError:
            return None
    found = []
    for controllers, path in _cgroup_paths(proc_cgroup):
        if "memory" in controllers.split(","):  # cgroup v1
            folder = root / "memory" if (root / "memory").is_dir() else root
            found += _limits_along(folder, path, "memory.limit_in_bytes")
        elif controllers == "":  # cgroup v2: one unified hierarchy
            found += _limits_along(root, path, "memory.max")
    return min(found) if found else None


def fit_to_container(limits: Limits, container: int | None) -> tuple[Limits, str]:
    """`limits` with the worker's memory cap lowered to fit `container` (bytes, or None for no
    limit), and a sentence saying what was chosen."""
    if container is None:
        return limits, f"no container memory limit found; each worker may use " \
                       f"{_size(limits.memory_bytes)}"
    room = max(container - JUDGE_RESERVE, WORKER_FLOOR)
    fitted = replace(limits, memory_bytes=min(limits.memory_bytes, room))
    note = (f"container memory limit {_size(container)}: each worker may use "
            f"{_size(fitted.memory_bytes)} (the judge keeps {_size(JUDGE_RESERVE)}; a worker is "
            "the out-of-memory killer's first choice)")
    if container - JUDGE_RESERVE < WORKER_FLOOR:
        note += f"; WARNING: under {_size(WORKER_FLOOR + JUDGE_RESERVE)} is too little to grade"
    return fitted, note


def prefer_to_kill_me() -> None:
    """Make the calling process the OOM killer's first choice (in a worker, before it starts)."""
    try:
        with open("/proc/self/oom_score_adj", "w") as file:
            file.write("1000")
    except OSError:
        pass  # no /proc here: the address-space cap still applies


def _size(count: int) -> str:
    return f"{count / 2**30:g} GiB" if count >= 2**30 else f"{count / 2**20:.0f} MiB"
