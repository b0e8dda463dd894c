"""Gradescope's entry point: grade /autograder/submission, write /autograder/results/results.json.

`run_autograder` (in the zip that `make autograder` builds) calls this with the trusted judge, the
assignment's checks and its reference shipped beside it in /autograder/source/files (laid out as in
the repository, the assignment the default of its course.toml); the scores go through the otter test
files in /autograder/source/tests. The submission's notebook is never executed (the written
answers are graded by hand from the PDF).

Student code runs in the sandbox (autograder/sandbox/). Before grading, the folders that hold
the hidden tests, the reference, the submission and the results are closed to every user but
root, so that even where the container allows no namespaces the worker's own uid cannot read or
write them (the worker grades a copy of the package).

When the grader itself cannot grade (the sandbox refused, the self-check on the reference failed,
the grader crashed), no results.json is written and the process exits non-zero: Gradescope then
marks the run as failed, for the staff to see (its stdout, which Gradescope shows only to the
staff, says why) and rerun, instead of recording a 0 the student did not earn. Gradescope's
specification: results.json "must be produced as a result of executing run_autograder"; stdout
is for "displaying back to the instructor"; "If test cases are hidden, students will not be able
to see their total score" (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from autograder import manifest, sandbox
from autograder.grading import otter_tests, pipeline, results
from autograder.settings import Limits, Settings

SOURCE = Path(__file__).resolve().parents[3]  # /autograder/source (files/autograder/gradescope/run.py)
# Written by `make autograder VISIBILITY=...`: when students see the results.
SHIPPED_SETTINGS = SOURCE / "files" / "gradescope.json"
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
NO_PDF = ("no written_answers.pdf in this upload: the notebook's last cell makes it beside the "
          "zip; upload it to the written assignment, where the inline questions are graded")
# The export cell on a computer without Chrome, Chromium, Edge or Brave (a stock Mac) zips the
# written answers' page instead of the PDF: the student saves it as PDF by hand.
HTML_NOT_PDF = ("no written_answers.pdf in this upload, but written_answers.html, the same page "
                "(no browser made the PDF on your computer): open it in Safari, File > Export as "
                "PDF..., and upload that written_answers.pdf to the written assignment, where "
                "the inline questions are graded")
SHIPPED_TESTS = SOURCE / "tests"
# Gradescope stops a run after 10 minutes by default and then shows the student nothing: the
# judge stops itself well before, keeping every verdict reached, so results.json is written.
GRADING_SECONDS = 420.0


class GraderFailed(Exception):
    """The grader cannot grade here, through no fault of the submission: no results.json."""


def run(root: Path, reference_dir: Path | None = None) -> dict:
    """Grade `root`/submission into `root`/results/results.json; GraderFailed (and no
    results.json) when the grader itself cannot grade."""
    # Closed to every user but root, the grader; at the uid level checked as a worker's uid.
    secrets = [root / "source", root / "submission", root / "results"]
    for folder in secrets:
        sandbox.close_to_others(folder)
    try:
        protections = sandbox.protections()
        sandbox_notes = sandbox.secure(protections.level, secrets, protections.forced,
                                       protections.reason)
    except sandbox.SandboxError as error:
        raise GraderFailed(str(error)) from None
    for note in sandbox_notes:
        print(f"Sandbox: {note}.", flush=True)
    # The same path as make grade's: a safe copy (regular files only, no symbolic link into the
    # reference, size caps, line endings normalized), then the judge.
    limits, memory_note = sandbox.fit_to_container(Limits(), sandbox.container_limit())
    print(memory_note, flush=True)
    settings = Settings(timeout=grading_seconds(), limits=limits,
                        sandbox=sandbox.protections().level)
    assignment = manifest.current()
    reference_dir = reference_dir or assignment.reference_package
    with tempfile.TemporaryDirectory(prefix="gradescope-") as scratch:
        try:
            pipeline.check_the_grader(settings, Path(scratch) / "self-check", reference_dir)
        except pipeline.GraderBroken as broken:
            raise GraderFailed(str(broken)) from None
        outcome = pipeline.grade_submission(root / "submission", Path(scratch) / "student",
                                            settings, reference_dir, assignment.handout_package)
    grade = outcome.grade
    notes = list(outcome.notes)
    written_note = written_answers_note(root / "submission")
    if written_note:
        notes.append(written_note)
    # Score through otter's test files: one test case per check, each asking the judge's verdict.
    scored = otter_tests.score(grade, SHIPPED_TESTS)
    data = results.gradescope_results(
        grade, {name: round(test_file.score, 4) for name, test_file in scored.items()}, notes)
    # The overall output holds the per-question table: it is shown when the tests are.
    data["visibility"] = results_visibility()
    for test in data["tests"]:
        test["visibility"] = results_visibility()
    data["extra_data"]["sandbox"] = "; ".join([sandbox.protections().summary, *sandbox_notes])
    data["extra_data"]["memory"] = memory_note
    results.write_json_atomic(root / "results" / "results.json", data)
    return data


def has_written_answers(submission: Path, name: str | None = None) -> bool:
    """Whether the upload holds the written answers' PDF, or the file `name` (at its root or
    one folder down)."""
    from autograder.build.written_answers import PDF_NAME

    name = name or PDF_NAME
    return any(submission.glob(name)) or any(submission.glob(f"*/{name}"))


def written_answers_note(submission: Path) -> str | None:
    """What the feedback says of the written answers: nothing when the PDF is there; that the
    page stands in for it (save it as PDF) when only written_answers.html is; else that it is
    missing."""
    from autograder.build.written_answers import HTML_NAME

    if has_written_answers(submission):
        return None
    return HTML_NOT_PDF if has_written_answers(submission, HTML_NAME) else NO_PDF


def shipped_setting(name: str, default, valid) -> object:
    """One setting of `make autograder` (gradescope.json), or `default` if absent or invalid."""
    try:
        value = json.loads(SHIPPED_SETTINGS.read_text())[name]
    except (OSError, ValueError, KeyError, TypeError):
        return default
    return value if valid(value) else default


def results_visibility() -> str:
    """When students see the results: `make autograder VISIBILITY=...` (default visible), for
    each question's test and the overall output alike. Gradescope shows no total to a student
    while the tests are hidden: until the due date (after_due_date), until the grades are
    published (after_published), or never (hidden)."""
    return shipped_setting("visibility", "visible", lambda value: value in VISIBILITIES)


def grading_seconds() -> float:
    """How long the judge may grade: `make autograder TIME_LIMIT=...` sets it to 70 % of the
    assignment's timeout on Gradescope (default 420 s of 600)."""
    return float(shipped_setting("grading_seconds", GRADING_SECONDS,
                                 lambda value: isinstance(value, (int, float)) and value >= 60))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/autograder"),
                        help="Gradescope's folder, holding submission/ and results/")
    parser.add_argument("--reference", type=Path, default=None,
                        help="the reference package (default: the shipped assignment's)")
    args = parser.parse_args(argv)
    # The zip grades the one assignment it ships (its course.toml's default), whatever the
    # environment says.
    os.environ.pop(manifest.SETTING, None)
    print(f"Student code runs under {sandbox.protections().summary}.", flush=True)
    try:
        data = run(args.root, args.reference)
    except GraderFailed as failure:
        # On stdout, which only the staff see; no results.json: the run is marked failed.
        print(f"autograder failed, through no fault of the submission; no results.json "
              f"written, so Gradescope marks this run as failed (rerun it once fixed): {failure}",
              flush=True)
        return 1
    print(f"score {data['score']:g}; {data['extra_data']['status']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
