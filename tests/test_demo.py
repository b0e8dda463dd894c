"""autograder.build.demo: the demo submissions make grade grades by default, laid out like the export
cell's zips, reproducible. How `make grade` grades them: tests/test_make_targets.py, which runs
it in a fresh clone."""

from __future__ import annotations

import zipfile

import pytest

from autograder import manifest, paths
from autograder.build import demo, variants

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


def test_a_mistake_whose_name_cannot_be_a_file_name_is_refused(tmp_path):
    folder = tiny_assignment.write_assignment(tmp_path)
    (folder / "mistakes.toml").write_text(
        tiny_assignment.MISTAKES.replace('name = "forgot the scale"', 'name = "no 1/p scaling"'))
    with pytest.raises(manifest.ManifestError, match="'no 1/p scaling'"):
        demo.mistakes(manifest.read(folder))
