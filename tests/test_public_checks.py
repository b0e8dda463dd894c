"""The notebook's public checks: the reference passes them all, the template fails each clearly.

The checks run the way a student runs them, through otter's `grader.check`, in a separate Python
process whose working directory is a copy of the generated folder.
"""

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from autograder import paths

QUESTIONS = [
    "bn_forward_train",
    "bn_forward_test",
    "bn_backward",
    "bn_backward_alt",
    "fc_net_batchnorm",
    "ln_forward",
    "ln_backward",
    "fc_net_layernorm",
]

RUN_CHECKS = textwrap.dedent(
    """
    import json, sys
    import otter
    grader = otter.Notebook(tests_dir="tests")
    results = {}
    for question in sys.argv[1:]:
        result = grader.check(question, global_env={})
        results[question] = {"passed": bool(result.passed_all), "summary": repr(result)}
    print("RESULTS " + json.dumps(results))
    """
)


def run_public_checks(folder, tmp_path):
    workdir = tmp_path / folder.name
    shutil.copytree(folder, workdir, ignore=shutil.ignore_patterns("__pycache__", "*.ipynb"))
    done = subprocess.run([sys.executable, "-c", RUN_CHECKS, *QUESTIONS], cwd=workdir,
                          capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULTS ")]
    assert done.returncode == 0 and lines, f"the checker crashed:\n{done.stdout}\n{done.stderr}"
    return json.loads(lines[-1][len("RESULTS "):])


def test_public_tests_exist_for_every_question():
    for question in QUESTIONS:
        assert (paths.STUDENT_TEMPLATE / "tests" / f"{question}.py").is_file(), question


def test_reference_passes_every_public_check(tmp_path):
    results = run_public_checks(paths.SOLUTIONS, tmp_path)
    failed = {q: r["summary"] for q, r in results.items() if not r["passed"]}
    assert not failed, failed


def test_template_fails_every_public_check_with_the_stub_message(tmp_path):
    results = run_public_checks(paths.STUDENT_TEMPLATE, tmp_path)
    for question, result in results.items():
        assert not result["passed"], f"{question} passes on the untouched template"
        assert "NotImplementedError" in result["summary"], result["summary"]
        assert "is not implemented yet" in result["summary"], result["summary"]


@pytest.mark.parametrize("question", QUESTIONS)
def test_public_tests_never_contain_hidden_cases(question):
    text = (paths.STUDENT_TEMPLATE / "tests" / f"{question}.py").read_text()
    assert "hidden=True" not in text
