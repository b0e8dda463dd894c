"""The speed question's verdict on every member of assignment/batchnorm/alt_population, measured once with
few rounds (the calibration, with many gradings in three conditions, is `make bench`)."""

from __future__ import annotations

from dataclasses import replace

import re

import pytest

from autograder import paths
from autograder.grading import reference
from assignments import batchnorm
from autograder.checks.base import CheckFailed, Context

alt_population = batchnorm("alt_population")
SETTINGS, measure, verdict = (getattr(batchnorm("checks.speed"), name)
                              for name in ("SETTINGS", "measure", "verdict"))
from autograder.grading.client import WorkerClient

FAST = replace(SETTINGS, rounds=3, warmup_rounds=1, calls_per_round=8)
MEMBERS = alt_population.members()


def test_the_population_covers_every_family():
    kinds = {m.kind for m in MEMBERS}
    assert kinds == {"honest", "staged", "slow", "memo", "cheat"}
    assert sum(m.kind == "honest" for m in MEMBERS) >= 5
    assert sum(m.kind == "staged" for m in MEMBERS) >= 3
    # A member beyond any black-box rule is a limit the speed rule's page states by name.
    beyond = [m.name for m in MEMBERS if m.should_pass is None]
    limits = (paths.ROOT / "docs" / "speed-rule.md").read_text()
    limits = limits[limits.index("**Beyond the rule**"):]
    assert all(f"`{name}`" in limits for name in beyond), beyond
    assert len(beyond) <= 1, beyond
    assert any(m.flagged for m in MEMBERS)


@pytest.mark.parametrize("member", MEMBERS, ids=[m.name for m in MEMBERS])
def test_verdict(tmp_path, member):
    folder = member.build(tmp_path / member.name)
    with WorkerClient(folder) as worker:
        context = Context(worker, reference.load(), paths.REFERENCE_PACKAGE)
        try:
            measurement = measure(context, FAST)
        except CheckFailed as failure:  # caught while timing (e.g. work moved out of calls)
            assert "fail" in member.verdicts, f"{member.name}: {failure}"
            return
    judged = verdict(measurement, FAST)
    witness = measurement.witness
    figures = (f"algebra {witness.verdict} (to staged {witness.to_staged:.1e}, to simplified "
               f"{witness.to_simplified:.1e}, to own {witness.to_own:.1e}), same bits "
               f"{measurement.same_bits:.2f}, alt/staged {measurement.staged_ratio:.2f}, alt/ref "
               f"{measurement.reference_ratio:.2f}")
    outcome = "fail" if judged.problem else "review" if judged.review else "pass"
    assert outcome in member.verdicts, f"{member.name}: {figures}: {judged}"
    for text in filter(None, [judged.problem, judged.review]):
        # Only what was measured: no guessed cause such as Python loops.
        assert "loop" not in text and re.search(r"\d", text), text


def test_the_bench_prints_what_a_wrong_verdict_told_the_student():
    """`make bench` names each distinct message of a wrong verdict under the member's line."""
    bench = batchnorm("bench")
    honest = next(m for m in MEMBERS if m.should_pass and not m.flagged)
    told = "batchnorm_backward_alt spent 9x the reference's CPU time outside the timed calls"
    line, wrong = bench.report(honest, [told, told])
    assert wrong == 2
    assert line.count("wrong verdict, told: " + told) == 1, line
    staged = next(m for m in MEMBERS if m.should_pass is False)
    line, wrong = bench.report(staged, [told])
    assert wrong == 0 and "wrong verdict" not in line
