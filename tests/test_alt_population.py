"""The speed question's verdict on every member of autograder/alt_population, measured once with
few rounds (the calibration, with many gradings in three conditions, is `make bench`)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from autograder import alt_population, paths, reference
from autograder.checks.base import CheckFailed, Context
from autograder.checks.speed import SETTINGS, measure, verdict
from autograder.client import WorkerClient

FAST = replace(SETTINGS, rounds=3, warmup_rounds=1, calls_per_round=8)
MEMBERS = [m for m in alt_population.members() if m.should_pass is not None]


def test_the_population_covers_every_family():
    kinds = {m.kind for m in MEMBERS}
    assert kinds == {"honest", "staged", "slow", "memo", "cheat"}
    assert sum(m.kind == "honest" for m in MEMBERS) >= 5
    assert sum(m.kind == "staged" for m in MEMBERS) >= 3


@pytest.mark.parametrize("member", MEMBERS, ids=[m.name for m in MEMBERS])
def test_verdict(tmp_path, member):
    folder = member.build(tmp_path / member.name)
    with WorkerClient(folder) as worker:
        context = Context(worker, reference.load(), paths.REFERENCE_PACKAGE)
        try:
            measurement = measure(context, FAST)
        except CheckFailed as failure:  # caught while timing (e.g. work moved out of calls)
            assert not member.should_pass, f"{member.name}: {failure}"
            return
    problem = verdict(measurement, FAST)
    figures = (f"same bits {measurement.same_bits:.2f}, alt/staged "
               f"{measurement.staged_ratio:.2f}, alt/ref {measurement.reference_ratio:.2f}")
    assert (problem is None) == member.should_pass, f"{member.name}: {figures}: {problem}"
    if problem:
        assert "x the CPU time of" in problem or "bit-for-bit" in problem
