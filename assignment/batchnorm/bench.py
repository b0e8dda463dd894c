"""`make bench`: calibrate the speed question on a population of alts, in three conditions.

Every member of alt_population/ (honest closed forms in several styles, staged graphs
used as alt, a per-column loop, a memo, cheats against the rule) is measured many times by the
real speed check (checks/speed.py), each time in a fresh worker as the judge leaves it:

- alone;
- beside another grading (a loop of `python -m autograder.grading.judge solutions`);
- under half a CPU, Gradescope's default: a cgroup (v1) with a CPU quota of 50 ms per 100 ms,
  which this process and its workers join (needs root; skipped with a note otherwise);
- as on a CPU without AVX-512: workers restricted to numpy's AVX2 code paths
  (NPY_DISABLE_CPU_FEATURES), where `**`, sqrt and division cost more against a multiply.

It prints, per condition and member, the verdicts (pass, fail, review), the algebra the witness
found (checks/algebra.py) and the timing figures (alt / batchnorm_backward, alt / reference),
then the witness's distances and each timing threshold's margins, and the number of wrong verdicts. The exit status is 1 if
any verdict went the wrong way.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

from autograder import paths
from autograder.grading import reference
from autograder.course import supervise
from autograder.build import variants
from autograder.checks.base import CheckFailed, Context
from autograder.grading.client import WorkerClient
from autograder.measure import cpu_quota

from . import alt_population
from .checks.algebra import SAME_ALGEBRA, SIMPLIFIED
from .checks.speed import SETTINGS, Measurement, algebra_verdict, measure, verdict

CONDITIONS = ("alone", "loaded", "half-cpu", "no-avx512")
# numpy's dispatch targets above AVX2 (numpy 2.x names): workers started with these disabled
# compute as on a CPU without AVX-512 (workers inherit the variable, sandbox/command.py).
WITHOUT_AVX512 = "X86_V4 AVX512_ICL AVX512_SPR"


def alt_body_edit(body: str) -> variants.Edit:
    """The edit that swaps the reference body of batchnorm_backward_alt (its statements after
    the docstring) for `body`."""
    layers = paths.STUDENT_FILES["layers.py"]
    source = (paths.SOLUTIONS / layers).read_text(encoding="utf-8")
    function = next(node for node in ast.parse(source).body
                    if isinstance(node, ast.FunctionDef) and node.name == "batchnorm_backward_alt")
    lines = source.splitlines(keepends=True)
    first = function.body[1].lineno - 1  # body[0] is the docstring
    return layers, function.name, "".join(lines[first:function.end_lineno]), body


# Conditions -----------------------------------------------------------------------------------

@contextlib.contextmanager
def background_grading():
    """Keep another grading of the reference running beside the benchmark; at the end, kill it
    with its workers (sessions of their own) and remove their folders."""
    loop = ("import subprocess, sys\n"
            "while True:\n"
            "    subprocess.run([sys.executable, '-m', 'autograder.grading.judge', 'solutions/batchnorm'],"
            " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n")
    with tempfile.TemporaryDirectory(prefix="bn-bench-load-") as folder:
        os.chmod(folder, 0o755)
        process = subprocess.Popen([sys.executable, "-c", loop], cwd=paths.ROOT,
                                   env=dict(os.environ, TMPDIR=folder), start_new_session=True)
        try:
            yield
        finally:
            supervise.kill_tree(process)
            supervise.kill_leftovers(Path(folder))


@contextlib.contextmanager
def without_avx512():
    """Workers started meanwhile use numpy's AVX2 code paths, as on a CPU without AVX-512."""
    before = os.environ.get("NPY_DISABLE_CPU_FEATURES")
    os.environ["NPY_DISABLE_CPU_FEATURES"] = WITHOUT_AVX512
    try:
        yield
    finally:
        if before is None:
            del os.environ["NPY_DISABLE_CPU_FEATURES"]
        else:
            os.environ["NPY_DISABLE_CPU_FEATURES"] = before


def condition_context(name: str):
    return {"alone": contextlib.nullcontext, "loaded": background_grading,
            "half-cpu": cpu_quota.half_a_cpu, "no-avx512": without_avx512}[name]()


def available(name: str) -> str | None:
    """None if the condition can be set up here, else why not."""
    return cpu_quota.unavailable() if name == "half-cpu" else None


# Measuring ------------------------------------------------------------------------------------

def measure_member(folder: Path, ref, count: int, label: str) -> list[Measurement | str]:
    """`count` speed checks of one submission (a fresh worker each, as the judge leaves it): a
    Measurement, or the message of a check that failed before a ratio (e.g. a memo caught)."""
    results = []
    with WorkerClient(folder) as worker:
        context = Context(worker, ref, paths.REFERENCE_PACKAGE)
        for _ in tqdm(range(count), desc=label, leave=False, disable=not sys.stderr.isatty()):
            try:
                results.append(measure(context))
            except CheckFailed as failure:
                results.append(str(failure))
    return results


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    low, median, high = np.percentile(values, [0, 50, 100])
    return f"{low:.2f}/{median:.2f}/{high:.2f}"


def outcome(result: Measurement | str) -> str:
    """pass, fail or review: what the speed question says of one measurement."""
    if not isinstance(result, Measurement):
        return "fail"  # caught while timing (e.g. work moved out of the calls)
    judged = verdict(result)
    return "fail" if judged.problem else "review" if judged.review else "pass"


def message(result: Measurement | str) -> str:
    """What the speed question would tell the student of one measurement."""
    if not isinstance(result, Measurement):
        return result
    judged = verdict(result)
    return judged.problem or judged.review or "passes"


def expected(member: alt_population.Member) -> str:
    return "not counted" if member.should_pass is None else " or ".join(member.verdicts)


def report(member: alt_population.Member, results: list) -> tuple[str, int]:
    """One line per member: the verdicts, the wrong ones, the figures' min/median/max; then
    each distinct message of a wrong verdict, so that a miss can be read without a rerun."""
    measured = [r for r in results if isinstance(r, Measurement)]
    outcomes = [outcome(r) for r in results]
    wrong = sum(found not in member.verdicts for found in outcomes)
    algebra = sorted({m.witness.verdict for m in measured})
    line = (f"  {member.name:26s} {expected(member):14s} pass {outcomes.count('pass'):3d} "
            f"fail {outcomes.count('fail'):3d} review {outcomes.count('review'):3d} "
            f"wrong {wrong:3d} | algebra {','.join(algebra) or '-':10s} "
            f"alt/staged {spread([m.staged_ratio for m in measured]):17s} "
            f"alt/ref {spread([m.reference_ratio for m in measured])} "
            f"rounds {spread([len(m.alt) for m in measured]).replace('.00', '')}")
    misses = dict.fromkeys(message(r) for r, found in zip(results, outcomes)
                           if found not in member.verdicts)
    line += "".join(f"\n      wrong verdict, told: {text}" for text in misses)
    return line, wrong


def caught_by(measurement: Measurement) -> str | None:
    """The first rule, in the verdict's order, that a measurement breaks or is flagged by (None:
    it passes)."""
    if algebra_verdict(measurement, SETTINGS).problem:
        return "algebra"
    if measurement.staged_ratio > SETTINGS.max_staged_ratio:
        return "staged_ratio"
    if measurement.reference_ratio > SETTINGS.review_reference_ratio:
        return "reference_ratio"
    return None


def margins(results: dict[str, dict[str, list]], members) -> list[str]:
    """Each timing threshold's margins over every condition: to the highest figure of a member
    that should pass, and to the lowest of the failing members this rule is the one to catch;
    and the algebra witness's distances on both sides."""
    measured = [(m, r) for by_member in results.values() for m in members
                for r in by_member.get(m.name, []) if isinstance(r, Measurement)]
    closed = [r.witness.to_staged for m, r in measured if r.witness.verdict == "simplified"]
    staged = [r.witness.to_staged for m, r in measured if r.witness.verdict == "staged"]
    lines = [f"  algebra: the staged graph's algebra at most {max(staged, default=0):.1e} from "
             f"it, simplified closed forms at least {min(closed, default=0):.1e} (rounding "
             f"below {SAME_ALGEBRA:g}, a simplification above {SIMPLIFIED:g})"]
    for label, attribute, threshold in [("alt/staged", "staged_ratio", SETTINGS.max_staged_ratio),
                                        ("alt/ref", "reference_ratio",
                                         SETTINGS.review_reference_ratio)]:
        honest = [getattr(r, attribute) for m, r in measured if m.should_pass]
        caught = [getattr(r, attribute) for m, r in measured
                  if m.should_pass is False and caught_by(r) == attribute]
        text = f"  {label} (threshold {threshold:g}):"
        if honest:
            text += f" should pass at most {max(honest):.2f} (margin x{threshold / max(honest):.2f})"
        if caught:
            text += (f"; caught by this rule at least {min(caught):.2f} "
                     f"(margin x{min(caught) / threshold:.2f})")
        lines.append(text)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gradings", type=int, default=9,
                        help="speed checks per member and condition (default 9)")
    parser.add_argument("--conditions", default=",".join(CONDITIONS),
                        help=f"comma-separated, among {', '.join(CONDITIONS)}")
    parser.add_argument("--members", help="comma-separated member names (default: all)")
    args = parser.parse_args(argv)
    members = alt_population.members()
    if args.members:
        members = [m for m in members if m.name in args.members.split(",")]
    ref = reference.load()
    print(f"speed check: N={SETTINGS.N}, D={SETTINGS.D}, {SETTINGS.min_rounds}-{SETTINGS.rounds} rounds of "
          f"{SETTINGS.calls_per_round} calls; fails on the staged graph's algebra (or same bits "
          f">= {SETTINGS.max_same_bits:g} where the cache cannot be moved), alt/staged > "
          f"{SETTINGS.max_staged_ratio:g} or alt/ref > {SETTINGS.max_reference_ratio:g} (flagged "
          f"above {SETTINGS.review_reference_ratio:g}) "
          "(figures: min/median/max)")
    total_wrong = total = 0
    results: dict[str, dict[str, list]] = {}
    with tempfile.TemporaryDirectory(prefix="bn-bench-") as scratch:
        folders = {m.name: m.build(Path(scratch) / m.name) for m in members}
        os.chmod(scratch, 0o755)  # workers at the uid level read their copy through it
        for condition in args.conditions.split(","):
            why_not = available(condition)
            if why_not:
                print(f"{condition}: skipped ({why_not})")
                continue
            print(f"{condition}:", flush=True)
            results[condition] = {}
            with condition_context(condition):
                for member in members:
                    found = measure_member(folders[member.name], ref, args.gradings,
                                           f"{condition}/{member.name}")
                    results[condition][member.name] = found
                    line, wrong = report(member, found)
                    print(line, flush=True)
                    total_wrong += wrong
                    total += len(found)
    print("margins:")
    print("\n".join(margins(results, members)))
    print(f"wrong verdicts: {total_wrong} of {total}")
    return 0 if total_wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
