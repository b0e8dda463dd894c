"""The manifest (autograder/manifest.py): each assignment declared once, read and validated; and
the engine, which names no assignment, package or question."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograder import manifest, paths

import tiny_assignment as tiny


def assignment_words() -> set[str]:
    """Every name that belongs to an assignment rather than to the engine."""
    words = set()
    for name in manifest.available():
        declared = manifest.load(name)
        words |= {name, declared.title, declared.package, declared.notebook,
                  declared.handout_folder, *declared.questions, *declared.written}
        words |= {Path(path).name for path in declared.student_files.values()}
    return words


def test_the_engine_names_no_assignment_package_or_question():
    words = assignment_words()
    assert {"batchnorm", "dropout", "cs231n", "bn_backward_alt", "layers.py"} <= words
    # Inside identifiers too (batchnorm_backward, CS231N_CIFAR10_DIR): a word counts unless a
    # letter or digit comes right before it.
    pattern = re.compile(r"(?<![a-z0-9])(" + "|".join(map(re.escape, sorted(words))) + r")",
                         re.IGNORECASE)
    found = [f"{path.relative_to(paths.ROOT)}:{number}: {match.group(0)!r} in {line.strip()}"
             for path in sorted((paths.ROOT / "autograder").rglob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), 1)
             for match in [pattern.search(line)] if match]
    assert not found, ("the engine must not name an assignment (its folder says it all); "
                       "found:\n" + "\n".join(found))


def test_every_assignment_of_the_course_is_valid():
    assert manifest.available() == ["batchnorm", "dropout"]
    assert manifest.default_name() == "batchnorm"
    for name in manifest.available():
        declared = manifest.load(name)
        assert {question.name for question in declared.graded_questions()} == set(declared.questions)
        assert declared.auto_points > 0


def test_batchnorm_points_are_declared_once():
    declared = manifest.load("batchnorm")
    assert {name: spec.points for name, spec in declared.questions.items()} == {
        "bn_forward_train": 10, "bn_forward_test": 6, "bn_backward": 10, "bn_backward_alt": 6,
        "bn_backward_alt_speed": 4, "fc_net_batchnorm": 10, "ln_forward": 6, "ln_backward": 8,
        "fc_net_layernorm": 8}
    assert declared.auto_points == 68 and declared.written_points == 8


def copy_of_tiny(tmp_path: Path) -> Path:
    return tiny.write_assignment(tmp_path)


@pytest.mark.parametrize("change, message", [
    (lambda text: text.replace('name = "tiny"', 'name = "other"'),
     "name = 'other', but the folder is 'tiny'"),
    (lambda text: text.replace('self_check = "square"', 'self_check = "cube"'),
     "self_check = 'cube' is not one of its questions"),
    (lambda text: text.replace('"ops.py" = "tinypkg/ops.py"', '"ops.py" = "elsewhere/ops.py"'),
     "must be a path in the package ending in /ops.py"),
    (lambda text: text.replace('title = "Tiny Arithmetic"', ''),
     "`title` is missing"),
    (lambda text: text + "\ncolour = 'blue'\n", "unknown keys colour"),
    (lambda text: text.replace("points = 3", "points = -3"), "points"),
    (lambda text: text + "\n[[questions]\n", "is not valid TOML"),
])
def test_a_wrong_manifest_says_what_to_fix(tmp_path, change, message):
    folder = copy_of_tiny(tmp_path)
    path = folder / manifest.FILE
    path.write_text(change(path.read_text()))
    with pytest.raises(manifest.ManifestError, match=re.escape(message)):
        manifest.read(folder)


def test_a_missing_manifest_says_where_it_belongs(tmp_path):
    folder = copy_of_tiny(tmp_path)
    (folder / manifest.FILE).unlink()
    with pytest.raises(manifest.ManifestError, match="does not exist"):
        manifest.read(folder)


def test_the_tiny_assignment_reads(tmp_path):
    declared = manifest.read(copy_of_tiny(tmp_path))
    assert declared.name == tiny.NAME and declared.package == tiny.PACKAGE
    assert {name: spec.points for name, spec in declared.questions.items()} == tiny.POINTS
    assert {name: spec.points for name, spec in declared.written.items()} == tiny.WRITTEN_POINTS
    assert declared.student_file("ops.py") == "tinypkg/ops.py"


def test_an_unknown_assignment_is_refused_with_the_known_ones(monkeypatch):
    monkeypatch.setenv("ASSIGNMENT", "nosuch")
    with pytest.raises(manifest.ManifestError, match="batchnorm, dropout"):
        manifest.current()
