"""The Dropout assignment's hidden checks against its population and its demo mistakes.

Every member of assignment/dropout/population is graded once (student code in a worker, the
checks in this process, as the judge runs them) and must get, on each question, the verdict its
file expects ("full", "partial" or "zero"; a question it does not name keeps full marks). Each
mistake of assignment/dropout/mistakes.toml must lose points where the table below says, with
feedback that names it. The reference (solutions/dropout) keeps full marks; the handout's stubs
(student_template/dropout) score nothing.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest

from autograder.grading import reference
from autograder.build import variants
from autograder.checks.base import CheckFailed, Context
from autograder.grading.client import WorkerClient
from assignments import DROPOUT

QUESTIONS = ["dropout_forward_train", "dropout_forward_test", "dropout_backward",
             "fc_net_dropout"]

# The demo mistakes of mistakes.toml: {name: ({question: verdict}, a phrase the feedback of
# the question that loses points must hold)}. Questions not named keep full marks.
MISTAKES = {
    "no scaling by 1 over p": ({"dropout_forward_train": "partial"}, "not divided by p"),
    "p as the drop probability": ({"dropout_forward_train": "partial"}, "drop probability"),
    "scaling at test time": ({"dropout_forward_test": "zero"}, "multiplies x by p"),
    "new mask in backward": ({"dropout_backward": "partial", "fc_net_dropout": "partial"},
                             "new mask is drawn in backward"),
    "seed ignored": ({"dropout_forward_train": "partial", "fc_net_dropout": "partial"},
                     "the seed is ignored"),
    # Its test-mode masks come from the global generator: the network's test-time scores
    # cannot be judged on the student's own layer, and the network's feedback says why.
    "mask at test time": ({"dropout_forward_test": "zero", "fc_net_dropout": "partial"},
                          "test mode drops units"),
    "net never switches to test mode": ({"fc_net_dropout": "partial"},
                                        "set self.dropout_param['mode'] to 'test'"),
    "dropout after the last affine": ({"fc_net_dropout": "partial"},
                                      "after the last affine layer"),
}


POPULATION = DROPOUT.module("population")
MEMBERS = POPULATION.members()


@pytest.fixture(scope="module")
def setup():
    """(reference package dir, reference modules, handout package dir, checks by question),
    with this process working on the Dropout assignment."""
    saved = os.environ.get("ASSIGNMENT")
    os.environ["ASSIGNMENT"] = "dropout"
    checks = {question.name: question.checks for question in DROPOUT.graded_questions()}
    assert list(checks) == QUESTIONS
    yield (DROPOUT.reference_package, reference.load(DROPOUT.reference_package),
           DROPOUT.handout_package, checks)
    os.environ["ASSIGNMENT"] = saved or "batchnorm"


def grade(folder: Path, setup) -> dict:
    """{question: [(check title, passed, message)]} for the package in `folder`. A check that
    raises anything but CheckFailed is a bug in the checks and fails the test."""
    reference_dir, ref, _, checks = setup
    results = {}
    with WorkerClient(folder) as worker:
        context = Context(worker, ref, reference_dir, package_root=Path(folder) / "cs231n")
        for question in QUESTIONS:
            results[question] = []
            for check in checks[question]:
                try:
                    check.run(context)
                    results[question].append((check.title, True, ""))
                except CheckFailed as failure:
                    results[question].append((check.title, False, str(failure)))
    return results


def verdict(checks) -> str:
    passed = [ok for _, ok, _ in checks]
    return "full" if all(passed) else "zero" if not any(passed) else "partial"


def verdicts(results) -> dict:
    return {question: verdict(checks) for question, checks in results.items()}


def failures(results, question) -> str:
    return " | ".join(f"{title}: {message}" for title, ok, message in results[question]
                      if not ok)


def expect_messages_hide_numbers(results) -> None:
    """No feedback reveals a hidden input or expected value (no decimals)."""
    for question, checks in results.items():
        for _, _, message in checks:
            assert not re.search(r"\d\.\d", message), f"{question}: {message}"


def test_reference_gets_full_marks(setup):
    reference_dir = setup[0]
    results = grade(reference_dir.parent, setup)
    assert verdicts(results) == dict.fromkeys(QUESTIONS, "full"), results


def test_handout_stubs_get_nothing(setup):
    results = grade(setup[2].parent, setup)
    assert verdicts(results) == dict.fromkeys(QUESTIONS, "zero"), results
    assert "not implemented yet" in failures(results, "dropout_forward_train")


def test_population_covers_right_and_wrong_styles():
    kinds = [member.kind for member in MEMBERS]
    assert kinds.count("right") >= 6 and kinds.count("wrong") >= 12
    for member in MEMBERS:
        assert set(member.expect) <= set(QUESTIONS), member.name
        if member.kind == "right":
            assert set(member.expect.values()) == {"full"}, member.name
        else:
            assert set(member.expect.values()) - {"full"}, member.name


@pytest.mark.parametrize("member", MEMBERS, ids=[member.name for member in MEMBERS])
def test_member_verdicts(tmp_path, setup, member):
    folder = member.build(tmp_path / member.name, setup[0])
    results = grade(folder, setup)
    got = verdicts(results)
    wanted = {question: member.expect.get(question, "full") for question in QUESTIONS}
    report = "; ".join(f"{q}: expected {wanted[q]}, got {got[q]}" for q in QUESTIONS)
    print(f"\n{member.name} [{member.kind}] {report}")
    for question in QUESTIONS:
        if got[question] != "full":
            print(f"  {question}: {failures(results, question)}")
    assert got == wanted, f"{member.name}: {report}\n" + "\n".join(
        f"{q}: {failures(results, q)}" for q in QUESTIONS if got[q] != "full")
    expect_messages_hide_numbers(results)


def read_mistakes() -> list[dict]:
    return tomllib.loads((DROPOUT.folder / "mistakes.toml").read_text(encoding="utf-8"))["mistake"]


def test_mistakes_file_covers_the_typical_mistakes():
    names = [mistake["name"] for mistake in read_mistakes()]
    assert sorted(names) == sorted(MISTAKES)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_demo_mistake(tmp_path, setup, name):
    mistake = next(entry for entry in read_mistakes() if entry["name"] == name)
    edits = [(edit["file"], edit.get("function"), edit["old"], edit["new"])
             for edit in mistake["edit"]]
    folder = variants.make_variant(tmp_path / "submission", edits, setup[0])
    results = grade(folder, setup)
    wanted_verdicts, phrase = MISTAKES[name]
    wanted = {question: wanted_verdicts.get(question, "full") for question in QUESTIONS}
    got = verdicts(results)
    print(f"\nmistake {name!r}: " + "; ".join(f"{q}: expected {wanted[q]}, got {got[q]}"
                                              for q in QUESTIONS))
    assert got == wanted, {q: failures(results, q) for q in QUESTIONS if got[q] != "full"}
    feedback = " | ".join(failures(results, q) for q in wanted_verdicts)
    assert phrase in feedback, feedback
    expect_messages_hide_numbers(results)
