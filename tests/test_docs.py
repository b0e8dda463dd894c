"""The documentation says only what exists: README.md and every docs/*.md page.

- every `make <target>` in a code block or inline code is a target `make help` lists;
- every relative link [text](path#anchor) reaches a file or folder, and its anchor a heading of
  the target page (GitHub's slugs);
- every inline code that names a repository path (`autograder/...`, `assignment/...`,
  `tests/...`, `docs/...`) or an engine module (`autograder.x.y`) names one that exists;
- README.md stays short (at most 160 lines), and every docs page is linked from it.

Each failure names the page, the command, link or path, and what to fix.
"""

from __future__ import annotations

import re
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 160

FENCE = re.compile(r"^(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
PATH_PREFIXES = ("autograder/", "assignment/", "tests/", "docs/")
MODULE = re.compile(r"^autograder(\.\w+)+$")
PLACEHOLDER = re.compile(r"[<>*{}\[\]…]|\.\.\.")


def page_name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def split_page(page: Path) -> tuple[list[str], list[str]]:
    """(lines of prose, lines inside fenced code blocks)."""
    prose, code, fenced = [], [], False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        (code if fenced else prose).append(line)
    return prose, code


def inline_codes(prose: list[str]) -> list[str]:
    return [match.group(2).strip() for line in prose for match in INLINE_CODE.finditer(line)]


def make_commands(text: str) -> list[list[str]]:
    """The targets of each `make ...` command in `text` (a code line or an inline code)."""
    commands = []
    for part in re.split(r"&&|\|\||;", text):
        part = re.sub(r"<[^>]*>", "PLACEHOLDER", part)  # VAR=<a value with spaces>
        words = part.strip().removeprefix("$ ").split()
        if not words or words[0] != "make":
            continue
        targets = []
        for word in words[1:]:
            if word.startswith("#"):
                break
            if word.startswith("-") or "=" in word or word.startswith("["):
                continue
            if re.fullmatch(r"[a-z][a-z0-9_-]*", word):
                targets.append(word)
            else:
                break
        commands.append(targets)
    return commands


@lru_cache(maxsize=None)
def make_targets() -> frozenset[str]:
    done = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"`make help` failed:\n{done.stdout}\n{done.stderr}"
    targets = frozenset(re.findall(r"^\s*make\s+(\S+)", done.stdout, re.MULTILINE))
    assert targets, f"`make help` listed no targets:\n{done.stdout}"
    return targets


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation removed, spaces
    to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links keep their text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@lru_cache(maxsize=None)
def anchors(page: Path) -> frozenset[str]:
    prose, _ = split_page(page)
    seen: dict[str, int] = {}
    found = set()
    for line in prose:
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


@pytest.mark.parametrize("page", PAGES, ids=page_name)
def test_every_make_command_names_a_target_of_make_help(page):
    prose, code = split_page(page)
    problems = []
    for text in [*code, *inline_codes(prose)]:
        for targets in make_commands(text):
            for target in targets:
                if target not in make_targets():
                    problems.append(f"`{text}`: `{target}` is not a make target")
    assert not problems, (
        f"{page_name(page)} shows make commands that `make help` does not list:\n  "
        + "\n  ".join(problems)
        + f"\nFix the command (targets: {', '.join(sorted(make_targets()))}), or add the target "
        "to the Makefile with a `## help` comment.")


@pytest.mark.parametrize("page", PAGES, ids=page_name)
def test_every_relative_link_reaches_a_file_and_heading(page):
    prose, _ = split_page(page)
    problems = []
    for line in prose:
        for match in LINK.finditer(line):
            link = match.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", link):  # http:, https:, mailto:
                continue
            path, _, anchor = link.partition("#")
            target = (page.parent / path).resolve() if path else page
            if not target.exists():
                shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
                problems.append(f"[...]({link}): {shown} does not exist; correct the path "
                                "(relative to the page)")
                continue
            if anchor and target.suffix == ".md" and anchor not in anchors(target):
                problems.append(f"[...]({link}): {page_name(target)} has no heading with anchor "
                                f"#{anchor}; its anchors: {', '.join(sorted(anchors(target)))}")
    assert not problems, f"{page_name(page)} has broken links:\n  " + "\n  ".join(problems)


def named_paths(code: str) -> list[str]:
    """The repository paths and engine modules an inline code names."""
    found = []
    for word in code.split():
        word = word.strip("\"'(),:")
        word = word.split("::")[0]
        if PLACEHOLDER.search(word):
            continue
        if word.startswith(PATH_PREFIXES) or MODULE.match(word):
            found.append(word)
    return found


def exists(name: str) -> bool:
    if MODULE.match(name):
        parts = name.split(".")
        # the module itself, or an attribute of the module before it
        for length in (len(parts), len(parts) - 1):
            base = ROOT.joinpath(*parts[:length])
            if length >= 2 and (base.with_suffix(".py").is_file()
                                or (base / "__init__.py").is_file()):
                return True
        return False
    return (ROOT / name).exists()


@pytest.mark.parametrize("page", PAGES, ids=page_name)
def test_every_path_in_inline_code_exists(page):
    prose, _ = split_page(page)
    problems = []
    for code in inline_codes(prose):
        for name in named_paths(code):
            if not exists(name):
                problems.append(f"`{code}`: {name} does not exist in the repository")
    assert not problems, (
        f"{page_name(page)} cites paths that do not exist:\n  " + "\n  ".join(problems)
        + "\nCorrect them (modules moved into autograder/build, grading, course, gradescope, "
        "measure and sandbox; outputs are per assignment under dist/<name>/ and grades/<name>/), "
        "or write a placeholder such as <name>.")


def test_readme_is_short():
    lines = len((ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines, more than {README_MAX_LINES}: move the detail to a page "
        "under docs/ and link it from README.md")


def test_every_docs_page_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = {(ROOT / match.group(1).partition("#")[0]).resolve()
              for match in LINK.finditer(readme)}
    orphans = [page_name(page) for page in PAGES[1:] if page.resolve() not in linked]
    assert not orphans, (f"README.md links none of {', '.join(orphans)}: add each to its "
                         "documentation table, or remove the page")


@pytest.mark.parametrize("page", PAGES[1:], ids=page_name)
def test_every_docs_page_starts_with_its_reader(page):
    prose, _ = split_page(page)
    body = [line for line in prose if line.strip() and not line.startswith("#")]
    assert body and body[0].startswith("For "), (
        f"{page_name(page)} must open, under its title, with who it is for and what it covers "
        f"(\"For the ... . It covers ...\"); it opens with: {body[0] if body else '(nothing)'}")


def test_the_checker_itself():
    assert make_commands("make grade PDFS=1") == [["grade"]]
    assert make_commands("cd x && make assign autograder  # both") == [["assign", "autograder"]]
    assert make_commands("make PYTHON=/usr/bin/python3.11") == [[]]
    assert make_commands("make autograder [ASSIGNMENT=dropout]") == [["autograder"]]
    assert make_commands("make grade SUBMISSIONS=<folder or zip> OUT=<dir>") == [["grade"]]
    assert slug("The speed rule of `batchnorm_backward_alt`") == \
        "the-speed-rule-of-batchnorm_backward_alt"
    assert slug("Gradescope's container") == "gradescopes-container"
    assert named_paths("python -m autograder.course.batch --help") == ["autograder.course.batch"]
    assert named_paths("assignment/<name>/README.md") == []
    assert exists("autograder.grading.pipeline.grade_submission")
    assert not exists("autograder.batch")
