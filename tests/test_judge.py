"""The judge against submissions that crash, hang, exhaust memory, or fail to import.

Each case is the reference package with one hostile or broken line written into it. The judge must
turn every failure into a clear verdict on the checks that hit it, restart the worker so that the
other questions keep their marks, give a precise status when the package cannot even be imported,
and leave no process or scratch directory behind.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest

from autograder import paths, sandbox
from autograder.checks import QUESTIONS
from autograder.grading import judge
from autograder.grading.judge import grade
from autograder.settings import Limits, Settings
from autograder.build.variants import append_text, make_variant

LAYERS = paths.STUDENT_FILES["layers.py"]
FC_NET = paths.STUDENT_FILES["fc_net.py"]
# Quick questions (the speed question is slow and is graded in test_checks_variants_bn.py).
GRADED = ["bn_forward_train", "bn_forward_test", "bn_backward", "bn_backward_alt",
          "ln_forward", "ln_backward"]

STAGED_UNPACK = "    x_hat, x_centered, var, std, gamma, eps = cache\n"
ALT_UNPACK = "    x_hat, _, _, std, gamma, _ = cache\n"
LN_BACKWARD_UNPACK = "    x_hat, _, _, std, gamma, _ = cache\n"
LN_FORWARD_EPS = '    eps = ln_param.get("eps", 1e-5)\n'


def messages(question) -> str:
    return " | ".join(check.message for check in question.checks if not check.passed)


def by_name(result) -> dict:
    return {question.name: question for question in result.questions}


def assert_full_marks(result, names):
    scores = by_name(result)
    for name in names:
        assert scores[name].score == scores[name].max_score, (name, messages(scores[name]))


def processes_mentioning(text: str) -> list[tuple[int, str]]:
    """(pid, command line) of every live process whose command line contains `text`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        if text in command and int(cmdline.parent.name) != os.getpid():
            found.append((int(cmdline.parent.name), command))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.fixture
def workers(monkeypatch):
    """Every worker the judge starts during the test (pid and scratch directory), recorded.

    Other test runs may grade in parallel on this machine, so cleanup is checked on exactly the
    workers this test started rather than on all of /tmp.
    """
    started = []
    real_start = sandbox.start_worker

    def recording_start(submission, limits, level):
        process = real_start(submission, limits, level)
        started.append(process)
        return process

    monkeypatch.setattr(sandbox, "start_worker", recording_start)
    return started


def left_behind(variant: Path, grace: float = 2.0) -> list[tuple[int, str]]:
    """Processes still mentioning `variant` once a SIGKILL sent to them has had time to land
    (a signal to a process group is delivered asynchronously)."""
    deadline = time.monotonic() + grace
    while True:
        found = [(pid, command) for pid, command in processes_mentioning(str(variant.resolve()))
                 if alive(pid)]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def assert_cleaned_up(started, variant: Path):
    assert started, "no worker was started"
    for process in started:
        assert not alive(process.pid), f"worker {process.pid} is still running"
        assert not process.scratch.exists(), f"{process.scratch} was left behind"
        assert process.scratch.name.startswith("bn-worker-")
    assert left_behind(variant) == []


# Failures inside student functions ------------------------------------------------------------

def test_os_exit_in_backward_costs_only_that_question(tmp_path, workers):
    folder = make_variant(tmp_path / "variant", [
        (LAYERS, "batchnorm_backward", STAGED_UNPACK,
         "    import os\n    os._exit(0)\n" + STAGED_UNPACK),
    ])
    result = grade(folder, Settings(questions=GRADED))
    assert result.status == "ok"
    backward = by_name(result)["bn_backward"]
    assert backward.score == 0
    for check in backward.checks:
        assert "batchnorm_backward: the worker exited with status 0" in check.message, check
    # The closed form does not use the staged backward; everything else keeps full marks.
    assert_full_marks(result, set(GRADED) - {"bn_backward"})
    assert result.worker_starts > 1
    assert result.worker_starts == len(workers)
    assert_cleaned_up(workers, folder)


def test_infinite_loop_times_out_quickly(tmp_path, workers):
    folder = make_variant(tmp_path / "variant", [
        (LAYERS, "layernorm_forward", LN_FORWARD_EPS, "    while True:\n        pass\n"),
    ])
    start = time.monotonic()
    result = grade(folder, Settings(call_timeout=2,
                                   questions=["bn_forward_train", "bn_backward", "ln_forward"]))
    elapsed = time.monotonic() - start
    assert result.status == "ok"
    forward = by_name(result)["ln_forward"]
    assert forward.score == 0
    first, *later = forward.checks
    assert "layernorm_forward: timed out after 2 s" in first.message, first
    for check in later:
        assert ("layernorm_forward was not called again: it timed out after 2 s on an earlier "
                "call") in check.message, check
    assert_full_marks(result, ["bn_forward_train", "bn_backward"])
    # One timeout in all: the hung function is not called again.
    assert elapsed < 2 + 10, elapsed
    # The first worker serves the batchnorm checks and hangs; a second serves the rest.
    assert result.worker_starts == 2
    assert_cleaned_up(workers, folder)


@pytest.mark.parametrize("crash, text", [
    ("    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)\n",
     "batchnorm_backward_alt: the worker was killed by signal 9"),
    ("    import ctypes\n    ctypes.string_at(0)\n",
     "batchnorm_backward_alt: the worker was killed by signal 11 (segmentation fault)"),
], ids=["SIGKILL", "segfault"])
def test_killed_worker_costs_only_that_question(tmp_path, workers, crash, text):
    folder = make_variant(tmp_path / "variant", [
        (LAYERS, "batchnorm_backward_alt", ALT_UNPACK, crash + ALT_UNPACK),
    ])
    result = grade(folder, Settings(questions=GRADED))
    assert result.status == "ok"
    alt = by_name(result)["bn_backward_alt"]
    assert alt.score == 0
    for check in alt.checks:
        assert text in check.message, check
    assert_full_marks(result, set(GRADED) - {"bn_backward_alt"})
    assert result.worker_starts > 1
    assert_cleaned_up(workers, folder)


def test_memory_bomb_fails_cleanly(tmp_path, workers):
    folder = make_variant(tmp_path / "variant", [
        (LAYERS, "layernorm_backward", LN_BACKWARD_UNPACK,
         "    hog = []\n    while True:\n        hog.append(np.ones(2**24))\n"),
    ])
    result = grade(folder, Settings(limits=Limits(memory_bytes=1 << 30), questions=[
        "bn_forward_train", "bn_backward", "ln_forward", "ln_backward"]))
    assert result.status == "ok"
    backward = by_name(result)["ln_backward"]
    assert backward.score == 0
    for check in backward.checks:
        assert ("layernorm_backward raised MemoryError" in check.message
                or "the worker was killed" in check.message
                or "it ran out of memory on an earlier call" in check.message), check
    assert_full_marks(result, ["bn_forward_train", "bn_backward", "ln_forward"])
    assert_cleaned_up(workers, folder)


def test_a_function_hoarding_memory_in_its_module_costs_only_the_checks_that_call_it(
        tmp_path, workers):
    """batchnorm_backward keeps what it allocates in a module-level list until MemoryError:
    the checks after it start from a fresh worker, so layernorm and its net lose nothing."""
    folder = append_text(make_variant(tmp_path / "variant", [
        (LAYERS, "batchnorm_backward", "    x_hat, x_centered, var, std, gamma, eps = cache\n",
         "    while True:\n        _HOARD.append(np.ones(2**24))\n"),
    ]), LAYERS, "\n_HOARD = []\n")
    questions = ["bn_backward", "ln_forward", "ln_backward", "fc_net_layernorm"]
    result = grade(folder, Settings(limits=Limits(memory_bytes=1 << 30), questions=questions))
    assert by_name(result)["bn_backward"].score == 0
    assert "MemoryError" in " ".join(c.message for c in by_name(result)["bn_backward"].checks)
    assert_full_marks(result, questions[1:])
    assert_cleaned_up(workers, folder)


def test_printing_a_fake_score_changes_nothing(tmp_path):
    noise = ('    print("score: 100")\n'
             '    print(\'{"id": 1, "value": {"__float__": "inf"}}\')\n'
             '    import os as _os\n'
             '    _os.write(1, b\'{"score": 100, "tests": []}\\n\')\n')
    folder = append_text(make_variant(tmp_path / "variant", [
        (LAYERS, "batchnorm_forward", "    mode = bn_param.get(\"mode\")\n",
         noise + "    mode = bn_param.get(\"mode\")\n"),
        # a real mistake: printing a perfect score must not hide it
        (LAYERS, "batchnorm_backward_alt", "dx = (gamma / (N * std))",
         "dx = (gamma / (2 * N * std))"),
    ]), LAYERS, '\nprint("score: 100")\nprint("All tests passed! 100/100")\n')
    result = grade(folder, Settings(questions=GRADED))
    assert result.status == "ok"
    assert result.worker_starts == 1
    assert_full_marks(result, set(GRADED) - {"bn_backward_alt"})
    alt = by_name(result)["bn_backward_alt"]
    assert alt.score == 0, messages(alt)


def test_grading_is_deterministic():
    first = grade(paths.SOLUTIONS, Settings(questions=GRADED))
    second = grade(paths.SOLUTIONS, Settings(questions=GRADED))

    def verdicts(result):
        return [(q.name, q.score, [(c.title, c.passed, c.message) for c in q.checks])
                for q in result.questions]

    assert first.status == second.status == "ok"
    assert verdicts(first) == verdicts(second)
    assert first.total == second.total == sum(QUESTIONS[name].points for name in GRADED)


def test_no_process_or_scratch_directory_is_left_behind(tmp_path, workers):
    """Children the student starts die with the worker; scratch directories go too."""
    folder = append_text(make_variant(tmp_path / "variant", [
        (LAYERS, "batchnorm_backward", STAGED_UNPACK,
         "    import os\n    os._exit(3)\n" + STAGED_UNPACK),
        (LAYERS, "batchnorm_backward_alt", ALT_UNPACK,
         "    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)\n" + ALT_UNPACK),
    ]), LAYERS, ("\nimport subprocess as _subprocess, sys as _sys\n"
                 "_child = _subprocess.Popen([_sys.executable, '-c', "
                 "'import time; time.sleep(60)', __file__])\n"))
    scratch_before = set(Path(tempfile.gettempdir()).glob("bn-worker-*"))
    result = grade(folder, Settings(questions=["bn_forward_train", "bn_backward", "bn_backward_alt"]))
    scratch_after = set(Path(tempfile.gettempdir()).glob("bn-worker-*"))
    assert result.status == "ok"
    assert_full_marks(result, ["bn_forward_train"])
    assert "exited with status 3" in messages(by_name(result)["bn_backward"])
    assert result.worker_starts >= 3
    assert_cleaned_up(workers, folder)
    # The scratch directories this grading made were in /tmp and none is left there (other
    # runs on this machine may create and remove their own meanwhile).
    made = {process.scratch for process in workers}
    assert all(scratch.parent == Path(tempfile.gettempdir()) for scratch in made)
    assert not made & scratch_before
    assert not made & scratch_after


def test_a_child_in_its_own_session_does_not_outlive_grading(tmp_path):
    folder = append_text(make_variant(tmp_path / "variant"), LAYERS, (
        "\nimport subprocess as _subprocess, sys as _sys\n"
        "_child = _subprocess.Popen([_sys.executable, '-c', 'import time; time.sleep(30)', "
        "__file__], start_new_session=True)\n"))
    try:
        result = grade(folder, Settings(questions=["bn_forward_train"]))
        assert result.status == "ok"
        assert left_behind(folder) == []
    finally:  # this test started them: end them by pid
        for pid, _ in processes_mentioning(str(folder.resolve())):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


# Import statuses ------------------------------------------------------------------------------

def assert_not_graded(result, status: str):
    """Zero, on exactly the questions asked for (GRADED), each check saying why."""
    assert result.total == 0
    assert [q.name for q in result.questions] == GRADED
    for question in result.questions:
        assert question.score == 0
        for check in question.checks:
            assert not check.passed and check.message == f"not graded: {status}"


@pytest.mark.parametrize("file, function, old, new, error", [
    (LAYERS, None, "def batchnorm_backward(dout, cache):\n",
     "def batchnorm_backward(dout, cache)\n", "SyntaxError"),
    (LAYERS, "batchnorm_backward", "    N = dout.shape[0]\n", "      N = dout.shape[0]\n",
     "IndentationError"),
    (FC_NET, None, "import numpy as np\n", "import numpy as np\nx = = 1\n", "SyntaxError"),
], ids=["missing colon", "unexpected indent", "fc_net.py"])
def test_syntax_error_status_names_file_and_line(tmp_path, file, function, old, new, error):
    folder = make_variant(tmp_path / "variant", [(file, function, old, new)])
    text = (folder / file).read_text()
    assert text.count(new) == 1
    bad_line = text[:text.index(new) + len(new)].count("\n")  # the last line of `new`
    result = grade(folder, Settings(questions=GRADED))
    status = f"{error} in {Path(file).name} line {bad_line}"
    assert result.status == status
    assert_not_graded(result, status)


@pytest.mark.parametrize("append, settings, prefix", [
    ("\nimport sys\nsys.exit(0)\n", Settings(), "SystemExit at import"),
    ("\nimport os\nos._exit(0)\n", Settings(), "crashed at import"),
    ("\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", Settings(),
     "crashed at import"),
    ("\nimport a_module_that_does_not_exist\n", Settings(), "ModuleNotFoundError at import"),
    ("\nwhile True:\n    pass\n", Settings(import_timeout=2), "timed out at import"),
], ids=["sys.exit", "os._exit", "SIGKILL", "missing module", "infinite loop"])
def test_import_failure_statuses(tmp_path, workers, append, settings, prefix):
    folder = append_text(make_variant(tmp_path / "variant"), LAYERS, append)
    start = time.monotonic()
    result = grade(folder, replace(settings, questions=GRADED))
    assert time.monotonic() - start < 15
    assert result.status.startswith(prefix), result.status
    assert_not_graded(result, result.status)
    assert result.worker_starts == 1
    assert_cleaned_up(workers, folder)


def test_status_details(tmp_path):
    exit_folder = append_text(make_variant(tmp_path / "exit"), LAYERS,
                              "\nimport sys\nsys.exit(0)\n")
    lines = (exit_folder / LAYERS).read_text().count("\n")
    assert grade(exit_folder).status == f"SystemExit at import ({LAYERS}:{lines})"
    crash_folder = append_text(make_variant(tmp_path / "crash"), LAYERS,
                               "\nimport os\nos._exit(4)\n")
    assert grade(crash_folder).status == "crashed at import: the worker exited with status 4"
    loop_folder = append_text(make_variant(tmp_path / "loop"), LAYERS,
                              "\nwhile True:\n    pass\n")
    assert grade(loop_folder, Settings(import_timeout=2)).status == "timed out at import"


# A hang costs only the checks that call it --------------------------------------------------

BN_FORWARD_MODE = '    mode = bn_param.get("mode")\n'


def hung_messages(result) -> list[str]:
    return [c.message for q in result.questions for c in q.checks
            if "was not called again" in c.message or "timed out after" in c.message]


def test_a_hanging_function_costs_only_the_checks_that_call_it(tmp_path, workers):
    """batchnorm_forward loops forever: it is timed out once and never called again, not even
    through the net's loss, and the layernorm questions, which never call it, keep full marks."""
    folder = make_variant(tmp_path / "variant", [
        (LAYERS, "batchnorm_forward", BN_FORWARD_MODE,
         BN_FORWARD_MODE + "    while True:\n        pass\n")])
    start = time.monotonic()
    result = grade(folder, Settings(call_timeout=3))
    elapsed = time.monotonic() - start
    scores = by_name(result)
    assert result.status == "ok"
    for name in ("ln_forward", "ln_backward", "fc_net_layernorm"):
        assert scores[name].score == scores[name].max_score, name
    for name in ("bn_forward_train", "bn_forward_test", "bn_backward", "bn_backward_alt",
                 "bn_backward_alt_speed"):
        assert scores[name].score == 0, name
    messages = hung_messages(result)
    timeouts = [m for m in messages if "timed out after 3 s" in m and "not called" not in m]
    # One timeout: the batchnorm net's loss, which calls batchnorm_forward, meets it retired
    # in the fresh worker and fails at once, naming it and the line that called it.
    assert len(timeouts) == 1, timeouts
    assert any("batchnorm_forward was not called again: it timed out after 3 s" in m
               for m in messages)
    net = [check.message for check in scores["fc_net_batchnorm"].checks if not check.passed]
    assert net and all("raised NotCalledAgain at cs231n/classifiers/fc_net.py:" in m and
                       "batchnorm_forward was not called again" in m for m in net), net
    assert elapsed < 60, f"{elapsed:.0f} s"
    assert_cleaned_up(workers, folder)


def test_another_name_of_the_hung_function_in_its_module_is_still_called(tmp_path, workers):
    """batchnorm_forward and layernorm_forward are one looping function: batchnorm_forward's
    timeout retires that name, not layernorm_forward, which the layernorm checks call (and time
    out) on their own."""
    folder = append_text(make_variant(tmp_path / "variant"), LAYERS, (
        "\n\ndef _loop(*args, **kwargs):\n    while True:\n        pass\n\n\n"
        "batchnorm_forward = layernorm_forward = _loop\n"))
    result = grade(folder, Settings(call_timeout=2, questions=["bn_forward_train", "ln_forward"]))
    first = by_name(result)["ln_forward"].checks[0]
    assert "layernorm_forward: timed out after 2 s" in first.message, first
    assert result.worker_starts == 3  # the first, then one after each timeout
    assert_cleaned_up(workers, folder)


NET_NORMALIZATION = "        self.normalization = normalization\n"


def test_a_net_that_hangs_with_batchnorm_does_not_cost_the_layernorm_net(tmp_path, workers):
    """FullyConnectedNet's constructor loops forever for batchnorm only: that net is timed out
    once, but the class itself is never retired (the layernorm net uses it too) and keeps its
    full marks; so do the layers."""
    folder = make_variant(tmp_path / "variant", [
        (FC_NET, "FullyConnectedNet", NET_NORMALIZATION,
         NET_NORMALIZATION + "        while normalization == 'batchnorm':\n            pass\n")])
    result = grade(folder, Settings(call_timeout=3, questions=[
        "bn_forward_train", "fc_net_batchnorm", "fc_net_layernorm"]))
    scores = by_name(result)
    assert scores["fc_net_batchnorm"].score == 0
    assert_full_marks(result, ["bn_forward_train", "fc_net_layernorm"])
    assert any("timed out after 3 s" in m for m in hung_messages(result))
    assert_cleaned_up(workers, folder)


def test_the_time_limit_keeps_the_verdicts_reached(tmp_path):
    """layernorm_backward hangs and the submission's time runs out while it does: the questions
    graded before keep their marks; the unfinished ones say why, and the status says how many."""
    folder = make_variant(tmp_path / "variant", [
        (LAYERS, "layernorm_backward", LN_BACKWARD_UNPACK,
         "    while True:\n        pass\n")])
    questions = ["bn_forward_train", "bn_backward", "ln_forward", "ln_backward",
                 "fc_net_layernorm"]
    start = time.monotonic()
    result = grade(folder, Settings(timeout=12, call_timeout=60, questions=questions))
    assert time.monotonic() - start < 20
    scores = by_name(result)
    assert result.status == "timed out after 12 s: 2 questions unfinished"
    for name in ("bn_forward_train", "bn_backward", "ln_forward"):
        assert scores[name].score == scores[name].max_score, name
    for name in ("ln_backward", "fc_net_layernorm"):
        unfinished = [c for c in scores[name].checks if "ran out before this check" in c.message]
        assert unfinished, name


def test_checks_that_confine_the_worker_run_last_and_share_its_one_start():
    """The speed check leaves the worker unable to start processes: run after every other
    check, the whole grading of the reference needs one start of the student's worker, and
    the results keep the gradebook's order."""
    order = judge.in_running_order(judge.selected_questions(Settings()))
    confining = [check.question for check in order if check.confines_worker]
    assert confining and all(check.confines_worker for check in order[-len(confining):])
    result = grade(paths.SOLUTIONS, Settings())
    assert result.status == "ok" and result.total == result.max_total
    assert [q.name for q in result.questions] == list(QUESTIONS)
    assert result.worker_starts == 1
