"""Benchmark `make grade` against a sequential loop of plain `otter run` (`make bench-grade`).

Both grade copies of the same reference submission, in the same run, on the same machine:
`make grade`'s batch (autograder.course.batch.grade_folder, JOBS parallel gradings) and one
`otter run -a <the built autograder zip>` per submission, one after the other (otter executes the
whole notebook of each submission). Also reported, as a floor: the start-up of Python with numpy,
and the CPU time one grading really uses (judge and workers together).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from autograder import paths
from autograder.course import batch
from autograder.build import demo
from autograder.grading import judge
from autograder.gradescope import package


# The notebook's helpers, beside it in the student's folder: otter run executes the notebook,
# whose first cell imports handout.py (the export does not ship them: grading never needs them).
NOTEBOOK_HELPERS = ("handout.py", "written_answers.py")


def reference_zips(folder: Path, count: int) -> list[Path]:
    """`count` identical copies of the reference submission, as the export cell makes it, with
    the notebook's helpers added so that otter run can execute the notebook."""
    built = demo.build(folder / "demo", [d for d in demo.demos() if d.name == "reference"])
    source = next(path for path in built if path.suffix == ".zip")
    with_helpers = folder / "reference-with-helpers.zip"
    shutil.copyfile(source, with_helpers)
    with zipfile.ZipFile(with_helpers, "a") as bundle:
        for name in NOTEBOOK_HELPERS:
            bundle.write(paths.STUDENT_TEMPLATE / name, name)
    copies = []
    for number in range(count):
        copy = folder / "submissions" / f"reference {number:03d}.zip"
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(with_helpers, copy)
        copies.append(copy)
    return copies


def seconds_per_submission_batch(submissions: Path, out: Path, jobs: int) -> float:
    result = batch.grade_folder(submissions, out, jobs=jobs, progress=False, report=False)
    return result.seconds / len(result.rows)


def seconds_per_submission_otter(zips: list[Path], autograder_zip: Path,
                                 scratch: Path) -> tuple[float, list[int]]:
    """Mean wall time of one `otter run` per submission, and their exit codes."""
    times, codes = [], []
    for number, submission in enumerate(zips):
        output = scratch / f"otter-{number}"
        output.mkdir(parents=True)
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "otter", "run", "-a", str(autograder_zip),
                               "-o", str(output), str(submission)],
                              capture_output=True, text=True, cwd=output)
        times.append(time.monotonic() - start)
        codes.append(done.returncode)
    return statistics.mean(times), codes


def numpy_startup_seconds(repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", "import numpy"], check=True)
        times.append(time.monotonic() - start)
    return statistics.median(times)


def grading_cpu_seconds() -> float:
    """CPU time of one in-process grading of the reference: the judge and its workers."""
    before_self = resource.getrusage(resource.RUSAGE_SELF)
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    judge.grade(paths.SOLUTIONS)
    after_self = resource.getrusage(resource.RUSAGE_SELF)
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return sum(getattr(after, field) - getattr(before, field)
               for before, after in ((before_self, after_self),
                                     (before_children, after_children))
               for field in ("ru_utime", "ru_stime"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=20,
                        help="identical reference submissions graded by make grade (default 20)")
    parser.add_argument("--otter-runs", type=int, default=3,
                        help="of those, how many the otter run loop grades (default 3; each "
                             "executes the whole notebook)")
    parser.add_argument("--jobs", type=int, default=None, help="make grade's JOBS (default: cores)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bn-throughput-") as scratch:
        folder = Path(scratch)
        zips = reference_zips(folder, args.submissions)
        autograder_zip = package.build_autograder_zip(folder / "autograder.zip")
        ours = seconds_per_submission_batch(folder / "submissions", folder / "grades", args.jobs)
        print(f"make grade: {ours:.2f} s per submission ({args.submissions} submissions)",
              flush=True)
        theirs, codes = seconds_per_submission_otter(zips[:args.otter_runs], autograder_zip,
                                                     folder)
        print(f"otter run -a, sequential: {theirs:.2f} s per submission "
              f"({args.otter_runs} submissions, exit codes {codes})", flush=True)
        print(f"make grade is {theirs / ours:.1f}x faster")
        print(f"floor: Python + numpy start-up {numpy_startup_seconds():.2f} s; CPU of one "
              f"grading (judge and workers) {grading_cpu_seconds():.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
