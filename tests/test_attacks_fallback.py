"""The adversarial suite without namespaces (BN_SANDBOX=off, the `limits` level).

What limits, timeouts and cleanup alone must still contain (docs/sandbox.md, "Levels" and "Limits at
every level"): an infinite loop, a memory bomb, a fork flood and a disk filler in one small batch,
and detached daemons that no longer point at their worker. The attacks are tests/attacks/'s
(attack_recipes.FALLBACK and DETACHED_DAEMONS); what is left behind is checked by
tests/forensics.py, as for the `full` level's batch (tests/test_attacks.py).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import time
from dataclasses import replace
from pathlib import Path

import pytest

import attack_recipes as attacks
from attack_recipes import REFERENCE, SETTINGS, TEMPLATE, build_submissions
from autograder import paths, sandbox
from autograder.course import batch, gradebook
from forensics import (FULL, World, expected_out_files, look_after, random_word,
                       stray_processes, take_before, wait_for_no_strays)

pytestmark = pytest.mark.alone  # it inspects /tmp and / for what attacks leave behind


def offline_intel(root: Path, submissions: Path, out: Path, token: str) -> attacks.Intel:
    """What the fallback attacks are told: real folders, no canary, sockets and listeners."""
    return attacks.Intel(
        token=token, forged="FORGED" + random_word(), root=str(root),
        submissions=str(submissions), out=str(out), canary=str(root / "no-canary"),
        repo=str(paths.ROOT), addresses=(), tcp_port=9, udp_port=9,
        unix_socket=str(root / "no-socket"), abstract_socket="none")


def test_fallback_without_namespaces_still_contains_loops_memory_forks_and_disk(
        tmp_path, sandbox_off):
    """BN_SANDBOX=off (the `limits` level): an infinite loop, a memory bomb, a fork flood and a
    disk filler (scratch only: without namespaces /tmp is the host's) are still contained: the
    attacked question scores 0, the honest parts and the other submissions score as usual, and
    no process or file is left; the batch reports the 'limits' level."""
    questions = ["bn_forward_train", "bn_backward"]
    root = tmp_path
    submissions, out, scratch = root / "submissions", root / "out", root / "build"
    token = random_word()
    intel = offline_intel(root, submissions, out, token)
    build_submissions(submissions, scratch, intel, attacks.FALLBACK)
    shutil.rmtree(scratch)
    names = [REFERENCE, TEMPLATE, *(attack.name for attack in attacks.FALLBACK)]
    before = take_before(submissions, None)
    assert sandbox.protections().level == "limits"
    start = time.monotonic()
    result = batch.grade_folder(submissions, out,
                                replace(SETTINGS, timeout=60, questions=questions),
                                jobs=4, progress=False, report=False)
    seconds = time.monotonic() - start
    assert "'limits'" in result.sandbox, f"the batch reports {result.sandbox!r}"
    world = World(intel, submissions, out, root / "no-canary", result, before, seconds)
    look_after(world, [str(root)], [token], [str(submissions), str(out)],
               expected_out_files(names, out), None)
    rows = {row["submission"]: row for row in result.rows}
    honest = {q: float(FULL[q]) for q in questions}

    def scores(name):
        return {q: float(rows[name][q]) for q in questions}

    expected = {REFERENCE: honest, TEMPLATE: {q: 0.0 for q in questions},
                attacks.INFINITE_LOOP.name: {**honest, "bn_backward": 0.0},
                attacks.MEMORY_BOMB.name: {**honest, "bn_backward": 0.0},
                attacks.FORK_FLOOD.name: honest,
                attacks.FALLBACK[-1].name: {q: 0.0 for q in questions}}
    for name, want in expected.items():
        assert scores(name) == want, (f"{name!r} without namespaces: {scores(name)} (status "
                                      f"{rows[name]['status']!r}), expected {want}")
        assert rows[name]["status"] == "ok", (name, rows[name]["status"])
    report = re.search(rf"FILLED {token}[^\n]*", (out / attacks.FALLBACK[-1].name /
                                                  gradebook.FEEDBACK).read_text())
    assert report and "total_mib=" in report.group(0), "the disk filler did not report"
    assert not world.problems, "\n".join(world.problems)
    assert not (out / gradebook.WORK).exists()


def test_fallback_detached_daemons_are_gone_after_grading(tmp_path, sandbox_off):
    """BN_SANDBOX=off, the reference with 3 detached daemons started at import (double fork,
    new session, cwd /, exec'd as sleep: nothing points at the worker any more): bn_forward_train
    still scores 10, and when the submission is done no daemon is left (every process it
    started is gone, at every level: docs/sandbox.md, "Attacks and their outcomes", the judge adopts
    orphans as a subreaper and kills them)."""
    submissions, out, scratch = tmp_path / "submissions", tmp_path / "out", tmp_path / "build"
    token = random_word()
    intel = offline_intel(tmp_path, submissions, out, token)
    folder = attacks.build(attacks.DETACHED_DAEMONS, scratch, intel, 0)
    attacks.export(submissions / "daemons.zip", folder, paths.SOLUTIONS / paths.NOTEBOOK_NAME)
    try:
        result = batch.grade_folder(
            submissions, out, replace(SETTINGS, timeout=60, questions=["bn_forward_train"]),
            jobs=1, progress=False, report=False)
        left = wait_for_no_strays([str(tmp_path)], token, grace=3)
    finally:
        for line in stray_processes([str(tmp_path)], token):  # never leave them running
            with contextlib.suppress(OSError):
                os.kill(int(line.split()[1]), signal.SIGKILL)
    assert "'limits'" in result.sandbox, result.sandbox
    row = result.rows[0]
    assert (row["bn_forward_train"], row["status"]) == ("10", "ok"), row
    assert not left, "daemons left running after grading: " + "; ".join(left)
