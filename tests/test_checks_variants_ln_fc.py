"""The hidden layernorm and FullyConnectedNet checks against known mistakes.

Each variant is the reference package with one real student mistake written into it. Grading it
must cost points on the question where the mistake lives (and only on questions that depend on
it), and the message must name the mistake where the checks diagnose it. The reference keeps full
marks; the untouched template scores nothing on these questions.
"""

from __future__ import annotations

import pytest

from autograder import paths
from autograder.grading.judge import grade
from autograder.settings import Settings
from autograder.build.variants import append_text, make_variant

LN_FC = ["ln_forward", "ln_backward", "fc_net_batchnorm", "fc_net_layernorm"]
GRADED = [*LN_FC, "bn_forward_train"]  # one batchnorm question, which no variant here touches

LAYERS = paths.STUDENT_FILES["layers.py"]
FC_NET = paths.STUDENT_FILES["fc_net.py"]

# name: ([(file, function or None, old, new), ...], {question: text its messages must hold},
#        questions that depend on the mistake and may lose points too)
VARIANTS = {
    "layernorm over axis 0": ([
        (LAYERS, "layernorm_forward", "mean = x.mean(axis=1, keepdims=True)",
         "mean = x.mean(axis=0, keepdims=True)"),
        (LAYERS, "layernorm_forward", "var = np.mean(x_centered**2, axis=1, keepdims=True)",
         "var = np.mean(x_centered**2, axis=0, keepdims=True)"),
    ], {"ln_forward": "taken over the batch (axis 0)"}, {"ln_backward", "fc_net_layernorm"}),
    "layernorm eps outside the square root": ([
        (LAYERS, "layernorm_forward", "std = np.sqrt(var + eps)", "std = np.sqrt(var) + eps"),
    ], {"ln_forward": "eps must go inside the square root"}, {"ln_backward", "fc_net_layernorm"}),
    "layernorm backward with axis-0 reductions": ([
        (LAYERS, "layernorm_backward", "D = dout.shape[1]", "D = dout.shape[0]"),
        (LAYERS, "layernorm_backward", "dx_hat.sum(axis=1, keepdims=True)",
         "dx_hat.sum(axis=0, keepdims=True)"),
        (LAYERS, "layernorm_backward", "np.sum(dx_hat * x_hat, axis=1, keepdims=True)",
         "np.sum(dx_hat * x_hat, axis=0, keepdims=True)"),
    ], {"ln_backward": "dx reduces over the batch (axis 0)"}, {"fc_net_layernorm"}),
    "layernorm backward calling batchnorm's": ([
        (LAYERS, "layernorm_backward", "    x_hat, _, _, std, gamma, _ = cache\n",
         "    return batchnorm_backward_alt(dout, cache)\n"),
    ], {"ln_backward": "dx reduces over the batch (axis 0)"}, {"fc_net_layernorm"}),
    "layernorm backward with eps hard-coded": ([
        (LAYERS, "layernorm_backward", "    x_hat, _, _, std, gamma, _ = cache\n",
         "    x_hat, _, var, _, gamma, _ = cache\n    std = np.sqrt(var + 1e-5)\n"),
    ], {"ln_backward": "read eps (or the standard deviation) from the cache"},
        {"fc_net_layernorm"}),
    "layernorm dgamma shaped (1, D)": ([
        (LAYERS, "layernorm_backward", "dgamma = np.sum(dout * x_hat, axis=0)",
         "dgamma = np.sum(dout * x_hat, axis=0, keepdims=True)"),
    ], {"ln_backward": "no keepdims"}, {"fc_net_layernorm"}),
    "last W left out of L2": ([
        (FC_NET, None, 'weights = [self.params[f"W{layer}"] for layer in range(1, L + 1)]',
         'weights = [self.params[f"W{layer}"] for layer in range(1, L)]'),
        (FC_NET, None, 'grads[f"W{L}"] = dW + self.reg * self.params[f"W{L}"]',
         'grads[f"W{L}"] = dW'),
    ], {"fc_net_batchnorm": "output layer's weights are left out of the L2",
        "fc_net_layernorm": "output layer's weights are left out of the L2"}, set()),
    "ReLU after the final affine": ([
        (FC_NET, None, 'scores, out_cache = affine_forward(hidden, self.params[f"W{L}"], '
                       'self.params[f"b{L}"])\n',
         'scores, out_cache = affine_forward(hidden, self.params[f"W{L}"], '
         'self.params[f"b{L}"])\n        scores, last_relu = relu_forward(scores)\n'),
        (FC_NET, None, 'dhidden, dW, grads[f"b{L}"] = affine_backward(dscores, out_cache)',
         'dscores = relu_backward(dscores, last_relu)\n'
         '        dhidden, dW, grads[f"b{L}"] = affine_backward(dscores, out_cache)'),
    ], {"fc_net_batchnorm": "ReLU is applied after the last affine layer",
        "fc_net_layernorm": "ReLU is applied after the last affine layer"}, set()),
    "fresh bn_param dicts in every loss() call": ([
        (FC_NET, None, '            for bn_param in self.bn_params:\n'
                       '                bn_param["mode"] = mode\n',
         '            self.bn_params = [{"mode": mode} for _ in range(self.num_layers - 1)]\n'),
    ], {"fc_net_batchnorm": "a fresh bn_param dict is made on every call"}, set()),
    "normalization='layernorm' ignored": ([
        (FC_NET, None, "            if self.normalization is not None:\n"
                       "                hidden, norm_cache",
         '            if self.normalization == "batchnorm":\n'
         "                hidden, norm_cache"),
        (FC_NET, None, "            if self.normalization is not None:\n"
                       "                dhidden, grads",
         '            if self.normalization == "batchnorm":\n'
         "                dhidden, grads"),
    ], {"fc_net_layernorm": "normalization='layernorm' is ignored"}, set()),
    "output layer initialised with another scale": ([
        (FC_NET, None, 'self.params[f"W{layer}"] = weight_scale * np.random.randn(fan_in, fan_out)',
         'scale = weight_scale if layer < self.num_layers else 1 / np.sqrt(fan_in)\n'
         '            self.params[f"W{layer}"] = scale * np.random.randn(fan_in, fan_out)'),
    ], {"fc_net_batchnorm": "another scale", "fc_net_layernorm": "another scale"}, set()),
    "gamma regularized": ([
        (FC_NET, None, 'weights = [self.params[f"W{layer}"] for layer in range(1, L + 1)]',
         'weights = [v for k, v in self.params.items() if k[0] == "W" or k[:5] == "gamma"]'),
        (FC_NET, None, "                    dhidden, norm_cache\n                )\n",
         "                    dhidden, norm_cache\n                )\n"
         '                grads[f"gamma{layer}"] = grads[f"gamma{layer}"] '
         '+ self.reg * self.params[f"gamma{layer}"]\n'),
    ], {"fc_net_batchnorm": "gamma or beta are regularized",
        "fc_net_layernorm": "regularization gradient"}, set()),
}


# Correct solutions written another way: they must keep full marks.
TRANSPOSED_LAYERNORM = '''
def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    N = x.shape[0]
    x_hat_t, bn_cache = batchnorm_forward(x.T, np.ones(N), np.zeros(N),
                                          {"mode": "train", "eps": eps})
    x_hat = x_hat_t.T
    return gamma * x_hat + beta, (bn_cache, x_hat, gamma)


def layernorm_backward(dout, cache):
    bn_cache, x_hat, gamma = cache
    dx_t, _, _ = batchnorm_backward_alt((dout * gamma).T, bn_cache)
    return dx_t.T, np.sum(dout * x_hat, axis=0), dout.sum(axis=0)
'''

# As real students write it: ln_param itself handed to batchnorm_forward, which then holds a
# mode and running averages that layernorm never reads (not a mistake: a decided case).
TRANSPOSED_ON_LN_PARAM = TRANSPOSED_LAYERNORM.replace(
    """    x_hat_t, bn_cache = batchnorm_forward(x.T, np.ones(N), np.zeros(N),
                                          {"mode": "train", "eps": eps})""",
    """    ln_param["mode"] = "train"
    x_hat_t, bn_cache = batchnorm_forward(x.T, np.ones(N), np.zeros(N), ln_param)""")
assert TRANSPOSED_ON_LN_PARAM != TRANSPOSED_LAYERNORM

# name: ([(file, function or None, old, new), ...], code appended to layers.py)
ALTERNATIVES = {
    "layernorm by the transpose trick, on ln_param itself": ([
        (LAYERS, None, "\ndef layernorm_forward(", "\ndef unused_layernorm_forward("),
        (LAYERS, None, "\ndef layernorm_backward(", "\ndef unused_layernorm_backward("),
    ], TRANSPOSED_ON_LN_PARAM),
    "layernorm by the transpose trick on batchnorm": ([
        (LAYERS, None, "\ndef layernorm_forward(", "\ndef unused_layernorm_forward("),
        (LAYERS, None, "\ndef layernorm_backward(", "\ndef unused_layernorm_backward("),
    ], TRANSPOSED_LAYERNORM),
    "the network with the staged batchnorm backward": ([
        (FC_NET, None, "return batchnorm_backward_alt(dout, cache)",
         "return batchnorm_backward(dout, cache)"),
    ], ""),
}


def messages(question) -> str:
    return " | ".join(check.message for check in question.checks if not check.passed)


@pytest.fixture(scope="module")
def reference_grade():
    return grade(paths.SOLUTIONS, Settings(questions=GRADED))


def test_reference_gets_full_marks(reference_grade):
    assert reference_grade.status == "ok"
    assert {q.name for q in reference_grade.questions} == set(GRADED)
    for question in reference_grade.questions:
        assert question.score == question.max_score, (question.name, messages(question))


def test_template_gets_nothing_on_these_questions():
    result = grade(paths.STUDENT_TEMPLATE, Settings(questions=LN_FC))
    assert result.status == "ok"
    assert {q.name for q in result.questions} == set(LN_FC)
    for question in result.questions:
        assert question.score == 0, question.name
        for check in question.checks:
            assert not check.passed and "not implemented yet" in check.message, (
                question.name, check.title, check.message)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_loses_points_where_the_mistake_lives(tmp_path, name, reference_grade):
    edits, expected, related = VARIANTS[name]
    result = grade(make_variant(tmp_path / "variant", edits), Settings(questions=GRADED))
    assert result.status == "ok", result.status
    scores = {q.name: q for q in result.questions}
    for question, text in expected.items():
        got = scores[question]
        assert got.score < got.max_score, f"{name}: {question} kept full marks"
        assert text in messages(got), f"{name}: {question} says {messages(got)!r}"
    for question in set(GRADED) - set(expected) - related:
        got = scores[question]
        assert got.score == got.max_score, f"{name}: {question} lost points: {messages(got)}"


@pytest.mark.parametrize("name", list(ALTERNATIVES))
def test_correct_alternatives_keep_full_marks(tmp_path, name):
    edits, appended = ALTERNATIVES[name]
    folder = append_text(make_variant(tmp_path / "alternative", edits), LAYERS, appended)
    result = grade(folder, Settings(questions=GRADED))
    for question in result.questions:
        assert question.score == question.max_score, (name, question.name, messages(question))


def test_variant_messages_reveal_no_expected_numbers(tmp_path):
    """Messages describe cases in words: no decimals (hidden inputs or expected values)."""
    import re

    for name in ("layernorm over axis 0", "last W left out of L2",
                 "fresh bn_param dicts in every loss() call"):
        edits, _, _ = VARIANTS[name]
        result = grade(make_variant(tmp_path / name.replace(" ", "_"), edits), Settings(questions=LN_FC))
        for question in result.questions:
            text = messages(question).replace("0.5 * reg", "")  # the formula, not a value
            assert not re.search(r"\d\.\d", text), (name, messages(question))
