"""`make grade`'s command line: its options, their checks, and the run they start
(`python -m autograder.course.grade_command`); the grading itself is batch.py's."""

from __future__ import annotations

import argparse
import platform
import re
import signal
import sys
from dataclasses import replace
from pathlib import Path

from autograder import manifest, paths, sandbox
from autograder.course import gradebook
from autograder.course.batch import BatchError, grade_folder
from autograder.grading.grades import questions
from autograder.sandbox import procfs
from autograder.settings import REVIEW_CHOICES, Settings

# Windows has no resource limits, process groups or fork: student code cannot be confined there.
WINDOWS = (
    "make grade runs student code in a Linux sandbox, and Windows has none: nothing was graded. "
    "Grade inside WSL (in PowerShell: wsl --install; then, in its Ubuntu shell, clone the "
    "project there and run sudo make sandbox-tools and make grade), in a Linux VM, or let "
    "Gradescope grade (make autograder builds its zip). Without grading, Windows runs the rest "
    "(docs/grading-loop.md#platforms): the handout, the autograder zip, Gradescope's scores to "
    "Canvas, similarity and the written PDFs.")


def memory_size(text: str) -> int:
    """'4G', '512M', '2GiB', '1000000' -> bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(i?[bB])?\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (examples: 4G, 512M, 2GiB)")
    number, unit = float(match.group(1)), match.group(2).upper()
    return int(number * 1024 ** " KMGT".index(unit or " "))


def positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="python -m autograder.course.grade_command",
        description="Grade every *.zip and sub-directory of a folder of submissions into a "
                    "gradebook (OUT/grades.csv), per-submission results.json and feedback.md, "
                    "and a report (OUT/report.html). Reruns skip what is already graded.")
    parser.add_argument("--submissions", type=Path, default=paths.DIST / manifest.current().name / "demo",
                        help="folder holding the submissions: each *.zip (as the notebook's "
                             "export cell makes it) and each sub-directory is one submission; "
                             "or Gradescope's 'Export Submissions' zip or its folder, one "
                             "submission per submission_<id>/ folder and one gradebook row per "
                             "student (default: %(default)s, built by make demo)")
    parser.add_argument("--manual", type=Path, default=None,
                        help="Gradescope's grades CSV of the written assignment: its question "
                             "columns become the manifest's written questions in grades.csv, the feedback "
                             "and the report, matched by email or SID")
    parser.add_argument("--no-manual", action="store_true",
                        help="merge no written scores, not even those an earlier run kept in "
                             "OUT (without --manual, a rerun merges them again)")
    parser.add_argument("--canvas", type=Path, default=None,
                        help="Canvas's gradebook export (Grades > Export): OUT/scores_canvas.csv "
                             "gets its rows with the programming score (and the written one, "
                             "in its own column), matched by email or SID; the refused, "
                             "unmatched and unscored are listed in OUT/scores_canvas.txt")
    parser.add_argument("--out", type=Path, default=paths.ROOT / "grades" / manifest.current().name,
                        help="output folder: grades.csv, report.html, and one folder per "
                             "submission with results.json and feedback.md "
                             "(default: %(default)s)")
    parser.add_argument("--jobs", type=positive(int), default=None,
                        help="submissions graded at the same time (default: the number of "
                             f"CPUs this process may use, here {procfs.cpu_count()})")
    parser.add_argument("--timeout", type=positive(float), default=defaults.timeout,
                        help="wall-clock seconds allowed for grading one submission; when they "
                             "run out the verdicts reached so far stand and the unfinished "
                             "questions are marked (status 'timed out after ...'); a grading "
                             "still running 60 s later is killed with every process it started "
                             "(default: %(default)g)")
    parser.add_argument("--memory", type=memory_size, default=defaults.limits.memory_bytes,
                        help="address-space limit of the process running a submission's code, "
                             "e.g. 2G or 512M (default: "
                             f"{defaults.limits.memory_bytes / 2**30:g}G)")
    parser.add_argument("--call-timeout", type=positive(float), default=defaults.call_timeout,
                        help="seconds allowed for one call into the submission's code; a "
                             "function that takes longer is not called again, and only the "
                             "checks that need it fail (default: %(default)g)")
    parser.add_argument("--import-timeout", type=positive(float),
                        default=defaults.import_timeout,
                        help="seconds allowed for importing the submission's package "
                             "(default: %(default)g)")
    parser.add_argument("--only", metavar="NAME",
                        help="regrade exactly this submission (its name without .zip, or its "
                             "file name), even if already graded; the other rows are kept")
    parser.add_argument("--questions", nargs="+", metavar="QUESTION", choices=list(questions()),
                        help="grade only these questions (default: all: "
                             f"{', '.join(questions())})")
    parser.add_argument("--review", choices=REVIEW_CHOICES, default=defaults.review,
                        help="a check no rule could decide (flagged in grades.csv's review "
                             "column and report.html) keeps its points until a person looks "
                             "(keep, the default) or has none until then (withhold)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-report", action="store_true", help="do not write report.html")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if platform.system() == "Windows":
        print(f"error: {WINDOWS}", file=sys.stderr)
        return 2
    for name in ("SIGTERM", "SIGHUP"):  # clean up (children, gradebook) as on Ctrl-C
        signal.signal(getattr(signal, name), lambda number, _: sys.exit(128 + number))
    limits, memory_note = sandbox.fit_to_container(
        replace(Settings().limits, memory_bytes=args.memory), sandbox.container_limit())
    settings = Settings(args.call_timeout, args.import_timeout, args.timeout, limits,
                        args.questions, review=args.review)
    try:
        print(f"Student code runs under {sandbox.protections().summary}.", file=sys.stderr,
              flush=True)
        if limits.memory_bytes != args.memory:
            print(f"Memory: {memory_note}.", file=sys.stderr, flush=True)
        result = grade_folder(args.submissions, args.out, settings, args.jobs, args.only,
                              progress=not args.no_progress, report=not args.no_report,
                              manual=args.manual, canvas=args.canvas,
                              no_manual=args.no_manual)
    except (BatchError, sandbox.SandboxError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"interrupted: {args.out / gradebook.GRADEBOOK} holds what was graded; run again to "
              "finish", file=sys.stderr)
        return 130
    out = args.out
    problems = sum(row["status"] != "ok" for row in result.rows)
    flagged = [row["submission"] for row in result.rows if row.get("review")]
    if flagged:
        fate = "kept" if args.review == "keep" else "withheld"
        print(f"{len(flagged)} flagged for review (points {fate} until then; see report.html): "
              f"{', '.join(flagged)}")
    print(f"{len(result.rows)} submissions: {result.graded} graded, {result.cached} already "
          f"graded; {problems} with a status other than ok; {result.seconds:.1f} s")
    people = result.people
    if people.roster is not None:
        print(f"Gradescope export: {len(result.students)} students in the gradebook"
              + "".join(f"; {note}" for note in people.roster.general))
    if result.manual_note:
        print(result.manual_note)
    if people.manual is not None:
        manual = people.manual
        print(f"manual scores: {len(manual.rows) - len(manual.unmatched)} of {len(manual.rows)} "
              f"rows matched ({', '.join(f'{q} <- {h!r}' for q, h in manual.columns.items())})"
              + "".join(f"; {note}" for note in manual.notes))
        for row in manual.unmatched:
            print(f"  unmatched manual scores, {row.describe()}")
    print(f"wrote {out / gradebook.GRADEBOOK}" + ("" if args.no_report else
                                                   f" and {out / gradebook.REPORT}"))
    if result.upload.paths:
        print("Canvas: " + ", ".join(map(str, result.upload.paths)))
        for line in result.upload.lines():
            print(f"  {line}")
    elif people.roster is not None:
        print(result.upload.note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
