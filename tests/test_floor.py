"""The floor of `make bench-grade` (autograder/measure/floor.py): the reference graded with the
worker's code in process. Run in a child: it imports the reference's package into the process."""

import json
import subprocess
import sys

from autograder import manifest, paths

PROBE = """
import json, subprocess, sys
from autograder.measure import floor
questions = floor.in_process_questions()
seconds = floor.checks_seconds(questions, repeats=1)
subprocess.run([sys.executable, "-c", "pass"], check=True)  # this process may still start one
print(json.dumps({"questions": list(questions), "seconds": seconds}))
"""


def test_the_floor_grades_the_reference_in_process_and_leaves_the_process_free():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=paths.ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    declared = set(manifest.current().questions)
    # every question but those that time a worker process of their own (BatchNorm's speed)
    assert set(measured["questions"]) < declared
    assert len(measured["questions"]) >= len(declared) - 1
    assert measured["seconds"] > 0
