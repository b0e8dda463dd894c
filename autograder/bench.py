"""Benchmark the speed check of batchnorm_backward_alt: is its threshold calibrated?

Four kinds of alt are timed many times by the real speed check (autograder/checks/speed.py):
the reference, an honest closed form written plainly (extra temporaries, x_hat recomputed), the
staged graph reused as alt, and a per-column Python loop. The first two must always pass and the
last two always fail; the benchmark prints each kind's ratio distribution and how many verdicts
went the wrong way, once alone and once with another grading running beside it.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

from autograder import paths, reference, variants
from autograder.checks.base import Context
from autograder.checks.speed import SETTINGS, Measurement
from autograder.checks.speed import measure as speed_measure
from autograder.client import WorkerClient

HONEST = '''\
    x_hat, x_centered, var, std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    x_hat = x_centered / np.sqrt(var + eps)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = (gamma / (N * np.sqrt(var + eps))) * (
        N * dout - np.sum(dout, axis=0) - x_hat * np.sum(dout * x_hat, axis=0)
    )
    return dx, dgamma, dbeta
'''

STAGED = '''\
    return batchnorm_backward(dout, cache)
'''

PER_COLUMN = '''\
    x_hat, _, _, std, gamma, _ = cache
    N, D = dout.shape
    dx = np.empty_like(dout)
    dgamma = np.empty(D)
    dbeta = np.empty(D)
    for j in range(D):
        g, xh = dout[:, j], x_hat[:, j]
        dbeta[j] = g.sum()
        dgamma[j] = (g * xh).sum()
        dx[:, j] = gamma[j] / std[j] * (g - dbeta[j] / N - xh * dgamma[j] / N)
    return dx, dgamma, dbeta
'''

# kind -> (replacement body of batchnorm_backward_alt or None for the reference, should pass)
KINDS = {
    "reference": (None, True),
    "honest closed form": (HONEST, True),
    "staged graph as alt": (STAGED, False),
    "per-column loop": (PER_COLUMN, False),
}


def alt_body_edit(body: str) -> variants.Edit:
    """The edit that swaps the reference body of batchnorm_backward_alt (its statements after
    the docstring) for `body`."""
    source = (paths.SOLUTIONS / paths.LAYERS_FILE).read_text(encoding="utf-8")
    function = next(node for node in ast.parse(source).body
                    if isinstance(node, ast.FunctionDef) and node.name == "batchnorm_backward_alt")
    lines = source.splitlines(keepends=True)
    first = function.body[1].lineno - 1  # body[0] is the docstring
    return paths.LAYERS_FILE, function.name, "".join(lines[first:function.end_lineno]), body


def make_variant(root: Path, kind: str) -> Path:
    """A submission folder whose alt is of the given kind."""
    body, _ = KINDS[kind]
    edits = [] if body is None else [alt_body_edit(body)]
    return variants.make_variant(root / kind.replace(" ", "_"), edits)


@contextlib.contextmanager
def background_grading(enabled: bool):
    """Keep another grading of the reference running beside the benchmark."""
    if not enabled:
        yield
        return
    loop = ("import subprocess, sys\n"
            "while True:\n"
            "    subprocess.run([sys.executable, '-m', 'autograder.judge', 'solutions'],"
            " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n")
    process = subprocess.Popen([sys.executable, "-c", loop], cwd=paths.ROOT,
                               start_new_session=True)
    try:
        yield
    finally:
        import os
        import signal

        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def measure(folder: Path, ref, count: int, label: str) -> list[Measurement]:
    """`count` speed checks of one submission (each in a fresh worker, as the judge leaves it)."""
    measurements = []
    with WorkerClient(folder) as worker:
        context = Context(worker, ref, paths.SOLUTIONS / paths.PACKAGE_NAME)
        for _ in tqdm(range(count), desc=label, leave=False):
            measurements.append(speed_measure(context))
    return measurements


def per_call_us(rounds: list[list[int]]) -> float:
    return float(np.median(rounds)) / SETTINGS.calls_per_round / 1e3


def summary(kind: str, measurements: list[Measurement]) -> tuple[str, int]:
    should_pass = KINDS[kind][1]
    ratios = [measurement.ratio for measurement in measurements]
    wrong = sum((ratio <= SETTINGS.max_ratio) != should_pass for ratio in ratios)
    q = np.percentile(ratios, [0, 5, 50, 95, 100])
    # Per call, medians over every round: what alt and the overhead cost in CPU time.
    student = per_call_us([m.student for m in measurements])
    reference = per_call_us([m.reference for m in measurements])
    overhead = per_call_us([m.overhead for m in measurements])
    line = (f"  {kind:22s} n={len(ratios):4d}  min {q[0]:5.2f}  p5 {q[1]:5.2f}  "
            f"median {q[2]:5.2f}  p95 {q[3]:5.2f}  max {q[4]:5.2f}  "
            f"should {'pass' if should_pass else 'fail'}, wrong verdicts: {wrong}  "
            f"(us per call: student {student:.1f}, reference {reference:.1f}, "
            f"overhead {overhead:.1f})")
    return line, wrong


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gradings", type=int, default=50,
                        help="speed checks per kind of alt and condition (default 50)")
    parser.add_argument("--conditions", default="alone,loaded",
                        help="comma-separated: alone, loaded (another grading beside it)")
    args = parser.parse_args(argv)
    ref = reference.load()
    print(f"speed check: N={SETTINGS.N}, D={SETTINGS.D}, {SETTINGS.rounds} rounds of "
          f"{SETTINGS.calls_per_round} calls, pass if ratio <= {SETTINGS.max_ratio}")
    total_wrong = total = 0
    with tempfile.TemporaryDirectory(prefix="bn-bench-") as scratch:
        folders = {kind: make_variant(Path(scratch), kind) for kind in KINDS}
        for condition in args.conditions.split(","):
            print(f"{condition}:")
            with background_grading(condition == "loaded"):
                for kind, folder in folders.items():
                    measurements = measure(folder, ref, args.gradings, f"{condition}/{kind}")
                    line, wrong = summary(kind, measurements)
                    print(line, flush=True)
                    total_wrong += wrong
                    total += len(measurements)
    print(f"wrong verdicts: {total_wrong} of {total}")
    return 0 if total_wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
