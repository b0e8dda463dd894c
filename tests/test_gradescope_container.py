"""The shipped zip, run exactly as shipped in a container of Gradescope's default size (768 MB,
half a CPU, 10 minutes; see gradescope_container.py), at the `full` and the `uid` sandbox levels.

Each upload must get a results.json with the partial credit it deserves, within 5 minutes: the
reference (full marks, the speed verdict right at half a CPU), the template, a hang in one
function, a hang in every function (the worst case for time), a function that touches 2 GiB, four processes that together exhaust the container (the
OOM killer must take a worker, never the judge), a fork flood, and loose files. Then, in the same
file (the container mounts one /autograder, which only one test process may make and remove):
the shipped setup.sh builds the image, a failing step stops it, and Dropout's own zip grades
Dropout uploads.
"""

from __future__ import annotations

import functools
import os
import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder import manifest, paths
from autograder.gradescope import package
from autograder.build import variants
from autograder.sandbox import reach
from autograder.checks import QUESTIONS
import gradescope_container as container

FULL_MARKS = sum(question.points for question in QUESTIONS.values())
DONE_WITHIN = 300  # seconds: the bound, half of Gradescope's limit
LEVELS = ("full", "uid")
# Four containers of half a CPU each use two cores at most; the cases that wait out call timeouts
# (a minute or more) start first, so that the pool ends together.
CONTAINERS_AT_ONCE = 4
SLOW = ("hang everywhere", "forked hoard", "hang", "fork flood")  # the slowest first

HANG = '''

def batchnorm_backward_alt(dout, cache):
    while True:
        pass
'''

# 2 GiB, written a MiB at a time (pages really touched), then the honest answer.
HOARD = '''

_honest_batchnorm_forward = batchnorm_forward


def batchnorm_forward(x, gamma, beta, bn_param):
    hoard = []
    for _ in range(2048):
        hoard.append(np.full(2**17, 1.0))
    return _honest_batchnorm_forward(x, gamma, beta, bn_param)
'''

# Four processes of 300 MiB each: every one within its own cap, together past the container's
# 768 MB, so the kernel's OOM killer must choose (it must choose a worker, never the judge).
FORKED_HOARD = '''

import os as _os
import time as _time


def layernorm_forward(x, gamma, beta, ln_param):
    for _ in range(3):
        if _os.fork() == 0:
            break
    hoard = [np.full(2**17, 1.0) for _ in range(300)]
    _time.sleep(60)
'''

# The worst case for time: every function the student writes hangs.
HANG_EVERYWHERE_LAYERS = '''


def _hang(*args, **kwargs):
    while True:
        pass


batchnorm_forward = batchnorm_backward = batchnorm_backward_alt = _hang
layernorm_forward = layernorm_backward = _hang
'''
HANG_EVERYWHERE_NET = '''


def _hang(self, *args, **kwargs):
    while True:
        pass


FullyConnectedNet.__init__ = FullyConnectedNet.loss = _hang
'''

FORK_FLOOD = '''

import os as _os


def layernorm_forward(x, gamma, beta, ln_param):
    while True:
        try:
            _os.fork()
        except OSError:
            pass
'''


def exported(package_folder: Path):
    """The upload as the notebook's export makes it: cs231n/ at the root."""
    def lay_out(submission: Path) -> None:
        shutil.copytree(package_folder / paths.PACKAGE_NAME, submission / paths.PACKAGE_NAME,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return lay_out


def reference_with(folder: Path, text: str) -> Path:
    """The reference package with `text` appended to layers.py."""
    variants.make_variant(folder)
    return variants.append_text(folder, paths.STUDENT_FILES["layers.py"], text)


def hanging_everywhere(folder: Path) -> Path:
    reference_with(folder, HANG_EVERYWHERE_LAYERS)
    return variants.append_text(folder, paths.STUDENT_FILES["fc_net.py"], HANG_EVERYWHERE_NET)


def loose(submission: Path) -> None:
    for name in (paths.STUDENT_FILES["layers.py"], paths.STUDENT_FILES["fc_net.py"]):
        shutil.copyfile(paths.SOLUTIONS / name, submission / Path(name).name)


def uploads(folder: Path) -> dict:
    return {
        "reference": exported(paths.SOLUTIONS),
        "template": exported(paths.STUDENT_TEMPLATE),
        "hang": exported(reference_with(folder / "hang", HANG)),
        "hang everywhere": exported(hanging_everywhere(folder / "hang-everywhere")),
        "hoard 2 GiB": exported(reference_with(folder / "hoard", HOARD)),
        "fork flood": exported(reference_with(folder / "flood", FORK_FLOOD)),
        "forked hoard": exported(reference_with(folder / "forked-hoard", FORKED_HOARD)),
        "loose files": loose,
    }


@pytest.fixture(scope="module")
def machine():
    """This machine checked and /autograder ready for the whole file (gradescope_container.ready)."""
    try:
        with container.ready():
            yield
    except container.NoContainer as why:
        pytest.skip(f"cannot run Gradescope's container here: {why}")


@pytest.fixture(scope="module")
def batchnorm_zip(machine, tmp_path_factory):
    """The shipped zip, built once for the whole file."""
    return package.build_autograder_zip(tmp_path_factory.mktemp("zip") / "autograder.zip")


@pytest.fixture(scope="module")
def runs(batchnorm_zip, tmp_path_factory):
    """Every upload at every level, CONTAINERS_AT_ONCE containers at a time, the slow first."""
    scratch = tmp_path_factory.mktemp("container")
    cases = uploads(scratch / "uploads")
    slowest_first = sorted(enumerate(cases.items()), key=lambda item: (
        SLOW.index(item[1][0]) if item[1][0] in SLOW else len(SLOW)))
    jobs = {(level, case): (lay_out, scratch / f"{level}-{index}")
            for index, (case, lay_out) in slowest_first for level in LEVELS}
    for _, folder in jobs.values():
        folder.mkdir()

    def run(key):
        lay_out, folder = jobs[key]
        return container.run_in_container(batchnorm_zip, lay_out, folder, key[0],
                                          f"{key[0]}-{folder.name}")

    try:
        with ThreadPoolExecutor(max_workers=CONTAINERS_AT_ONCE) as pool:
            results = dict(zip(jobs, pool.map(run, jobs)))
    except container.NoContainer as why:
        pytest.skip(f"cannot run Gradescope's container here: {why}")
    print("\n" + container.describe(results))
    return results


def scores(run: container.Run) -> dict[str, float]:
    assert run.results is not None, f"no results.json:\n{run.output[-3000:]}"
    return {test["name"]: test["score"] for test in run.results["tests"]}


@functools.lru_cache(maxsize=None)
def firewall_works() -> bool:
    """Whether the workers' firewall rule can be added on this machine (it is, here, as root)."""
    return os.geteuid() == 0 and reach.block_network().startswith("network blocked")


def outputs_of(run: container.Run) -> str:
    return "\n".join(test["output"] for test in run.results["tests"])


def check_run(run: container.Run, level: str) -> dict[str, float]:
    """What every run must show: results.json in time, graded at `level`, the container's
    memory seen by the grader."""
    per_question = scores(run)
    assert run.seconds < DONE_WITHIN, f"took {run.seconds:.0f} s"
    extra = run.results["extra_data"]
    assert extra["sandbox"].startswith(f"sandbox level '{level}'"), extra["sandbox"]
    assert "container memory limit 768 MiB" in extra["memory"], extra["memory"]
    if level == "uid":
        # Where iptables works here it must work in the container; elsewhere it says why not.
        expected = "network blocked" if firewall_works() else "network NOT blocked: "
        assert expected in extra["sandbox"], extra["sandbox"]
    assert set(per_question) == set(QUESTIONS)
    return per_question


@pytest.mark.parametrize("level", LEVELS)
def test_the_reference_gets_full_marks_with_the_speed_verdict_right(runs, level):
    run = runs[(level, "reference")]
    per_question = check_run(run, level)
    assert run.results["score"] == FULL_MARKS, run.results["output"]
    assert per_question["bn_backward_alt_speed"] == QUESTIONS["bn_backward_alt_speed"].points


@pytest.mark.parametrize("level", LEVELS)
def test_the_template_gets_zero_with_its_stub_messages(runs, level):
    run = runs[(level, "template")]
    check_run(run, level)
    assert run.results["score"] == 0
    assert all("not implemented yet" in test["output"] for test in run.results["tests"])


def assert_untouched(per_question: dict[str, float], names: tuple[str, ...]) -> None:
    """The questions that never call the misbehaving function keep their full marks."""
    lost = {name: per_question[name] for name in names
            if per_question[name] != QUESTIONS[name].points}
    assert not lost, f"questions that do not call it lost points: {lost}"


BATCHNORM_FORWARD_FREE = ("ln_forward", "ln_backward", "fc_net_layernorm")
LAYERNORM_FORWARD_FREE = ("bn_forward_train", "bn_forward_test", "bn_backward",
                          "bn_backward_alt", "bn_backward_alt_speed", "fc_net_batchnorm")


@pytest.mark.parametrize("level", LEVELS)
def test_a_hang_costs_only_the_questions_that_call_it(runs, level):
    run = runs[(level, "hang")]
    per_question = check_run(run, level)
    assert per_question["bn_backward_alt"] == per_question["bn_backward_alt_speed"] == 0
    # The reference's net calls batchnorm_backward_alt too: only the net's batchnorm question
    # may lose its gradient checks beside the two alt questions.
    assert_untouched(per_question, ("bn_forward_train", "bn_forward_test", "bn_backward",
                                    "ln_forward", "ln_backward", "fc_net_layernorm"))
    assert "timed out after 10 s" in outputs_of(run)


@pytest.mark.parametrize("level", LEVELS)
def test_hanging_in_every_function_still_ends_in_time_with_every_question_marked(runs, level):
    run = runs[(level, "hang everywhere")]
    check_run(run, level)  # results.json within DONE_WITHIN
    assert run.results["score"] == 0
    for test in run.results["tests"]:
        assert "timed out" in test["output"] or "was not called again" in test["output"], test


@pytest.mark.parametrize("level", LEVELS)
def test_touching_2_gib_costs_only_the_hoarding_function(runs, level):
    run = runs[(level, "hoard 2 GiB")]
    per_question = check_run(run, level)
    assert per_question["bn_forward_train"] == 0
    assert "MemoryError" in outputs_of(run)
    assert_untouched(per_question, BATCHNORM_FORWARD_FREE)


@pytest.mark.parametrize("level", LEVELS)
def test_the_oom_killer_takes_a_worker_never_the_judge(runs, level):
    run = runs[(level, "forked hoard")]
    per_question = check_run(run, level)  # results.json written: the judge survived
    assert run.results["extra_data"]["status"] == "ok"
    assert per_question["ln_forward"] == 0
    assert_untouched(per_question, LAYERNORM_FORWARD_FREE)


@pytest.mark.parametrize("level", LEVELS)
def test_a_fork_flood_costs_only_the_questions_that_call_it(runs, level):
    run = runs[(level, "fork flood")]
    per_question = check_run(run, level)
    assert per_question["ln_forward"] == 0
    assert_untouched(per_question, LAYERNORM_FORWARD_FREE)


@pytest.mark.parametrize("level", LEVELS)
def test_loose_files_are_placed_and_graded_in_full(runs, level):
    run = runs[(level, "loose files")]
    check_run(run, level)
    assert run.results["score"] == FULL_MARKS, run.results["output"]
    for placed in ("layers.py as cs231n/layers.py", "fc_net.py as cs231n/classifiers/fc_net.py"):
        assert placed in run.results["output"], run.results["output"]


# The image, and the second assignment's zip -----------------------------------------------

def test_setup_sh_builds_the_image_run_autograder_grades_in(batchnorm_zip, tmp_path):
    """setup.sh as shipped (downloads stubbed), then run_autograder on the reference: the pins
    install with no index over the tested environment, unchanged; the image's checks pass."""
    run = container.run_in_container(batchnorm_zip, exported(paths.SOLUTIONS), tmp_path, "full",
                                     "setup", run_setup=True)
    setup_log = (tmp_path / "setup.log").read_text()
    assert run.results is not None, setup_log[-3000:] + run.output[-2000:]
    assert run.results["score"] == FULL_MARKS, run.results["output"]
    downloads = (tmp_path / "downloads.log").read_text()
    assert "bubblewrap util-linux iptables" in downloads
    assert "miniforge -b -p /root/miniforge3" in downloads
    assert "mamba env create -f /autograder/source/environment.yml" in downloads
    assert "No broken requirements found" in setup_log  # pip check
    assert "Successfully installed" not in setup_log  # nothing beyond the tested pins


def test_a_failing_setup_step_stops_the_build(batchnorm_zip, tmp_path):
    run = container.run_in_container(batchnorm_zip, exported(paths.SOLUTIONS), tmp_path, "full",
                                     "setup-fails", run_setup=True, extra_env={"FAIL_APT": "1"})
    assert run.results is None  # Gradescope shows the build's error; nothing is graded
    downloads = (tmp_path / "downloads.log").read_text()
    assert downloads.splitlines() == ["apt-get update"]  # stopped at the first failing step
    assert (tmp_path / "setup.log").read_text().rstrip().endswith("apt-get update")


def test_the_dropout_zip_grades_dropout_uploads(machine, tmp_path, monkeypatch):
    """The second assignment's own zip, in the same container: its reference gets its full
    marks, its untouched template zero, and nothing of BatchNorm is shipped."""
    monkeypatch.setenv("ASSIGNMENT", "dropout")
    dropout = manifest.load("dropout")
    autograder_zip = package.build_autograder_zip(tmp_path / "autograder.zip")
    shipped = zipfile.ZipFile(autograder_zip).namelist()
    assert "files/assignment/dropout/checks/__init__.py" in shipped
    assert not [name for name in shipped if "batchnorm" in name.lower()]
    for case, source in (("reference", dropout.solutions), ("template", dropout.template)):
        run = container.run_in_container(autograder_zip, exported(source), tmp_path / case,
                                         "full", f"dropout-{case}")
        assert run.results is not None, run.output[-3000:]
        per_question = scores(run)
        assert set(per_question) == set(dropout.questions), per_question
        expected = dropout.auto_points if case == "reference" else 0
        assert run.results["score"] == expected, (case, run.results["output"][-2000:])
        assert run.seconds < DONE_WITHIN and not run.oom_kills, (case, run.seconds, run.oom_kills)
