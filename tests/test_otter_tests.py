"""otter's test files, one test case per hidden check, score a Grade exactly as the judge does."""

import subprocess
import sys

import pytest

from autograder import paths
from autograder.grading import otter_tests
from autograder.checks import QUESTIONS
from autograder.grading.judge import grade
from autograder.settings import Settings
from autograder.build.variants import make_variant

ONLY = ["bn_forward_test", "ln_forward"]


@pytest.fixture(scope="module")
def test_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("otter-tests")
    written = otter_tests.write_test_files(folder)
    assert sorted(path.stem for path in written) == sorted(QUESTIONS)
    return folder


@pytest.mark.parametrize("submission", ["reference", "template", "test mode ignores gamma"])
def test_otter_scores_agree_with_the_judge(test_files, tmp_path, submission):
    if submission == "reference":
        folder = paths.SOLUTIONS
    elif submission == "template":
        folder = paths.STUDENT_TEMPLATE
    else:
        folder = make_variant(tmp_path, [(paths.STUDENT_FILES["layers.py"], "batchnorm_forward",
                                          "out = gamma * x_hat + beta\n        return out, None",
                                          "out = x_hat\n        return out, None")])
    result = grade(folder, Settings(questions=ONLY))
    scored = otter_tests.score(result, test_files)
    for question in result.questions:
        assert scored[question.name].score == pytest.approx(question.score, abs=1e-4)
        assert scored[question.name].possible == pytest.approx(question.max_score)
    if submission == "test mode ignores gamma":
        assert 0 < scored["bn_forward_test"].score < QUESTIONS["bn_forward_test"].points
        assert "gamma and beta" in scored["bn_forward_test"].summary()


def test_scoring_loads_otters_test_files_alone_and_otter_still_imports_in_full(tmp_path):
    """In a process without otter (Gradescope's run), scoring does not pay for otter's whole
    API (nbconvert, pandas: over 2 s at half a CPU); a later `import otter` gets all of it."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from autograder.grading import otter_tests\n"
        "from autograder.grading.judge import not_graded\n"
        "from autograder.settings import Settings\n"
        "folder = Path(sys.argv[1])\n"
        "otter_tests.write_test_files(folder)\n"
        "scored = otter_tests.score(not_graded('crashed', Settings()), folder)\n"
        "print(len(scored), sum(f.score for f in scored.values()), 'pandas' in sys.modules,\n"
        "      'otter.api' in sys.modules)\n"
        "import otter\n"
        "print(callable(otter.Notebook), otter.test_files.ExceptionTestFile.__name__)\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=paths.ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(len(QUESTIONS)), "0", "False", "False",
                                   "True", "ExceptionTestFile"]
