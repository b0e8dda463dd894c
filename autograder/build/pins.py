"""The tested environment's pins (constraints.txt), and what a set of packages needs of them.

`pinned_closure(packages)` gives the pinned requirements of `packages` and of everything they pull
in, at the versions of constraints.txt: the handout's requirements.txt (build.py) and the
Gradescope image's (package.py) are both made by it, so every environment the project ships is a
part of the one it tests.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder import paths


class UnpinnedError(ValueError):
    """A package needed is not pinned by constraints.txt."""


def pins(constraints: Path) -> dict[str, tuple[str, str]]:
    """{normalized name: (name as written, version)} of a pip-freeze style file."""
    return pins_of(constraints.read_text(encoding="utf-8"))


def pins_of(text: str) -> dict[str, tuple[str, str]]:
    """{normalized name: (name as written, version)} of a pip-freeze style text."""
    found = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = (part.strip() for part in line.split("==", 1))
            found[canonical(name)] = (name, version)
    return found


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dependency_closure(packages, requires=None) -> set[str]:
    """The normalized names of `packages` (names, or requirements such as
    "otter-grader[grading]") and of everything they require, extras followed,
    with environment markers evaluated here. `requires(name)` lists a distribution's
    requirement strings (default: the installed distribution's metadata)."""
    from importlib import metadata

    from packaging.requirements import Requirement

    requires = requires or (lambda name: metadata.requires(name) or [])
    extras_seen: dict[str, set[str]] = {}
    todo = [(Requirement(package).name, frozenset(Requirement(package).extras))
            for package in packages]
    while todo:
        name, extras = todo.pop()
        key = canonical(name)
        if key in extras_seen and extras <= extras_seen[key]:
            continue
        extras_seen.setdefault(key, set()).update(extras)
        for line in requires(name):
            requirement = Requirement(line)
            environments = [{"extra": extra} for extra in ("", *extras)]
            if requirement.marker is None or any(requirement.marker.evaluate(environment)
                                                 for environment in environments):
                todo.append((requirement.name, frozenset(requirement.extras)))
    return set(extras_seen)


def pinned_closure(packages, constraints: Path = paths.ROOT / "constraints.txt",
                   requires=None) -> str:
    """`packages` and everything they pull in, one `name==version` line each as `constraints`
    pins them (the tested environment), sorted by name."""
    pinned = pins(constraints)
    needed = dependency_closure(packages, requires)
    unpinned = sorted(needed - set(pinned))
    if unpinned:
        raise UnpinnedError(f"{constraints.name} pins no version of {', '.join(unpinned)}, which "
                         f"{', '.join(packages)} need: add it (pip freeze of the environment)")
    return "\n".join(f"{pinned[key][0]}=={pinned[key][1]}" for key in sorted(needed)) + "\n"
