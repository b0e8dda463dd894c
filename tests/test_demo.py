"""autograder.build.demo: the demo submissions make grade grades by default, laid out like the export
cell's zips, reproducible, and graded as described."""

from __future__ import annotations

import zipfile

import pytest

from autograder import manifest, paths
from autograder.course import batch
from autograder.build import demo, variants
from autograder.grading.grades import QUESTIONS
from autograder.settings import Settings

import tiny_assignment

LAYERS = "cs231n/layers.py"


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "demo"
    demo.build(folder)
    return folder


def test_demo_zips_are_laid_out_like_the_export_cell(demo_folder):
    names = sorted(path.name for path in demo_folder.glob("*.zip"))
    assert names == sorted(f"{d.name}.zip" for d in demo.demos())
    assert "Zoë Dupont.zip" in names and (demo_folder / "README.md").is_file()
    exported = demo.exported_files(paths.SOLUTIONS / paths.NOTEBOOK_NAME)
    assert "cs231n/layers.py" in exported and "cs231n/classifiers/fc_net.py" in exported
    for item in demo.demos():
        with zipfile.ZipFile(demo_folder / f"{item.name}.zip") as archive:
            listed = sorted(archive.namelist())
            expected = sorted(([paths.NOTEBOOK_NAME] if item.notebook else [])
                              + (exported if item.package else []))
            assert listed == expected, item.name
            if item.package:
                layers = archive.read(LAYERS)
                fc_net = archive.read("cs231n/classifiers/fc_net.py")
                untouched = (layers == (item.source / LAYERS).read_bytes() and fc_net ==
                             (item.source / "cs231n/classifiers/fc_net.py").read_bytes())
                assert untouched == (not item.edits and not item.append), item.name


def test_demo_is_reproducible(demo_folder, tmp_path):
    demo.build(tmp_path / "again")
    for path in demo_folder.glob("*.zip"):
        assert (tmp_path / "again" / path.name).read_bytes() == path.read_bytes(), path.name


def test_a_demo_edit_that_no_longer_applies_fails_loudly(tmp_path):
    stale = demo.Demo("stale", "", paths.SOLUTIONS, (
        (LAYERS, "batchnorm_forward", "this text is not in the reference", ""),))
    with pytest.raises(variants.EditError):
        demo.build(tmp_path, [stale])


def test_demo_grades_as_described(demo_folder, tmp_path):
    """Every question but the (slow) speed check: each mistake costs points where it lives."""
    questions = [q for q in QUESTIONS if q != "bn_backward_alt_speed"]
    result = batch.grade_folder(demo_folder, tmp_path / "out", Settings(questions=questions),
                                jobs=2, progress=False)
    rows = {row["submission"]: row for row in result.rows}
    full = sum(QUESTIONS[q].points for q in questions)
    assert rows["reference"]["total"] == f"{full:g}" and rows["Zoë Dupont"]["total"] == f"{full:g}"
    assert rows["untouched template"]["total"] == "0"
    lost = {"cache order": "bn_backward", "eps hard-coded": "bn_backward_alt",
            "test mode without gamma": "bn_forward_test",
            "last W not regularized": "fc_net_batchnorm", "layernorm axis 0": "ln_backward"}
    for name, question in lost.items():
        assert rows[name]["status"] == "ok", name
        assert float(rows[name][question]) < QUESTIONS[question].points, name
    assert rows["syntax error"]["status"].startswith("SyntaxError in layers.py line ")
    assert rows["notebook only"]["status"] == "no cs231n/layers.py"
    assert all(rows[name]["total"] == "0" for name in ["syntax error", "notebook only"])




def test_a_mistake_whose_name_cannot_be_a_file_name_is_refused(tmp_path):
    folder = tiny_assignment.write_assignment(tmp_path)
    (folder / "mistakes.toml").write_text(
        tiny_assignment.MISTAKES.replace('name = "forgot the scale"', 'name = "no 1/p scaling"'))
    with pytest.raises(manifest.ManifestError, match="'no 1/p scaling'"):
        demo.mistakes(manifest.read(folder))
