"""Build the Gradescope autograder zip (`make autograder`).

`otter generate` makes the scaffolding Gradescope needs: setup.sh (installs Miniforge and an
environment with Python 3.11 and the project's pinned requirements), environment.yml and
otter_config.json. Into it go the trusted judge (`files/autograder/`) and the reference package
(`files/reference/cs231n/`), otter test files (`tests/`, one test case per hidden check, each
asking the judge's verdict: see otter_tests.py), and our own `run_autograder`, which grades the
submission's package with the judge and scores it through those test files. otter's own run_otter.py is left out: it executes the student's notebook and
unpickles its log inside the grading process, which is exactly what the judge exists to avoid.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from autograder import otter_tests, paths
from autograder.gradescope import VISIBILITIES
from autograder.build import ZIP_TIMESTAMP, BuildError

ZIP_PATH = paths.DIST / "autograder.zip"

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope entry point: grade /autograder/submission with the trusted judge shipped in files/.
set -u
ROOT="${AUTOGRADER_ROOT:-/autograder}"
if [ -x /root/miniforge3/bin/mamba ]; then
  export PATH=/root/miniforge3/bin:$PATH
  eval "$(mamba shell hook --shell bash)"
  mamba activate otter-env
fi
cd "$ROOT/source/files"
python -m autograder.gradescope --root "$ROOT"
status=$?
# The last resort: whatever failed above, the student gets a results.json that says so.
if [ "$status" -ne 0 ] || [ ! -s "$ROOT/results/results.json" ]; then
  mkdir -p "$ROOT/results"
  printf '%s\\n' '{"score": 0, "output": "The autograder failed before grading your submission, through no fault of yours; the course staff will regrade it. (For the staff: the grader exited with status '"$status"'; its output is below.)", "output_format": "text", "visibility": "visible", "stdout_visibility": "visible", "extra_data": {"status": "autograder failed"}, "tests": []}' > "$ROOT/results/results.json"
fi
exit 0
"""

# Appended to otter's setup.sh: the sandbox of autograder/sandbox/. Workers run as uids that no
# account owns (one per worker), so no user needs creating; they must be able to reach the Python
# environment that otter installs under /root (o+x: pass through, not list).
SETUP_SANDBOX = """
# The sandbox student code runs in (files/autograder/sandbox/): bubblewrap and setpriv.
apt-get install -y bubblewrap util-linux
chmod o+x /root
"""

DROPPED = {"run_otter.py"}
EXECUTABLE = {"run_autograder", "setup.sh"}


def stage(folder: Path) -> list[str]:
    """Copy the judge, the reference and the handout's package (which completes a submission
    of loose files) into `folder`; return the names to pass to otter."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(paths.ROOT / "autograder", folder / "autograder", ignore=ignore)
    reference = paths.SOLUTIONS / paths.PACKAGE_NAME
    if not (reference / "layers.py").is_file():
        raise BuildError(f"no reference package in {reference}: run `make assign` first")
    shutil.copytree(reference, folder / "reference" / paths.PACKAGE_NAME, ignore=ignore)
    shutil.copytree(paths.HANDOUT_PACKAGE, folder / "handout" / paths.PACKAGE_NAME, ignore=ignore)
    otter_tests.write_test_files(folder / "tests")
    return ["autograder", "reference", "handout"]


def run_otter_generate(folder: Path, names: list[str], output: Path) -> None:
    command = [sys.executable, "-m", "otter", "generate", "-t", "tests", "-o", str(output),
               "--python-version", "3.11", "-r", str(paths.ROOT / "requirements.txt"),
               "--no-config", "--no-environment", *names]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"otter generate failed:\n{done.stdout}\n{done.stderr}")


def finish(generated: Path, destination: Path) -> None:
    """Rewrite otter's zip: our run_autograder, no run_otter.py, fixed timestamps and modes."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(generated) as source, \
            zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as target:
        entries = {name: source.read(name) for name in source.namelist()
                   if not name.endswith("/") and name not in DROPPED}
        entries["run_autograder"] = RUN_AUTOGRADER.encode()
        entries["setup.sh"] = entries["setup.sh"].rstrip(b"\n") + b"\n" + SETUP_SANDBOX.encode()
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if name in EXECUTABLE else 0o644) << 16
            target.writestr(info, entries[name])


def build_autograder_zip(destination: Path = ZIP_PATH, visibility: str = "visible") -> Path:
    """The zip to upload to Gradescope; `visibility` says when students see each question's test
    (one of gradescope.VISIBILITIES)."""
    with tempfile.TemporaryDirectory(prefix="bn-autograder-") as scratch:
        folder = Path(scratch)
        names = stage(folder)
        (folder / "gradescope.json").write_text(json.dumps({"visibility": visibility}) + "\n")
        names.append("gradescope.json")
        generated = folder / "otter.zip"
        run_otter_generate(folder, names, generated)
        finish(generated, destination)
    return destination


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ZIP_PATH)
    parser.add_argument("--visibility", default="visible", choices=VISIBILITIES,
                        help="when students see each question's test on Gradescope (the overall "
                             "score and output are always visible; default %(default)s)")
    args = parser.parse_args(argv)
    try:
        path = build_autograder_zip(args.output, args.visibility)
    except BuildError as error:
        print(f"autograder build failed: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}: upload it to Gradescope as the assignment's autograder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
