"""autograder.course.similarity: copied code ranks first, honest pairs below, the handout never matches.

The population is written here: the reference and three honestly different solutions of the
layer stubs (the textbook's staged style, a compact keepdims style, a style through explicit sums
over N), a disguised copy of the reference (identifiers renamed, comments removed and reworded,
spacing and blank lines changed, in both files students edit), and two untouched templates.
"""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import pytest

from autograder import paths
from autograder.course import similarity

TEMPLATE = paths.STUDENT_TEMPLATE / paths.PACKAGE_NAME

STAGED = {
    "batchnorm_forward": '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    if mode not in ["train", "test"]:
        raise ValueError("bad mode")
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    if mode == "train":
        # step 1: mean
        mu = 1.0 / N * np.sum(x, axis=0)
        # step 2: subtract the mean
        xmu = x - mu
        # step 3: square
        sq = xmu ** 2
        # step 4: variance
        var = 1.0 / N * np.sum(sq, axis=0)
        # step 5: sqrt
        sqrtvar = np.sqrt(var + eps)
        # step 6: invert
        ivar = 1.0 / sqrtvar
        # step 7: normalize
        xhat = xmu * ivar
        # step 8, 9
        gammax = gamma * xhat
        out = gammax + beta
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
        bn_param["running_mean"] = running_mean
        bn_param["running_var"] = running_var
        cache = (xhat, gamma, xmu, ivar, sqrtvar, var, eps)
        return out, cache
    xn = (x - running_mean) / np.sqrt(running_var + eps)
    return gamma * xn + beta, None
''',
    "batchnorm_backward": '''
def batchnorm_backward(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgammax = dout
    dgamma = np.sum(dgammax * xhat, axis=0)
    dxhat = dgammax * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dsq = 1.0 / N * np.ones((N, D)) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dxmu1 + dxmu2, axis=0)
    dx2 = 1.0 / N * np.ones((N, D)) * dmu
    dx = dx1 + dx2
    return dx, dgamma, dbeta
''',
    "batchnorm_backward_alt": '''
def batchnorm_backward_alt(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(xhat * dout, axis=0)
    dxhat = dout * gamma
    dx = (1.0 / N) * ivar * (N * dxhat - np.sum(dxhat, axis=0) - xhat * np.sum(dxhat * xhat, axis=0))
    return dx, dgamma, dbeta
''',
    "layernorm_forward": '''
def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    xt = x.T
    mu = np.mean(xt, axis=0)
    xmu = xt - mu
    var = np.mean(xmu ** 2, axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = (xmu * ivar).T
    out = gamma * xhat + beta
    cache = (xhat, gamma, xmu, ivar, sqrtvar, var, eps)
    return out, cache
''',
    "layernorm_backward": '''
def layernorm_backward(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = (dout * gamma).T
    D = dxhat.shape[0]
    xh = xhat.T
    dx = (1.0 / D) * ivar * (D * dxhat - dxhat.sum(axis=0) - xh * (dxhat * xh).sum(axis=0))
    return dx.T, dgamma, dbeta
''',
}

KEEPDIMS = {
    "batchnorm_forward": '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param['mode']
    eps, momentum = bn_param.get('eps', 1e-5), bn_param.get('momentum', 0.9)
    D = x.shape[1]
    rm = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
    rv = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))
    if mode == 'train':
        m = x.mean(0, keepdims=True)
        v = x.var(0, keepdims=True)
        z = (x - m) / np.sqrt(v + eps)
        bn_param['running_mean'] = momentum * rm + (1 - momentum) * m.ravel()
        bn_param['running_var'] = momentum * rv + (1 - momentum) * v.ravel()
        return gamma * z + beta, {'z': z, 'v': v, 'g': gamma, 'eps': eps}
    elif mode == 'test':
        return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None
    raise ValueError(mode)
''',
    "batchnorm_backward": '''
def batchnorm_backward(dout, cache):
    z, v, g, eps = cache['z'], cache['v'], cache['g'], cache['eps']
    n = dout.shape[0]
    s = np.sqrt(v + eps)
    dz = dout * g
    dv = np.sum(dz * z * s, 0, keepdims=True) * -0.5 * (v + eps) ** -1.5
    dm = np.sum(-dz / s, 0, keepdims=True) + dv * np.mean(-2.0 * z * s, 0, keepdims=True)
    dx = dz / s + dv * 2.0 * z * s / n + dm / n
    return dx, np.sum(dout * z, 0), np.sum(dout, 0)
''',
    "batchnorm_backward_alt": '''
def batchnorm_backward_alt(dout, cache):
    z, v, g, eps = cache['z'], cache['v'], cache['g'], cache['eps']
    dz = dout * g
    dx = (dz - dz.mean(0, keepdims=True) - z * (dz * z).mean(0, keepdims=True)) / np.sqrt(v + eps)
    return dx, (dout * z).sum(0), dout.sum(0)
''',
    "layernorm_forward": '''
def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get('eps', 1e-5)
    m = x.mean(1, keepdims=True)
    v = x.var(1, keepdims=True)
    z = (x - m) / np.sqrt(v + eps)
    return gamma * z + beta, {'z': z, 'v': v, 'g': gamma, 'eps': eps}
''',
    "layernorm_backward": '''
def layernorm_backward(dout, cache):
    z, v, g, eps = cache['z'], cache['v'], cache['g'], cache['eps']
    dz = dout * g
    dx = (dz - dz.mean(1, keepdims=True) - z * (dz * z).mean(1, keepdims=True)) / np.sqrt(v + eps)
    return dx, (dout * z).sum(0), dout.sum(0)
''',
}

SUMS = {
    "batchnorm_forward": '''
def batchnorm_forward(x, gamma, beta, bn_param):
    if bn_param.get("mode") == "train":
        batch = x.shape[0]
        total = x.sum(axis=0)
        average = total / batch
        centred = x - average
        variance = (centred * centred).sum(axis=0) / batch
        eps = bn_param.get("eps", 1e-5)
        stdev = (variance + eps) ** 0.5
        normed = centred / stdev
        mom = bn_param.get("momentum", 0.9)
        old_mean = bn_param.get("running_mean", np.zeros_like(average))
        old_var = bn_param.get("running_var", np.zeros_like(variance))
        bn_param["running_mean"] = old_mean * mom + average * (1 - mom)
        bn_param["running_var"] = old_var * mom + variance * (1 - mom)
        return normed * gamma + beta, [normed, stdev, gamma]
    if bn_param.get("mode") == "test":
        eps = bn_param.get("eps", 1e-5)
        D = x.shape[1]
        mean_t = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
        var_t = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
        return (x - mean_t) / (var_t + eps) ** 0.5 * gamma + beta, None
    raise ValueError("mode must be train or test")
''',
    "batchnorm_backward": '''
def batchnorm_backward(dout, cache):
    normed, stdev, gamma = cache
    batch = len(dout)
    grad_normed = dout * gamma
    grad_var = (grad_normed * normed).sum(axis=0) * (-0.5) / stdev ** 2
    grad_mean = -(grad_normed / stdev).sum(axis=0)
    dx = grad_normed / stdev + grad_var * 2 * normed * stdev / batch + grad_mean / batch
    return dx, (dout * normed).sum(axis=0), dout.sum(axis=0)
''',
    "batchnorm_backward_alt": '''
def batchnorm_backward_alt(dout, cache):
    normed, stdev, gamma = cache
    batch = len(dout)
    g = dout * gamma
    first = batch * g
    second = g.sum(axis=0)
    third = normed * (g * normed).sum(axis=0)
    return (first - second - third) / (batch * stdev), (dout * normed).sum(axis=0), dout.sum(axis=0)
''',
    "layernorm_forward": '''
def layernorm_forward(x, gamma, beta, ln_param):
    width = x.shape[1]
    average = x.sum(axis=1)[:, None] / width
    centred = x - average
    variance = (centred * centred).sum(axis=1)[:, None] / width
    stdev = (variance + ln_param.get("eps", 1e-5)) ** 0.5
    normed = centred / stdev
    return normed * gamma + beta, [normed, stdev, gamma]
''',
    "layernorm_backward": '''
def layernorm_backward(dout, cache):
    normed, stdev, gamma = cache
    width = dout.shape[1]
    g = dout * gamma
    first = width * g
    second = g.sum(axis=1)[:, None]
    third = normed * (g * normed).sum(axis=1)[:, None]
    return (first - second - third) / (width * stdev), (dout * normed).sum(axis=0), dout.sum(axis=0)
''',
}

# The disguise: every name of the reference's own renamed, comments and docstrings reworded.
RENAMES = {
    "x_hat": "xn", "x_centered": "diff", "sample_mean": "batch_mu", "sample_var": "batch_sigma2",
    "std": "sd", "running_mean": "run_mu", "running_var": "run_var", "momentum": "mom",
    "dx_hat": "grad_xn", "inv_std": "one_over_sd", "dinv_std": "grad_inv", "dvar": "grad_var",
    "dstd": "grad_sd", "dsq": "grad_sq", "dx_centered": "grad_diff", "dmu": "grad_mu",
    "dbeta": "db", "dgamma": "dg", "cache": "saved", "mean": "avg", "var": "variance",
    "out": "result", "layer": "k", "hidden": "h", "scores": "logits", "grads": "gradients",
    "caches": "stash", "dout": "upstream", "weights": "mats", "normalization": "norm_kind",
}


def function_spans(text: str) -> dict[str, tuple[int, int]]:
    starts = [(m.group(1), m.start()) for m in re.finditer(r"^def (\w+)\(", text, re.M)]
    ends = [start for _, start in starts[1:]] + [len(text)]
    return {name: (start, end) for (name, start), end in zip(starts, ends)}


def with_functions(text: str, functions: dict[str, str]) -> str:
    for name, source in functions.items():
        start, end = function_spans(text)[name]
        text = text[:start] + source.strip() + "\n\n\n" + text[end:]
    return text


def disguise(text: str) -> str:
    text = re.sub(r'"""(.|\n)*?"""', '"""See the notebook."""', text)
    text = "\n".join(line.split("#")[0].rstrip() if "#" in line and "'" not in line
                     and '"' not in line else line for line in text.splitlines())
    for old, new in RENAMES.items():
        text = re.sub(rf"\b{old}\b", new, text)
    text = re.sub(r"(\w) = ", r"\1  =  ", text)  # spacing
    text = text.replace("\n    return", "\n\n    # done\n    return")
    return text + "\n"


def package(folder: Path, layers: str | None = None, fc_net: str | None = None) -> Path:
    """A submission folder: the handout's package with these two files' texts."""
    for source in TEMPLATE.rglob("*.py"):
        target = folder / paths.PACKAGE_NAME / source.relative_to(TEMPLATE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    if layers is not None:
        (folder / paths.STUDENT_FILES["layers.py"]).write_text(layers)
    if fc_net is not None:
        (folder / paths.STUDENT_FILES["fc_net.py"]).write_text(fc_net)
    return folder


def population(root: Path) -> Path:
    reference_layers = (paths.SOLUTIONS / paths.STUDENT_FILES["layers.py"]).read_text()
    reference_net = (paths.SOLUTIONS / paths.STUDENT_FILES["fc_net.py"]).read_text()
    template_layers = (TEMPLATE / "layers.py").read_text()
    package(root / "reference", reference_layers, reference_net)
    package(root / "staged", with_functions(template_layers, STAGED))
    package(root / "keepdims", with_functions(template_layers, KEEPDIMS))
    package(root / "sums", with_functions(template_layers, SUMS))
    package(root / "disguised", disguise(reference_layers), disguise(reference_net))
    package(root / "template one")
    package(root / "template two")
    return root


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    root = tmp_path_factory.mktemp("similarity")
    subs = population(root / "submissions")
    pairs = similarity.run(subs, root / "out")
    return root, pairs


def score(pairs, a: str, b: str) -> float:
    return next((p.score for p in pairs if {p.first.label, p.second.label} == {a, b}), 0.0)


def test_the_disguised_copy_ranks_above_every_honest_pair(measured):
    _, pairs = measured
    copy = score(pairs, "reference", "disguised")
    honest = [p.score for p in pairs if {p.first.label, p.second.label} != {"reference",
                                                                             "disguised"}]
    print(f"\ndisguised copy {copy:.3f}; honest pairs {sorted(honest, reverse=True)}")
    assert pairs[0].score == copy
    assert copy >= 0.8
    assert max(honest, default=0.0) < copy - 0.3


def test_two_untouched_templates_do_not_match(measured):
    _, pairs = measured
    assert score(pairs, "template one", "template two") == 0.0
    assert not [p for p in pairs if "template" in p.first.label + p.second.label]


def test_the_csv_lists_pairs_highest_first_and_the_html_shows_the_regions(measured):
    root, pairs = measured
    with open(root / "out" / "similarity.csv", encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [float(r["score"]) for r in rows] == sorted((float(r["score"]) for r in rows),
                                                       reverse=True)
    assert {rows[0]["first"], rows[0]["second"]} == {"reference", "disguised"}
    page = (root / "out" / "similarity.html").read_text(encoding="utf-8")
    assert "highlight-red" in page and "highlight-green" in page
    assert "<i>disguised</i>" in page or "<i>reference</i>" in page
    assert "bn-similarity" not in page, "temporary file names are replaced by labels"


def test_a_public_solution_is_a_reference_and_names_come_from_the_roster(tmp_path):
    subs = tmp_path / "export"
    subs.mkdir()
    (subs / "submission_metadata.yml").write_text(
        "submission_1:\n  :submitters:\n  - :name: Zoë Dupont\n    :sid: 1\n    :email: z@x\n"
        "submission_2:\n  :submitters:\n  - :name: Ana <Lima>\n    :sid: 2\n    :email: a@x\n")
    reference_layers = (paths.SOLUTIONS / paths.STUDENT_FILES["layers.py"]).read_text()
    template_layers = (TEMPLATE / "layers.py").read_text()
    # Zoë uploaded a zip holding a disguised copy of the public solution, Ana loose files.
    copy = package(tmp_path / "zoe", disguise(reference_layers))
    (subs / "submission_1").mkdir()
    with zipfile.ZipFile(subs / "submission_1" / "mine.zip", "w") as archive:
        for file in copy.rglob("*.py"):
            archive.write(file, file.relative_to(copy).as_posix())
    (subs / "submission_2").mkdir()
    (subs / "submission_2" / "layers.py").write_text(with_functions(template_layers, SUMS))
    public = tmp_path / "public"
    package(public / "github-solution", reference_layers)
    pairs = similarity.run(subs, tmp_path / "out", reference=public)
    assert (pairs[0].first.label, pairs[0].second.label) == (
        "Zoë Dupont (submission_1)", "public: github-solution")
    assert pairs[0].score >= 0.8
    page = (tmp_path / "out" / "similarity.html").read_text(encoding="utf-8")
    assert "Zoë Dupont (submission_1)" in page
    assert "Ana <Lima>" not in page


def test_a_submission_without_code_is_listed_not_compared(tmp_path):
    subs = tmp_path / "subs"
    package(subs / "reference", (paths.SOLUTIONS / paths.STUDENT_FILES["layers.py"]).read_text())
    (subs / "corrupt.zip").write_bytes(b"PK\x03\x04 not a zip")
    pairs = similarity.run(subs, tmp_path / "out")
    assert pairs == []
    page = (tmp_path / "out" / "similarity.html").read_text(encoding="utf-8")
    assert "corrupt: corrupt zip" in page


def test_the_html_shows_at_most_the_highest_pairs(tmp_path):
    subs = population(tmp_path / "submissions")
    pairs = similarity.run(subs, tmp_path / "out", threshold=0.0, most=2)
    page = (tmp_path / "out" / "similarity.html").read_text(encoding="utf-8")
    assert len(pairs) > 2 and page.count("View matched code") == 1  # strictly above the 3rd


def test_an_existing_report_gets_the_link(tmp_path):
    from autograder.course import report

    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text(f"<html><body>{report.similarity_section(out)}<p>after</p>"
                                     "</body></html>", encoding="utf-8")
    assert "Not checked yet" in (out / "report.html").read_text(encoding="utf-8")
    similarity.run(population(tmp_path / "submissions"), out)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<a href='similarity.html'>The similarity report</a>" in page
    assert "Not checked yet" not in page and "<p>after</p>" in page
    assert "<td>reference</td><td>disguised</td>" in page or (
        "<td>disguised</td><td>reference</td>" in page)
