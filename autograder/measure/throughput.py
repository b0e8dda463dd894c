"""Benchmark `make grade` against a sequential loop of plain `otter run` (`make bench-grade`).

Both grade copies of the same reference submission, in the same run, on the same machine:
`make grade`'s batch (autograder.course.batch.grade_folder, JOBS parallel gradings) and one
`otter run -a <the built autograder zip>` per submission, one after the other (otter executes the
whole notebook of each submission). Then the floor (floor.py: a fresh interpreter importing
numpy, plus the checks' own arithmetic on the reference) and each cost as a multiple of it; a
whole grading at half a CPU; and the three speed targets, each with its figure.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

from autograder import manifest, paths
from autograder.course import batch
from autograder.build import demo
from autograder.gradescope import package
from autograder.measure import cpu_quota, floor


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


def print_floor(batch_seconds: float) -> float:
    """The floor (floor.py) and each cost beside it, as a ratio; return the floor."""
    startup = floor.numpy_startup_seconds()
    in_process = floor.in_process_questions()
    arithmetic = floor.checks_seconds(in_process)
    lowest = startup + arithmetic
    timed = tuple(q.name for q in manifest.current().graded_questions() if q.name not in in_process)
    print(f"floor: {lowest:.2f} s = Python + numpy start-up {startup:.2f} s + the checks' "
          f"arithmetic on the reference, in process, {arithmetic:.2f} s"
          + (f" (all questions but {', '.join(timed)}, which time a worker process)"
             if timed else ""))
    whole = floor.grading_seconds()
    print(f"a whole grading (judge, sandboxed workers): {whole:.2f} s = {whole / lowest:.1f}x "
          "the floor")
    print(f"make grade per submission: {batch_seconds:.2f} s = {batch_seconds / lowest:.1f}x "
          "the floor")
    same = floor.grading_seconds(in_process)
    print(f"the floor's questions, sandboxed: {same:.2f} s = {same / lowest:.1f}x the floor")
    if timed:
        alone = floor.grading_seconds(timed)
        print(f"{', '.join(timed)} alone: {alone:.2f} s = {alone / lowest:.1f}x the floor")
    return lowest


def half_cpu_grading_seconds() -> float | None:
    """A whole grading of the reference at half a CPU (Gradescope's default), or None where a
    CPU quota cannot be set here (it says why)."""
    why_not = cpu_quota.unavailable()
    if why_not:
        print(f"a whole grading at half a CPU: not measured ({why_not})")
        return None
    with cpu_quota.half_a_cpu("bn-bench-grade"):
        seconds = floor.grading_seconds()
    print(f"a whole grading at half a CPU: {seconds:.2f} s")
    return seconds


def print_targets(speedup: float, half_cpu: float | None, per_submission: float,
                  lowest: float) -> None:
    """The three targets of grading speed, each with its figure from this run."""
    rows = [("make grade at least 100x the otter run loop", f"{speedup:.1f}x", speedup >= 100),
            ("a reference grading at half a CPU in at most 5 s",
             "not measured" if half_cpu is None else f"{half_cpu:.2f} s",
             None if half_cpu is None else half_cpu <= 5),
            ("make grade per submission within 3x the floor",
             f"{per_submission / lowest:.1f}x", per_submission <= 3 * lowest)]
    print("targets:")
    for target, figure, met in rows:
        verdict = {True: "met", False: "NOT met", None: "unknown"}[met]
        print(f"  {target}: {figure}, {verdict}")


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
        print(f"make grade is {theirs / ours:.1f}x faster than the otter run loop")
        lowest = print_floor(ours)
        print_targets(theirs / ours, half_cpu_grading_seconds(), ours, lowest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
