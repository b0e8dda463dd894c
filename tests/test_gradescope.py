"""A Gradescope simulation: the built autograder zip, unpacked into an /autograder-style layout,
grades a submission through the real run_autograder entry path (setup.sh's downloads aside)."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import paths, sandbox
from autograder.gradescope import package
from autograder.gradescope import run as entry
from autograder.build import pins
from autograder.checks import QUESTIONS
from uid_reach import uid_level_refused


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    return package.build_autograder_zip(tmp_path_factory.mktemp("zip") / "autograder.zip")


def run_autograder(autograder_zip, tmp_path, lay_out_submission, sandbox_level=None):
    """results.json of a run that must succeed."""
    done = run_autograder_process(autograder_zip, tmp_path, lay_out_submission, sandbox_level)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((tmp_path / "autograder" / "results" / "results.json").read_text())


def run_autograder_process(autograder_zip, tmp_path, lay_out_submission, sandbox_level=None):
    """The finished run_autograder process (tmp_path/autograder is Gradescope's folder)."""
    root = tmp_path / "autograder"
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    with zipfile.ZipFile(autograder_zip) as bundle:
        bundle.extractall(root / "source")
    lay_out_submission(root / "submission")
    # The quick path: this interpreter, not setup.sh's (test_gradescope_container runs that one).
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    if sandbox_level:
        env[sandbox.SETTING] = sandbox_level
    return subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=900)


def export_layout(source_folder, nested=False):
    """What the notebook's export cell produces: the notebook and cs231n/ at the root."""
    def lay_out(submission):
        target = submission / "BatchNormalization" if nested else submission
        target.mkdir(exist_ok=True)
        shutil.copyfile(source_folder / paths.NOTEBOOK_NAME, target / paths.NOTEBOOK_NAME)
        shutil.copytree(source_folder / "cs231n", target / "cs231n")
    return lay_out


def test_zip_ships_judge_and_reference_but_not_otter_runner(autograder_zip):
    names = zipfile.ZipFile(autograder_zip).namelist()
    assert "run_autograder" in names and "setup.sh" in names
    assert "files/autograder/grading/judge.py" in names
    assert "files/solutions/batchnorm/cs231n/layers.py" in names
    assert "run_otter.py" not in names


def test_the_container_gets_exactly_the_tested_pins(autograder_zip):
    bundle = zipfile.ZipFile(autograder_zip)
    assert bundle.read("constraints.txt") == (paths.ROOT / "constraints.txt").read_bytes()
    shipped = pins.pins_of(bundle.read("requirements.txt").decode())
    tested = pins.pins_of((paths.ROOT / "constraints.txt").read_text())
    assert shipped and all(tested[name] == pin for name, pin in shipped.items())
    for direct in ("otter-grader", "numpy", "nbformat", "pyyaml"):
        assert direct in shipped, direct
    for unused in package.NOT_FOR_GRADING:
        assert unused not in shipped, unused
    environment = bundle.read("environment.yml").decode()
    assert "python=3.11" in environment
    assert "otter-grader" not in environment  # no unpinned extras beside the pins
    setup = bundle.read("setup.sh").decode()
    assert '-r "$SOURCE/requirements.txt" -c "$SOURCE/constraints.txt"' in setup


@pytest.fixture(scope="module")
def reference_run(autograder_zip, tmp_path_factory):
    """(results.json, Gradescope's folder's parent) of one run on the exported reference."""
    folder = tmp_path_factory.mktemp("reference")
    return run_autograder(autograder_zip, folder, export_layout(paths.SOLUTIONS)), folder


def test_reference_submission_gets_full_marks(reference_run):
    results, _ = reference_run
    assert [test["name"] for test in results["tests"]] == list(QUESTIONS)
    for test in results["tests"]:
        assert test["score"] == test["max_score"] > 0, test["output"]
    assert results["score"] == sum(q.points for q in QUESTIONS.values())


def test_setup_installs_only_what_grading_uses_and_fails_loudly(autograder_zip):
    setup = zipfile.ZipFile(autograder_zip).read("setup.sh").decode()
    assert "set -euxo pipefail" in setup
    assert "bubblewrap util-linux iptables" in setup
    for unused in ("nb_conda_kernels", "playwright", "texlive", "pandoc"):
        assert unused not in setup, unused
    assert "chmod o+x /root" in setup
    # run_autograder uses the interpreter that setup.sh installs, by its full path.
    run = zipfile.ZipFile(autograder_zip).read("run_autograder").decode()
    assert f"{package.ENVIRONMENT_PREFIX}/bin/python" in run
    assert f'"{package.ENVIRONMENT_PREFIX}/bin/python" -m pip install' in setup


def test_run_autograder_grades_inside_the_sandbox_and_closes_its_folders(reference_run):
    results, root = reference_run
    expected = sandbox.protections().level
    assert results["extra_data"]["sandbox"].startswith(f"sandbox level '{expected}'")
    if os.geteuid() == 0:
        for folder in ("source", "submission", "results"):
            assert (root / "autograder" / folder).stat().st_mode & 0o007 == 0, folder


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid level needs root")
def test_a_container_without_namespaces_still_grades_under_a_uid_of_its_own(autograder_zip,
                                                                            tmp_path):
    """Gradescope's containers may forbid namespaces: the uid level must grade just as well."""
    if uid_level_refused():  # a private checkout: this Python is out of a worker uid's reach
        done = run_autograder_process(autograder_zip, tmp_path, export_layout(paths.SOLUTIONS),
                                      "uid")
        assert done.returncode != 0 and "BN_SANDBOX=landlock" in done.stdout, done.stdout
        assert not (tmp_path / "autograder" / "results" / "results.json").exists()
        return
    results = run_autograder(autograder_zip, tmp_path, export_layout(paths.SOLUTIONS), "uid")
    assert results["extra_data"]["sandbox"].startswith("sandbox level 'uid'")
    assert results["score"] == sum(q.points for q in QUESTIONS.values())


def test_symbolic_links_to_the_reference_are_not_followed(autograder_zip, tmp_path):
    """Gradescope unzips symbolic links as links: one pointing at the shipped reference must
    not grade the reference."""
    def linked(submission):
        export_layout(paths.STUDENT_TEMPLATE)(submission)
        target = submission.parent / "source" / "files" / "reference" / "cs231n"
        for name in ("layers.py", "classifiers/fc_net.py"):
            (submission / "cs231n" / name).unlink()
            (submission / "cs231n" / name).symlink_to(target / name)
    results = run_autograder(autograder_zip, tmp_path, linked)
    assert results["score"] == 0
    assert "no cs231n/layers.py" in results["output"]


def test_template_submission_gets_zero_with_stub_messages(autograder_zip, tmp_path):
    results = run_autograder(autograder_zip, tmp_path,
                             export_layout(paths.STUDENT_TEMPLATE, nested=True))
    assert results["score"] == 0
    assert all("not implemented yet" in test["output"] for test in results["tests"])


def test_submission_without_package_gets_a_clear_zero(autograder_zip, tmp_path):
    def notebook_only(submission):
        shutil.copyfile(paths.SOLUTIONS / paths.NOTEBOOK_NAME, submission / paths.NOTEBOOK_NAME)
    results = run_autograder(autograder_zip, tmp_path, notebook_only)
    assert results["score"] == 0
    assert "no cs231n/layers.py" in results["output"]
    assert results["output"].splitlines()[0].endswith("uploading those two files alone works too.")


def test_loose_files_dragged_into_the_upload_are_graded(autograder_zip, tmp_path):
    """layers.py and fc_net.py uploaded loose: placed into the handout's package shipped in the
    zip, graded in full, with a note."""
    def loose(submission):
        for name in ("layers.py", "classifiers/fc_net.py"):
            shutil.copyfile(paths.SOLUTIONS / "cs231n" / name, submission / Path(name).name)
    results = run_autograder(autograder_zip, tmp_path, loose)
    assert results["score"] == sum(q.points for q in QUESTIONS.values()), results["output"]
    assert "graded the loose fc_net.py as cs231n/classifiers/fc_net.py" in results["output"]


def test_the_output_asks_for_the_written_answers_pdf_when_it_is_missing(autograder_zip,
                                                                        reference_run, tmp_path):
    def with_pdf(submission):
        export_layout(paths.SOLUTIONS)(submission)
        (submission / "written_answers.pdf").write_bytes(b"%PDF-1.4\n")
    assert "no written_answers.pdf" not in run_autograder(autograder_zip, tmp_path / "a",
                                                         with_pdf)["output"]
    output = reference_run[0]["output"]  # the export alone: no PDF
    assert "no written_answers.pdf in this upload" in output
    assert output.startswith("**Auto-graded score: 68 / 68**")

    def with_page(submission):  # exported where no browser made the PDF (a stock Mac)
        export_layout(paths.SOLUTIONS)(submission)
        (submission / "written_answers.html").write_text("<html></html>")
    output = run_autograder(autograder_zip, tmp_path / "c", with_page)["output"]
    from autograder.grading.feedback import one_line  # the output's markdown escapes
    assert one_line(entry.HTML_NOT_PDF) in output and one_line(entry.NO_PDF) not in output
    assert output.startswith("**Auto-graded score: 68 / 68**")


@pytest.mark.parametrize("files, note", [
    (["written_answers.pdf"], None),
    (["BatchNormalization/written_answers.pdf"], None),
    (["written_answers.pdf", "written_answers.html"], None),
    (["written_answers.html"], entry.HTML_NOT_PDF),
    (["BatchNormalization/written_answers.html"], entry.HTML_NOT_PDF),
    ([], entry.NO_PDF),
], ids=["pdf", "pdf-nested", "both", "html-only", "html-nested", "neither"])
def test_the_written_answers_page_without_the_pdf_is_told_apart(tmp_path, files, note):
    """An export made without a browser (a stock Mac) holds written_answers.html instead of the
    PDF: the feedback says to save it as PDF from Safari, not that the answers are missing."""
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert entry.written_answers_note(tmp_path) == note
    assert "File > Export as PDF" in entry.HTML_NOT_PDF and "no written_answers.pdf" in entry.NO_PDF


def nothing(submission):
    """An upload without the package: graded at once (a clear zero), every question listed."""
    (submission / "notes.txt").write_text("no code here\n")


def with_visibility(autograder_zip, destination, visibility):
    """The zip as `make autograder VISIBILITY=visibility` ships it (its gradescope.json)."""
    with zipfile.ZipFile(autograder_zip) as source, zipfile.ZipFile(destination, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "files/gradescope.json":
                data = json.dumps({**json.loads(data), "visibility": visibility}).encode()
            target.writestr(info, data)
    return destination


def test_make_autograder_ships_the_visibility(tmp_path):
    built = package.build_autograder_zip(tmp_path / "after.zip", visibility="after_due_date")
    shipped = json.loads(zipfile.ZipFile(built).read("files/gradescope.json"))
    assert shipped["visibility"] == "after_due_date"


@pytest.mark.parametrize("visibility", ["visible", "after_due_date", "after_published", "hidden"])
def test_the_results_and_the_total_are_shown_when_the_tests_are(autograder_zip, tmp_path,
                                                                 visibility):
    """Gradescope's specification: "If test cases are hidden, students will not be able to see
    their total score". The overall output (the per-question table) follows the tests too, so
    what students see is what the README says: everything, or nothing until then."""
    built = with_visibility(autograder_zip, tmp_path / "zip.zip", visibility)
    results = run_autograder(built, tmp_path, nothing)
    assert results["tests"] and {test["visibility"] for test in results["tests"]} == {visibility}
    assert results["visibility"] == visibility
    assert results["stdout_visibility"] == "hidden"


def test_a_grader_that_crashes_fails_the_run_without_a_results_json(autograder_zip, tmp_path):
    """run_autograder's contract: the grader itself is broken (here its entry module is gone),
    so no results.json (a 0 would be recorded as the student's score) and a non-zero exit:
    Gradescope marks the run as failed for the staff to rerun. The traceback stays on stdout and
    stderr, which Gradescope shows the staff only."""
    def broken_grader(submission):
        export_layout(paths.SOLUTIONS)(submission)
        (submission.parent / "source" / "files" / "autograder" / "gradescope" / "run.py").unlink()
    done = run_autograder_process(autograder_zip, tmp_path, broken_grader)
    assert done.returncode != 0
    assert not (tmp_path / "autograder" / "results" / "results.json").exists()
    assert "autograder failed (exit status 1): no results.json written" in done.stdout


def test_a_grader_whose_self_check_fails_fails_the_run_without_a_results_json(autograder_zip,
                                                                              tmp_path):
    """The reference no longer scores full marks here: the grader cannot be trusted to grade
    anyone, which is not the student's 0. Why is on stdout (staff only), never in results.json,
    so no hidden check's text reaches the student."""
    def broken_reference(submission):
        export_layout(paths.SOLUTIONS)(submission)
        files = submission.parent / "source" / "files"
        reference = files / paths.SOLUTIONS.relative_to(paths.ROOT) / paths.STUDENT_FILES[
            "layers.py"]
        reference.write_text(reference.read_text() + "\nbatchnorm_forward = None\n")
    done = run_autograder_process(autograder_zip, tmp_path, broken_reference)
    assert done.returncode == 1, done.stdout + done.stderr
    assert not (tmp_path / "autograder" / "results" / "results.json").exists()
    assert "autograder failed, through no fault of the submission" in done.stdout


def test_instructors_give_their_timeout_and_the_judge_stops_within_it(tmp_path, monkeypatch):
    built = package.build_autograder_zip(tmp_path / "short.zip", time_limit=300)
    shipped = json.loads(zipfile.ZipFile(built).read("files/gradescope.json"))
    assert shipped["grading_seconds"] == pytest.approx(210)
    monkeypatch.setattr(entry, "SHIPPED_SETTINGS", tmp_path / "gradescope.json")
    (tmp_path / "gradescope.json").write_text(json.dumps(shipped))
    assert entry.grading_seconds() == pytest.approx(210)
    (tmp_path / "gradescope.json").write_text('{"grading_seconds": "soon"}')
    assert entry.grading_seconds() == entry.GRADING_SECONDS  # the default, not a crash
