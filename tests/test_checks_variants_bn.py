"""The hidden batchnorm checks against the mistakes students really make.

docs/batchnorm.md, "Questions and points": every failing check names a recognizable mistake
when it sees one.

Each variant is the reference package with one real student mistake written into it. Grading it
must cost points on the question where the mistake lives (and only on questions that depend on
it), and the message must name the mistake where the checks diagnose it. The reference keeps full
marks; the untouched template scores nothing on any batchnorm question.

The speed question takes seconds per grading: it is graded only by the two tests about it.
"""

from __future__ import annotations

import pytest

from autograder import paths
from assignments import batchnorm

SPEED_SETTINGS = batchnorm("checks.speed").SETTINGS
from autograder.grading.judge import grade
from autograder.settings import Settings
from autograder.build.variants import make_variant

BN = ["bn_forward_train", "bn_forward_test", "bn_backward", "bn_backward_alt"]
GRADED = [*BN, "ln_forward"]  # one layernorm question, which no variant here touches
SPEED = "bn_backward_alt_speed"

LAYERS = "cs231n/layers.py"


def messages(question) -> str:
    return " | ".join(check.message for check in question.checks if not check.passed)


def by_name(result) -> dict:
    return {question.name: question for question in result.questions}


STAGED_UNPACK = "    x_hat, x_centered, var, std, gamma, eps = cache\n"
ALT_UNPACK = "    x_hat, _, _, std, gamma, _ = cache\n"
ALT_DX = "dx = (gamma / (N * std)) * (N * dout - dbeta - x_hat * dgamma)"
TEST_MODE_OUT = "out = gamma * x_hat + beta\n        return out, None"
TEST_MODE_X_HAT = "x_hat = (x - running_mean) / np.sqrt(running_var + eps)"
MODE_CHECK = ('    if mode not in ("train", "test"):\n'
              "        raise ValueError(f\"bn_param['mode'] must be 'train' or 'test', "
              'got {mode!r}")\n')

# name: ([(file, function, old, new), ...],
#        {question: [texts its failing messages must all hold]},
#        questions that depend on the mistake and may lose points too)
VARIANTS = {
    "cache unpacked in another order than packed": ([
        (LAYERS, "batchnorm_backward", STAGED_UNPACK,
         "    x_hat, x_centered, std, var, gamma, eps = cache\n"),
    ], {"bn_backward": ["batchnorm_backward's dx", "is wrong",
                        "the cache is unpacked in the order it was packed"]}, set()),
    "operator precedence slip in the closed form": ([
        (LAYERS, "batchnorm_backward_alt", ALT_DX,
         "dx = gamma / N * std * (N * dout - dbeta - x_hat * dgamma)"),
    ], {"bn_backward_alt": ["batchnorm_backward_alt's dx", "is wrong", "the terms of dx"]},
        set()),
    "eps hard-coded in the staged backward": ([
        (LAYERS, "batchnorm_backward", STAGED_UNPACK,
         "    _, x_centered, var, _, gamma, _ = cache\n"
         "    eps = 1e-5\n"
         "    std = np.sqrt(var + eps)\n"
         "    x_hat = x_centered / std\n"),
    ], {"bn_backward": ["non-default eps", "read eps from the cache"]}, set()),
    "eps hard-coded in the closed form": ([
        (LAYERS, "batchnorm_backward_alt", ALT_UNPACK,
         "    _, x_centered, var, _, gamma, _ = cache\n"
         "    std = np.sqrt(var + 1e-5)\n"
         "    x_hat = x_centered / std\n"),
    ], {"bn_backward_alt": ["non-default eps", "read eps from the cache"]}, set()),
    "test mode ignores gamma and beta": ([
        (LAYERS, "batchnorm_forward", TEST_MODE_OUT, "out = x_hat\n        return out, None"),
    ], {"bn_forward_test": ["test-mode output", "test mode must still apply gamma and beta"]},
        set()),
    "eps outside the square root in test mode": ([
        (LAYERS, "batchnorm_forward", TEST_MODE_X_HAT,
         "x_hat = (x - running_mean) / (np.sqrt(running_var) + eps)"),
    ], {"bn_forward_test": ["eps must go inside the square root, added to the running "
                            "variance"]}, set()),
    "eps missing in test mode": ([
        (LAYERS, "batchnorm_forward", TEST_MODE_X_HAT,
         "x_hat = (x - running_mean) / np.sqrt(running_var)"),
    ], {"bn_forward_test": ["eps is missing from the test-time normalization"]}, set()),
    "eps missing in train mode": ([
        (LAYERS, "batchnorm_forward", "std = np.sqrt(sample_var + eps)",
         "std = np.sqrt(sample_var)"),
    ], {"bn_forward_train": ["tiny variance", "eps is missing from the normalization"]},
        # the backward passes read the forward's cache, whose std lacks eps
        {"bn_backward", "bn_backward_alt"}),
    "unbiased variance in train mode": ([
        (LAYERS, "batchnorm_forward", "sample_var = np.mean(x_centered**2, axis=0)",
         "sample_var = x.var(axis=0, ddof=1)"),
    ], {"bn_forward_train": ["the output matches the unbiased variance",
                             "use the biased variance (divide by N)"]},
        # test mode uses the running variance the training steps built; backward reads the cache
        {"bn_forward_test", "bn_backward", "bn_backward_alt"}),
    "running averages with momentum swapped": ([
        (LAYERS, "batchnorm_forward",
         'bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * sample_mean',
         'bn_param["running_mean"] = (1 - momentum) * running_mean + momentum * sample_mean'),
        (LAYERS, "batchnorm_forward",
         'bn_param["running_var"] = momentum * running_var + (1 - momentum) * sample_var',
         'bn_param["running_var"] = (1 - momentum) * running_var + momentum * sample_var'),
    ], {"bn_forward_train": ["running_mean", "momentum weighs the old running value"]},
        # test mode after training steps uses the running averages
        {"bn_forward_test"}),
    "dgamma shaped (1, D) in the staged backward": ([
        (LAYERS, "batchnorm_backward", "dgamma = np.sum(dout * x_hat, axis=0)",
         "dgamma = np.sum(dout * x_hat, axis=0, keepdims=True)"),
    ], {"bn_backward": ["dgamma", "has shape (1, ", "it must have shape (D,)", "keepdims"]},
        set()),
    "dbeta shaped (1, D) in the closed form": ([
        (LAYERS, "batchnorm_backward_alt", "dbeta = dout.sum(axis=0)",
         "dbeta = dout.sum(axis=0, keepdims=True)"),
    ], {"bn_backward_alt": ["dbeta", "has shape (1, ", "it must have shape (D,)", "keepdims"]},
        set()),
    "x modified in place": ([
        (LAYERS, "batchnorm_forward", "x_centered = x - sample_mean",
         "x -= sample_mean\n        x_centered = x"),
    ], {"bn_forward_train": ["batchnorm_forward modified its input x in place"]},
        # bn_backward's numeric check differentiates the student's own forward, which now
        # shifts its input on every call
        {"bn_backward"}),
    "eps added to the variance before the running average": ([
        (LAYERS, "batchnorm_forward",
         'bn_param["running_var"] = momentum * running_var + (1 - momentum) * sample_var',
         'bn_param["running_var"] = momentum * running_var + (1 - momentum) * (sample_var + eps)'),
    ], {"bn_forward_train": ["the running variance holds var + eps"]}, set()),
    "alt scales the cached gamma in place": ([
        (LAYERS, "batchnorm_backward_alt", "    return dx, dgamma, dbeta\n",
         "    cache[4][...] = 2 * cache[4]\n    return dx, dgamma, dbeta\n"),
    ], {"bn_backward_alt": ["batchnorm_backward_alt changed its cache"]},
        set()),
    "a bad mode does not raise": ([
        (LAYERS, "batchnorm_forward", MODE_CHECK, ""),
    ], {"bn_forward_test": ["an invalid bn_param['mode'] must raise ValueError"]}, set()),
    "a bad mode raises KeyError": ([
        (LAYERS, "batchnorm_forward", "raise ValueError(f\"bn_param['mode']",
         "raise KeyError(f\"bn_param['mode']"),
    ], {"bn_forward_test": ["raised KeyError; it must raise ValueError"]}, set()),
}


@pytest.fixture(scope="module")
def reference_grade():
    return grade(paths.SOLUTIONS, Settings(questions=GRADED))


def test_reference_gets_full_marks(reference_grade):
    assert reference_grade.status == "ok"
    assert [q.name for q in reference_grade.questions] == GRADED
    for question in reference_grade.questions:
        assert question.checks, question.name
        assert question.score == question.max_score, (question.name, messages(question))


def test_template_gets_nothing_on_any_batchnorm_question():
    result = grade(paths.STUDENT_TEMPLATE, Settings(questions=[*BN, SPEED]))
    assert result.status == "ok"
    assert {q.name for q in result.questions} == {*BN, SPEED}
    assert result.total == 0
    for question in result.questions:
        assert question.score == 0, question.name
        for check in question.checks:
            assert not check.passed and "not implemented yet" in check.message, (
                question.name, check.title, check.message)
    # The template's forward already raises ValueError on a bad mode: that alone earns nothing.
    bad_mode = [c for c in by_name(result)["bn_forward_test"].checks if "ValueError" in c.title]
    assert len(bad_mode) == 1 and not bad_mode[0].passed


def test_an_alt_that_consumes_its_cache_harms_only_itself(tmp_path):
    """alt pops what it reads from a dict cache: each function gets its own copy, so the
    speed question never reports batchnorm_backward failing on what alt did."""
    folder = make_variant(tmp_path / "variant", [
        (LAYERS, "batchnorm_forward", "cache = (x_hat, x_centered, sample_var, std, gamma, eps)",
         "cache = dict(zip('abcdef', (x_hat, x_centered, sample_var, std, gamma, eps)))"),
        (LAYERS, "batchnorm_backward", STAGED_UNPACK,
         "    x_hat, x_centered, var, std, gamma, eps = (cache[k] for k in 'abcdef')\n"),
        (LAYERS, "batchnorm_backward_alt", ALT_UNPACK,
         "    x_hat, std, gamma = cache.pop('a'), cache.pop('d'), cache.pop('e')\n"),
    ])
    result = grade(folder, Settings(questions=["bn_backward", "bn_backward_alt", SPEED]))
    scores = by_name(result)
    assert scores["bn_backward"].score == scores["bn_backward"].max_score
    assert scores[SPEED].score == scores[SPEED].max_score, messages(scores[SPEED])
    assert "batchnorm_backward_alt changed its cache" in messages(scores["bn_backward_alt"])


def test_speed_message_names_the_function_that_is_not_implemented(tmp_path):
    """A failing forward must not be reported as a missing batchnorm_backward_alt."""
    # batchnorm_backward_alt works; only batchnorm_forward is a stub.
    folder = make_variant(tmp_path / "variant", [
        (LAYERS, "batchnorm_forward", "        sample_mean = x.mean(axis=0)\n",
         "        raise NotImplementedError('batchnorm_forward is not implemented yet')\n"
         "        sample_mean = x.mean(axis=0)\n"),
    ])
    question = by_name(grade(folder, Settings(questions=[SPEED])))[SPEED]
    assert question.score == 0
    assert "batchnorm_forward is not implemented yet" in messages(question), messages(question)
    assert "batchnorm_backward_alt" not in messages(question), messages(question)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_loses_points_where_the_mistake_lives(tmp_path, name, reference_grade):
    edits, expected, related = VARIANTS[name]
    result = grade(make_variant(tmp_path / "variant", edits), Settings(questions=GRADED))
    assert result.status == "ok", result.status
    assert result.worker_starts == 1  # a wrong answer is not a crash
    scores = by_name(result)
    assert set(scores) == set(GRADED)
    for question, texts in expected.items():
        got = scores[question]
        assert got.score < got.max_score, f"{name}: {question} kept full marks"
        for text in texts:
            assert text in messages(got), f"{name}: {question} says {messages(got)!r}"
    for question in set(GRADED) - set(expected) - related:
        got = scores[question]
        assert got.score == got.max_score, f"{name}: {question} lost points: {messages(got)}"


def test_test_mode_ignoring_gamma_and_beta_keeps_training_marks(tmp_path):
    """Only the test-mode branch is wrong: every training-mode check passes, and only the
    test-mode output checks fail (the running averages and the bad mode are still right)."""
    edits, _, _ = VARIANTS["test mode ignores gamma and beta"]
    scores = by_name(grade(make_variant(tmp_path / "variant", edits), Settings(questions=BN)))
    assert scores["bn_forward_train"].score == 10
    passed = {c.title: c.passed for c in scores["bn_forward_test"].checks}
    assert passed == {
        "normalizes with the running averages, then scales and shifts": False,
        "test mode after several training steps with varied momentum": False,
        "test mode leaves the running averages alone": True,
        "a mode other than 'train' or 'test' raises ValueError": True,
    }


def test_in_place_variant_fails_only_the_unmodified_inputs_check_of_training(tmp_path):
    edits, _, _ = VARIANTS["x modified in place"]
    question = by_name(grade(make_variant(tmp_path / "variant", edits),
                             Settings(questions=["bn_forward_train"])))["bn_forward_train"]
    failed = [c.title for c in question.checks if not c.passed]
    assert failed == ["leaves its input arrays unmodified"]
    total = sum(check.weight for check in question.checks)  # the failed check weighs 1
    assert question.score == pytest.approx(10 * (1 - 1 / total), abs=1e-3)


def test_variant_messages_reveal_no_expected_numbers(tmp_path):
    """Messages describe cases in words: no decimals (hidden inputs or expected values)."""
    import re

    for name in ("unbiased variance in train mode", "cache unpacked in another order than packed",
                 "eps outside the square root in test mode"):
        edits, _, _ = VARIANTS[name]
        result = grade(make_variant(tmp_path / name.replace(" ", "_"), edits), Settings(questions=BN))
        for question in result.questions:
            assert not re.search(r"\d\.\d", messages(question)), (name, messages(question))


# The speed question (slow: one grading of it each) -------------------------------------------

def test_reference_passes_the_speed_question():
    result = grade(paths.SOLUTIONS, Settings(questions=[SPEED]))
    assert result.status == "ok"
    question = by_name(result)[SPEED]
    assert question.score == question.max_score, messages(question)
    ratio = result.measurements["alt_time_ratio"]
    assert 0 < ratio <= SPEED_SETTINGS.max_staged_ratio


def test_alt_calling_the_staged_backward_has_right_values_but_fails_speed(tmp_path):
    folder = make_variant(tmp_path / "variant", [
        (LAYERS, "batchnorm_backward_alt", ALT_UNPACK,
         "    return batchnorm_backward(dout, cache)\n"),
    ])
    result = grade(folder, Settings(questions=[*GRADED, SPEED]))
    assert result.status == "ok"
    scores = by_name(result)
    for name in GRADED:
        assert scores[name].score == scores[name].max_score, (name, messages(scores[name]))
    speed = scores[SPEED]
    assert speed.score == 0, f"ratio {result.measurements}"
    assert "computes the staged graph's algebra" in messages(speed), messages(speed)
    assert result.measurements["alt_same_bits"] == 1.0
    assert result.measurements["alt_algebra"] == "staged"


def test_a_forward_only_bug_never_blames_alt(tmp_path):
    """With only batchnorm_forward wrong (the unbiased variance), the speed question names the
    forward pass, and no message of the alt questions says alt is wrong."""
    folder = make_variant(tmp_path / "variant", [
        (LAYERS, "batchnorm_forward", "sample_var = np.mean(x_centered**2, axis=0)",
         "sample_var = x.var(axis=0, ddof=1)")])
    result = grade(folder, Settings(questions=["bn_backward_alt", SPEED]))
    messages = {q.name: [c.message for c in q.checks if not c.passed] for q in result.questions}
    speed_messages = " | ".join(messages[SPEED])
    assert "fix it first" in speed_messages and "batchnorm_forward" in speed_messages
    for text in [*messages["bn_backward_alt"], *messages[SPEED]]:
        assert "batchnorm_backward_alt's dx" not in text and "(see bn_backward_alt)" not in text
