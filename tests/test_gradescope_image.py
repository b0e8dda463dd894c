"""The shipped zip's image and the second assignment's zip, in Gradescope's container (see
gradescope_container.py): setup.sh as shipped builds the image the grading runs in, a failing
step stops the build, and Dropout's own zip grades Dropout uploads. (test_gradescope_container.py
runs BatchNorm's uploads at both sandbox levels; a file of its own, so that the test runner's
workers take the two side by side.)
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from autograder import manifest, paths
from autograder.gradescope import package
import gradescope_container as container
from test_gradescope_container import DONE_WITHIN, FULL_MARKS, exported, scores


@pytest.fixture
def machine():
    try:
        container.check_machine()
    except container.NoContainer as why:
        pytest.skip(f"cannot run Gradescope's container here: {why}")
    made_mount_point = container.autograder_mount_point()
    yield
    if made_mount_point:
        Path("/autograder").rmdir()


def test_setup_sh_builds_the_image_run_autograder_grades_in(machine, tmp_path):
    """setup.sh as shipped (downloads stubbed), then run_autograder on the reference: the pins
    install with no index over the tested environment, unchanged; the image's checks pass."""
    autograder_zip = package.build_autograder_zip(tmp_path / "autograder.zip")
    run = container.run_in_container(autograder_zip, exported(paths.SOLUTIONS), tmp_path, "full",
                                     "setup", run_setup=True)
    setup_log = (tmp_path / "setup.log").read_text()
    assert run.results is not None, setup_log[-3000:] + run.output[-2000:]
    assert run.results["score"] == FULL_MARKS, run.results["output"]
    downloads = (tmp_path / "downloads.log").read_text()
    assert "bubblewrap util-linux iptables" in downloads
    assert "miniforge -b -p /root/miniforge3" in downloads
    assert "mamba env create -f /autograder/source/environment.yml" in downloads
    assert "No broken requirements found" in setup_log  # pip check
    assert "Successfully installed" not in setup_log  # nothing beyond the tested pins


def test_a_failing_setup_step_stops_the_build(machine, tmp_path):
    autograder_zip = package.build_autograder_zip(tmp_path / "autograder.zip")
    run = container.run_in_container(autograder_zip, exported(paths.SOLUTIONS), tmp_path, "full",
                                     "setup-fails", run_setup=True, extra_env={"FAIL_APT": "1"})
    assert run.results is None  # Gradescope shows the build's error; nothing is graded
    downloads = (tmp_path / "downloads.log").read_text()
    assert downloads.splitlines() == ["apt-get update"]  # stopped at the first failing step
    assert (tmp_path / "setup.log").read_text().rstrip().endswith("apt-get update")


def test_the_dropout_zip_grades_dropout_uploads(machine, tmp_path, monkeypatch):
    """The second assignment's own zip, in the same container: its reference gets its full
    marks, its untouched template zero, and nothing of BatchNorm is shipped."""
    monkeypatch.setenv("ASSIGNMENT", "dropout")
    dropout = manifest.load("dropout")
    autograder_zip = package.build_autograder_zip(tmp_path / "autograder.zip")
    shipped = zipfile.ZipFile(autograder_zip).namelist()
    assert "files/assignment/dropout/checks/__init__.py" in shipped
    assert not [name for name in shipped if "batchnorm" in name.lower()]
    for case, source in (("reference", dropout.solutions), ("template", dropout.template)):
        run = container.run_in_container(autograder_zip, exported(source), tmp_path / case,
                                         "full", f"dropout-{case}")
        assert run.results is not None, run.output[-3000:]
        per_question = scores(run)
        assert set(per_question) == set(dropout.questions), per_question
        expected = dropout.auto_points if case == "reference" else 0
        assert run.results["score"] == expected, (case, run.results["output"][-2000:])
        assert run.seconds < DONE_WITHIN and not run.oom_kills, (case, run.seconds, run.oom_kills)
