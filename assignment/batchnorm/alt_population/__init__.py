"""A population of batchnorm_backward_alt implementations, written the way students write them.

Each file is one member: real Python whose code is appended to a copy of the reference's
`cs231n/layers.py`, where they replace the functions of the same name (the reference's own cache
layout: x_hat, x_centered, var, std, gamma, eps). Its docstring says what it is, `KIND` which
family it belongs to, `SHOULD_PASS` what the speed question must say of it (None: beyond what
any black-box rule can tell, a limit the README states), and `FLAGGED = True` that the question
must flag it for review (no rule can decide; its points then follow make grade's REVIEW=).
`make bench` (../bench.py) grades
every member many times, alone, beside another grading and under half a CPU;
tests/test_alt_population.py grades each once, quickly.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from autograder import paths
from autograder.build import variants

FOLDER = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Member:
    name: str  # the file's name without .py
    kind: str  # honest, staged, slow, memo, cheat
    summary: str  # the docstring's first line
    should_pass: bool | None
    code: str  # what is appended to layers.py
    flagged: bool = False  # the speed question must flag it for review (no rule can decide)

    @property
    def verdicts(self) -> tuple[str, ...]:
        """What the speed question may say of it: pass, fail or review."""
        if self.should_pass is None:  # beyond any black-box rule: whatever it gets, not counted
            return ("pass", "review", "fail")
        if self.flagged:
            return ("review",)
        return ("pass",) if self.should_pass else ("fail",)

    def build(self, folder: Path) -> Path:
        """A submission folder: the reference package with this member's code appended."""
        made = variants.make_variant(folder, [])
        with open(made / paths.STUDENT_FILES["layers.py"], "a", encoding="utf-8") as layers:
            layers.write(f"\n\n# ---- alt population member: {self.name}\n{self.code}")
        return made


def read(path: Path) -> Member:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    constants = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
                 if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                 and node.targets[0].id in ("SHOULD_PASS", "KIND", "FLAGGED")}
    lines = source.splitlines(keepends=True)
    first = tree.body[1].lineno - 1  # after the docstring
    return Member(path.stem, constants["KIND"], ast.get_docstring(tree).splitlines()[0],
                  constants["SHOULD_PASS"], "".join(lines[first:]),
                  constants.get("FLAGGED", False))


def members() -> list[Member]:
    """Every member, the reference first."""
    found = [read(path) for path in sorted(FOLDER.glob("*.py")) if path.name != "__init__.py"]
    return sorted(found, key=lambda member: (member.name != "reference", member.kind,
                                              member.name))
