"""make bench-grade's summary (autograder/measure/throughput.py): each speed target with the
figure measured in the run, met or not."""

from autograder.measure import throughput


def test_the_targets_are_printed_with_their_figures_and_verdicts(capsys):
    throughput.print_targets(speedup=120.4, half_cpu=6.2, per_submission=2.0, lowest=1.0)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "targets:"
    assert "100x the otter run loop: 120.4x, met" in lines[1]
    assert "half a CPU in at most 5 s: 6.20 s, NOT met" in lines[2]
    assert "within 3x the floor: 2.0x, met" in lines[3]


def test_an_unmeasured_target_is_unknown(capsys):
    throughput.print_targets(speedup=50.0, half_cpu=None, per_submission=4.0, lowest=1.0)
    out = capsys.readouterr().out
    assert "50.0x, NOT met" in out and "not measured, unknown" in out and "4.0x, NOT met" in out
