"""The solution regions of a package's `.py` files, and the two files made from each source.

A region is the lines between `# BEGIN SOLUTION <assignment>` and `# END SOLUTION` (markers
alone on their lines, same indentation, never nested); the tag names the assignment whose
student writes it (a region without a tag belongs to every assignment). The template replaces
each region by a stub that raises NotImplementedError; the solution keeps this assignment's
regions without their markers and stubs the other assignments' ones.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from autograder import manifest

BEGIN_MARKER = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?:[ \t]+(?P<tag>\w+))?[ \t]*$")
END_MARKER = re.compile(r"^(?P<indent>[ \t]*)# END SOLUTION[ \t]*$")


class BuildError(Exception):
    """The assignment source is malformed; the message says where and how to fix it."""


@dataclass(frozen=True)
class Region:
    """One solution region: 0-based line numbers of its BEGIN and END markers."""

    begin: int
    end: int
    indent: str
    owner: str  # qualified name of the function that holds it, e.g. "FullyConnectedNet.loss"
    tag: str = ""  # the assignment it belongs to ("": every assignment)

    def belongs_to(self, assignment: str) -> bool:
        return not self.tag or self.tag == assignment


def find_regions(source: str, filename: str) -> list[Region]:
    """Locate the solution regions of a Python source and the function each one belongs to."""
    lines = source.splitlines()
    owners = _function_spans(source, filename)
    regions, open_at = [], None
    for number, line in enumerate(lines):
        begin, end = BEGIN_MARKER.match(line), END_MARKER.match(line)
        if begin:
            if open_at is not None:
                raise BuildError(
                    f"{filename}:{number + 1}: '# BEGIN SOLUTION' inside the region opened at "
                    f"line {open_at[0] + 1}; close it with '# END SOLUTION' first"
                )
            open_at = (number, begin["indent"], begin["tag"] or "")
        elif end:
            if open_at is None:
                raise BuildError(f"{filename}:{number + 1}: '# END SOLUTION' without a BEGIN")
            start, indent, tag = open_at
            if end["indent"] != indent:
                raise BuildError(
                    f"{filename}:{number + 1}: '# END SOLUTION' is indented differently from "
                    f"its '# BEGIN SOLUTION' at line {start + 1}"
                )
            regions.append(Region(start, number, indent, _owner_of(start + 1, owners, filename),
                                  tag))
            open_at = None
        elif "BEGIN SOLUTION" in line or "END SOLUTION" in line:
            raise BuildError(
                f"{filename}:{number + 1}: a solution marker must stand alone on its line as "
                "'# BEGIN SOLUTION <assignment>' or '# END SOLUTION'"
            )
    if open_at is not None:
        raise BuildError(f"{filename}:{open_at[0] + 1}: '# BEGIN SOLUTION' is never closed")
    return regions


def _function_spans(source: str, filename: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function, 1-based, outermost first."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as error:
        raise BuildError(f"{filename}:{error.lineno}: {error.msg}") from error
    spans = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return spans


def _owner_of(line: int, spans: list[tuple[int, int, str]], filename: str) -> str:
    enclosing = [span for span in spans if span[0] <= line <= span[1]]
    if not enclosing:
        raise BuildError(f"{filename}:{line}: a solution region must be inside a function")
    return max(enclosing, key=lambda span: span[0])[2]


def stub_message(owner: str, relative_path: str) -> str:
    """What a student sees when calling code they have not written yet."""
    return (
        f"{owner} in {relative_path} is not implemented yet: replace this line with your code, "
        "following the TODO comment above it."
    )


def foreign_stub_message(owner: str, relative_path: str, title: str) -> str:
    """What a student sees when calling code another assignment of the course asks for."""
    return (
        f"{owner} in {relative_path} is part of the {title} assignment, not this one: copy "
        "your own code from that assignment if you want to use it here."
    )


def _stub(region: Region, relative_path: str, assignment: str) -> str:
    message = (stub_message(region.owner, relative_path) if region.belongs_to(assignment)
               else foreign_stub_message(region.owner, relative_path, _title(region.tag)))
    return f"{region.indent}raise NotImplementedError({message!r})\n"


def _title(tag: str) -> str:
    try:
        return manifest.load(tag).title
    except manifest.ManifestError:
        raise BuildError(f"'# BEGIN SOLUTION {tag}': no assignment is called {tag!r} (the "
                         f"assignments: {', '.join(manifest.available())})") from None


def make_template_source(source: str, relative_path: str, assignment: str = "") -> str:
    """Replace every solution region by a line that raises NotImplementedError (saying, for
    another assignment's region, whose it is)."""
    lines = source.splitlines(keepends=True)
    for region in reversed(find_regions(source, relative_path)):
        lines[region.begin : region.end + 1] = [_stub(region, relative_path, assignment)]
    return _checked("".join(lines), relative_path)


def make_solution_source(source: str, relative_path: str, assignment: str = "") -> str:
    """Keep the solution code of `assignment`'s regions and drop their marker lines; the
    regions of the course's other assignments become stubs."""
    lines = source.splitlines(keepends=True)
    for region in reversed(find_regions(source, relative_path)):
        if assignment and not region.belongs_to(assignment):
            lines[region.begin : region.end + 1] = [_stub(region, relative_path, assignment)]
        else:
            del lines[region.end]
            del lines[region.begin]
    return _checked("".join(lines), relative_path)


def _checked(source: str, relative_path: str) -> str:
    try:
        compile(source, relative_path, "exec")
    except SyntaxError as error:
        raise BuildError(
            f"{relative_path}:{error.lineno}: the generated file is not valid Python "
            f"({error.msg}); check the solution regions around that line"
        ) from error
    return source


def stubbed_functions(source: str, relative_path: str, assignment: str = "") -> set[str]:
    """Qualified names of the functions that hold at least one solution region (of
    `assignment`'s, when it is given)."""
    return {region.owner for region in find_regions(source, relative_path)
            if not assignment or region.belongs_to(assignment)}
