"""A population of dropout implementations, written the way students write them.

Each file is one member: real Python whose functions are appended to a copy of the reference's
`cs231n/layers.py`, where they replace the functions of the same name (dropout_forward,
dropout_backward). A member that changes the network instead lists `NET_EDITS`, text edits
`(old, new)` inside `FullyConnectedNet` of `cs231n/classifiers/fc_net.py` (each `old` occurs once
there). Its docstring says what it is, `KIND` whether it is a right ("right") or a wrong ("wrong")
answer, and `EXPECT` the verdict ("full", "partial", "zero") each question it touches must get;
every other question must keep full marks. tests/test_dropout_population.py grades every member.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from autograder.build import variants

FOLDER = Path(__file__).resolve().parent
LAYERS = "cs231n/layers.py"
FC_NET = "cs231n/classifiers/fc_net.py"
CONSTANTS = ("KIND", "EXPECT", "NET_EDITS")


@dataclass(frozen=True)
class Member:
    name: str  # the file's name without .py
    kind: str  # right, wrong
    summary: str  # the docstring's first line
    expect: dict  # {question: "full" | "partial" | "zero"} for the questions it touches
    code: str  # what is appended to layers.py ("" when it only edits the network)
    net_edits: tuple = ()  # (old, new) edits inside FullyConnectedNet

    def build(self, folder: Path, source: Path) -> Path:
        """A submission folder: the reference package `source` with this member applied."""
        edits = [(FC_NET, "FullyConnectedNet", old, new) for old, new in self.net_edits]
        made = variants.make_variant(folder, edits, source)
        if self.code:
            with open(made / LAYERS, "a", encoding="utf-8") as layers:
                layers.write(f"\n\n# ---- dropout population member: {self.name}\n{self.code}")
        return made


def read(path: Path) -> Member:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    constants, code = {}, []
    for node in tree.body[1:]:  # after the docstring
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in CONSTANTS):
            constants[node.targets[0].id] = ast.literal_eval(node.value)
        else:
            code.append(ast.get_source_segment(source, node))
    return Member(path.stem, constants["KIND"], ast.get_docstring(tree).splitlines()[0],
                  constants["EXPECT"], "\n\n\n".join(code) + ("\n" if code else ""),
                  tuple(tuple(edit) for edit in constants.get("NET_EDITS", ())))


def members() -> list[Member]:
    """Every member: the right ones first, then the wrong ones, each by name."""
    found = [read(path) for path in sorted(FOLDER.glob("*.py")) if path.name != "__init__.py"]
    return sorted(found, key=lambda member: (member.kind != "right", member.name))
