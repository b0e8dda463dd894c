"""autograder.grading.pipeline: one submission, as handed in, to a Grade.

The package must be found where the export cell puts it (or one folder down), be whole before the
judge starts a worker, and only the questions the settings ask for appear in the grade, whether it
was graded or not.
"""

from __future__ import annotations

import zipfile

import pytest

from autograder import paths
from autograder.grading import pipeline
from autograder.settings import Limits, Settings
from autograder.build.variants import make_variant

LAYERS = "cs231n/layers.py"
FC_NET = "cs231n/classifiers/fc_net.py"
QUICK = ("bn_forward_train", "ln_forward")


def grade(source, tmp_path, questions=QUICK) -> pipeline.Outcome:
    return pipeline.grade_submission(source, tmp_path / "scratch", Settings(questions=questions))


@pytest.mark.parametrize("missing", [FC_NET, LAYERS])
def test_missing_file_status(tmp_path, missing):
    folder = make_variant(tmp_path / "variant")
    (folder / missing).unlink()
    result = grade(folder, tmp_path).grade
    assert result.status == f"no {missing}"
    assert [q.name for q in result.questions] == list(QUICK)
    assert result.total == 0
    assert all(not check.passed and check.message.startswith("not graded: ")
               for q in result.questions for check in q.checks)


def test_no_package_says_how_to_export(tmp_path):
    folder = tmp_path / "empty"
    (folder / "notes").mkdir(parents=True)
    (folder / "notes" / "readme.txt").write_text("hello")
    result = grade(folder, tmp_path).grade
    assert result.status == f"no {LAYERS}"
    message = result.questions[0].checks[0].message
    assert "export it with the notebook's last cell" in message


def test_package_one_folder_down_in_a_zip(tmp_path):
    folder = make_variant(tmp_path / "variant")
    archive = tmp_path / "nested.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in sorted(folder.rglob("*.py")):
            zipped.write(file, "BatchNormalization/" + file.relative_to(folder).as_posix())
    outcome = grade(archive, tmp_path)
    assert outcome.grade.status == "ok"
    assert outcome.grade.total == outcome.grade.max_total == 16
    assert outcome.notes == ["no notebook"]


def test_only_the_asked_questions(tmp_path):
    result = grade(paths.SOLUTIONS, tmp_path, questions=["ln_forward"]).grade
    assert [q.name for q in result.questions] == ["ln_forward"]
    assert result.status == "ok" and result.total == result.max_total


def test_corrupt_zip_is_a_status_not_an_error(tmp_path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 this is not a zip")
    result = grade(broken, tmp_path).grade
    assert result.status == "corrupt zip"
    assert result.total == 0 and [q.name for q in result.questions] == list(QUICK)


def test_loose_files_are_placed_into_the_handout_package(tmp_path):
    """layers.py and fc_net.py dragged loose into the upload (here in a folder): graded in the
    handout's package, with a note that says so."""
    folder = tmp_path / "upload"
    (folder / "my work").mkdir(parents=True)
    (folder / "my work" / "layers.py").write_bytes((paths.SOLUTIONS / LAYERS).read_bytes())
    (folder / "fc_net.py").write_bytes((paths.SOLUTIONS / FC_NET).read_bytes())
    outcome = grade(folder, tmp_path, questions=["bn_forward_train", "fc_net_batchnorm"])
    assert outcome.grade.status == "ok"
    assert outcome.grade.total == outcome.grade.max_total == 20
    note = next(note for note in outcome.notes if note.startswith("no cs231n/ folder"))
    assert "my work/layers.py as cs231n/layers.py" in note
    assert "fc_net.py as cs231n/classifiers/fc_net.py" in note


def test_a_loose_layers_py_alone_gets_the_handouts_fc_net(tmp_path):
    archive = tmp_path / "loose.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("layers.py", (paths.SOLUTIONS / LAYERS).read_text())
    outcome = grade(archive, tmp_path, questions=["ln_forward", "fc_net_layernorm"])
    scores = {q.name: q.score for q in outcome.grade.questions}
    assert outcome.grade.status == "ok"
    assert scores["ln_forward"] == 6 and scores["fc_net_layernorm"] < 8  # the handout's stub
    assert any("layers.py as cs231n/layers.py" in note for note in outcome.notes)


def test_a_package_wins_over_loose_copies(tmp_path):
    folder = make_variant(tmp_path / "variant")
    (folder / "layers.py").write_text("raise SystemExit('not this one')\n")
    outcome = grade(folder, tmp_path)
    assert outcome.grade.status == "ok" and outcome.grade.total == outcome.grade.max_total
    assert not any("loose" in note for note in outcome.notes)


def test_the_grader_checks_itself_on_the_reference(tmp_path):
    pipeline.check_the_grader(Settings(), tmp_path / "ok")  # the real reference: no error
    # A worker that cannot even import numpy in 64 MB: the grader cannot grade here.
    starved = Settings(limits=Limits(memory_bytes=64 * 2**20))
    with pytest.raises(pipeline.GraderBroken, match="the reference package itself scored"):
        pipeline.check_the_grader(starved, tmp_path / "scratch")


def test_a_package_of_only_the_edited_files_is_completed_from_the_handout(tmp_path):
    folder = make_variant(tmp_path / "variant")
    for path in sorted((folder / "cs231n").rglob("*.py")):
        if path.relative_to(folder).as_posix() not in paths.STUDENT_FILES.values():
            path.unlink()
    outcome = grade(folder, tmp_path)
    assert outcome.grade.status == "ok" and outcome.grade.total == outcome.grade.max_total
    assert any("lacked" in note and "layer_utils.py" in note for note in outcome.notes)
