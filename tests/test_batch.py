"""Batch grading (`make grade`): a folder of good, buggy and malformed submissions into a gradebook.

Every submission is generated here in tmp_path from the reference and the template (no binary is
committed). Grading a correct submission costs about 6 s because of the speed check, so most tests
grade one quick question (`questions=QUICK`); one end-to-end test grades everything on a few
submissions (the demo's own tests are in test_demo.py).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from autograder import paths, sandbox
from autograder.course import batch, grade_command, cache, gradebook, submissions, supervise
from autograder.build import variants
from autograder.grading.grades import QUESTIONS
from autograder.sandbox import landlock
from autograder.settings import Limits, Settings
from uid_reach import uid_level_refused

QUICK = ["bn_forward_train"]
HEADER = ["submission", *QUESTIONS, "total", "review", "status"]
LAYERS = "cs231n/layers.py"
RAW = "RAW-STUDENT-OUTPUT-1234"
EPS_MISSING = (LAYERS, "batchnorm_forward", "std = np.sqrt(sample_var + eps)",
               "std = np.sqrt(sample_var)")
SYNTAX_ERROR = (LAYERS, "batchnorm_forward", "std = np.sqrt(sample_var + eps)",
                "std = np.sqrt(sample_var + eps")
NOTEBOOK = (paths.SOLUTIONS / paths.NOTEBOOK_NAME).read_bytes()


# Building submissions ---------------------------------------------------------------------------

def package(tmp_path: Path, edits=(), append: str = "", source: Path = paths.SOLUTIONS) -> Path:
    """A folder holding the reference (or template) package with recorded edits made in it."""
    folder = tmp_path / f"pkg-{len(list(tmp_path.glob('pkg-*')))}"
    variants.make_variant(folder, list(edits), source=source / paths.PACKAGE_NAME)
    if append:
        with open(folder / LAYERS, "a") as stream:
            stream.write(append)
    return folder


def package_files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted((folder / paths.PACKAGE_NAME).rglob("*.py"))}


def export(path: Path, folder: Path | None, notebook: bytes | None = NOTEBOOK,
           prefix: str = "", extra: dict | None = None, transform=None) -> Path:
    """A zip laid out like the export cell's (notebook + cs231n/ at the root, or under prefix)."""
    files = package_files(folder) if folder else {}
    if transform:
        files = {name: transform(data) for name, data in files.items()}
    if notebook is not None:
        files[paths.NOTEBOOK_NAME] = notebook
    files = {prefix + name: data for name, data in files.items()}
    files.update(extra or {})
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def windows(data: bytes) -> bytes:
    return b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")


def read_gradebook(out: Path) -> list[dict]:
    text = (out / gradebook.GRADEBOOK).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == HEADER
    rows = list(reader)
    assert all(None not in row and None not in row.values() for row in rows), text
    return rows


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {row["submission"]: row for row in rows}


def record(out: Path, name: str) -> dict:
    return json.loads((out / name / gradebook.RECORD).read_text(encoding="utf-8"))


def mtimes(out: Path) -> dict[str, int]:
    return {path.parent.name: path.stat().st_mtime_ns for path in out.glob(f"*/{gradebook.RECORD}")}


def processes_mentioning(text: str) -> list[str]:
    """Processes whose command line names `text`, or which run from inside it (the batch's
    children forked by its fork server have the server's command line, and their own folder)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                command = Path("/proc", entry, "cmdline").read_bytes().replace(b"\0", b" ")
                folder = os.readlink(Path("/proc", entry, "cwd"))
            except OSError:
                continue
            if text.encode() in command or (folder + "/").startswith(text.rstrip("/") + "/"):
                found.append(f"{entry}: {command.decode(errors='replace')} (in {folder})")
    return found


def assert_no_process_left(text: str, grace: float = 5.0) -> None:
    deadline = time.monotonic() + grace
    while processes_mentioning(text) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_mentioning(text) == []


def quick(folder: Path, out: Path, settings: Settings = Settings(), questions=QUICK,
          **options) -> batch.BatchResult:
    """Grade `folder` on the quick questions (or `questions`), two at a time, no report."""
    settings = replace(settings, questions=questions)
    return batch.grade_folder(folder, out, settings, **{"jobs": 2, "progress": False,
                                                        "report": False, **options})


# Good, buggy and malformed submissions together --------------------------------------------------

@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A folder mixing good, buggy and malformed submissions (EXPECTED below: bad names,
    corrupt, empty, nested, unsafe and bomb zips, a folder), graded once (one quick question)."""
    tmp = tmp_path_factory.mktemp("mixed")
    subs = tmp / "submissions"
    reference = package(tmp)
    buggy = package(tmp, [EPS_MISSING], append=f"\nprint({RAW!r})\n")
    export(subs / "good.zip", reference)
    export(subs / "Zoë Dupont.zip", reference)
    export(subs / os.fsdecode(b"latin-1 Jos\xe9.zip"), reference)  # not UTF-8
    export(subs / "buggy.zip", buggy)
    (subs / "corrupt.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    export(subs / "empty.zip", None, notebook=None)
    export(subs / "notebook only.zip", None)
    export(subs / "syntax error.zip", package(tmp, [SYNTAX_ERROR]))
    export(subs / "bad notebook.zip", reference, notebook=b'{"cells": [')
    export(subs / "nested.zip", reference, prefix="BatchNormalization/")
    export(subs / "windows.zip", reference, transform=windows)
    export(subs / "unsafe.zip", reference, extra={
        "../escaped.py": b"x = 1\n", "/tmp/bn-escaped/cs231n/abs.py": b"x = 1\n",
        "cs231n/../../escaped.py": b"x = 1\n"})
    export(subs / "bomb.zip", reference, extra={"cs231n/padding.py": b"#" * (21 * 2**20)})
    export(subs / "stray.zip", reference, extra={
        "tests/bn_forward_train.py": b"import os\nos._exit(0)\n",
        "cs231n/tests/__init__.py": b"", ".OTTER_LOG": b"\x80\x04\x95 forged pickle"})
    folder = subs / "folder submission"
    shutil.copytree(reference, folder)
    (folder / paths.NOTEBOOK_NAME).write_bytes(NOTEBOOK)
    before = cache.content_hash(folder), {p.name: p.read_bytes() for p in subs.glob("*.zip")}
    out = tmp / "out"
    result = quick(subs, out)
    return subs, out, result, before


def edited_line(edit) -> int:
    """The line of the reference's `edit[0]` where `edit`'s old text starts."""
    text = (paths.SOLUTIONS / edit[0]).read_text()
    return text[:text.index(edit[2])].count("\n") + 1


SYNTAX_ERROR_LINE = edited_line(SYNTAX_ERROR)

EXPECTED = {  # name: (bn_forward_train score, status)
    "bad notebook": ("10", "ok; notebook is not valid JSON"),
    "bomb": ("0", "zip bomb: cs231n/padding.py over 20 MB"),
    "buggy": (None, "ok"),
    "corrupt": ("0", "corrupt zip"),
    "empty": ("0", "empty zip"),
    "folder submission": ("10", "ok"),
    "good": ("10", "ok"),
    "nested": ("10", "ok"),
    "notebook only": ("0", "no cs231n/layers.py"),
    "stray": ("10", "ok"),
    "syntax error": ("0", f"SyntaxError in layers.py line {SYNTAX_ERROR_LINE}"),
    "unsafe": ("10", "ok; ignored 3 unsafe zip entries"),
    "windows": ("10", "ok"),
    "Zoë Dupont": ("10", "ok"),
    "latin-1 Jos\ufffd": ("10", "ok"),
}


def test_every_submission_gets_a_row_with_a_clear_status(mixed):
    subs, out, result, _ = mixed
    rows = read_gradebook(out)
    assert [row["submission"] for row in rows] == sorted(EXPECTED, key=str.casefold)
    assert rows == result.rows
    for name, (score, status) in EXPECTED.items():
        row = by_name(rows)[name]
        assert row["status"] == status, name
        if score is not None:
            assert row["bn_forward_train"] == score and row["total"] == score, name
        assert (out / name / gradebook.FEEDBACK).is_file(), name
        # only the graded question has a column value
        assert all(row[q] == "" for q in QUESTIONS if q not in QUICK), name
    assert 0 < float(by_name(rows)["buggy"]["total"]) < 10


def test_records_and_feedback_for_every_submission(mixed):
    subs, out, result, _ = mixed
    assert sorted(path.name for path in out.iterdir() if path.is_dir()) == sorted(EXPECTED)
    for name, (_, status) in EXPECTED.items():
        data = record(out, name)
        assert set(data) >= {"score", "execution_time", "output", "tests", "extra_data"}
        assert [test["name"] for test in data["tests"]] == QUICK
        assert data["extra_data"]["batch"]["status"] == status
        source = next(s for s in submissions.find_submissions(subs) if s.name == name).path
        assert data["extra_data"]["batch"]["key"] == cache.cache_key(
            source, Settings(questions=QUICK, sandbox=sandbox.protections().level))
        feedback = (out / name / gradebook.FEEDBACK).read_text(encoding="utf-8")
        assert f"**Auto-graded score: {data['score']:g} / 10**" in feedback
        assert RAW not in feedback and RAW not in json.dumps(data)
    assert "could not be graded: **corrupt zip**" in (out / "corrupt" / gradebook.FEEDBACK).read_text()


def test_submissions_are_never_modified_and_nothing_escapes(mixed):
    subs, out, _, (folder_hash, zips) = mixed
    assert cache.content_hash(subs / "folder submission") == folder_hash
    assert {p.name: p.read_bytes() for p in subs.glob("*.zip")} == zips
    assert sorted(p.name for p in subs.iterdir()) == sorted(
        [*zips, "folder submission"])
    assert not (subs.parent / "escaped.py").exists() and not Path("/tmp/bn-escaped").exists()
    assert not (out / gradebook.WORK).exists()
    assert not [p for p in out.rglob(".*") if p.name != gradebook.LOCK]  # no temporary file left


def test_the_same_submission_gives_the_same_row(mixed):
    _, _, result, _ = mixed
    rows = by_name(result.rows)
    same = ["good", "Zoë Dupont", "nested", "windows", "stray", "folder submission",
            "latin-1 Jos\ufffd"]
    assert len({tuple(v for k, v in rows[name].items() if k != "submission")
                for name in same}) == 1


def test_timings_are_returned_per_submission(mixed):
    _, _, result, _ = mixed
    assert [t.submission for t in result.timings] == [row["submission"] for row in result.rows]
    assert all(not t.cached and t.seconds > 0 for t in result.timings)
    assert result.graded == len(EXPECTED) and result.cached == 0
    assert result.seconds >= max(t.seconds for t in result.timings)


# Cache, ONLY=, timeouts --------------------------------------------------------------------------

@pytest.fixture
def small(tmp_path):
    subs = tmp_path / "submissions"
    reference = package(tmp_path)
    export(subs / "alice.zip", reference)
    export(subs / "bob.zip", package(tmp_path, [EPS_MISSING]))
    shutil.copytree(reference, subs / "Zoë Dupont")
    return subs, tmp_path / "out"


def test_rerun_skips_what_is_graded_and_regrades_what_changed(small, tmp_path):
    subs, out = small
    first = quick(subs, out)
    assert first.graded == 3
    stamps, book = mtimes(out), (out / gradebook.GRADEBOOK).read_text()
    second = quick(subs, out)
    assert (second.graded, second.cached) == (0, 3)
    assert all(t.cached for t in second.timings)
    assert mtimes(out) == stamps and (out / gradebook.GRADEBOOK).read_text() == book

    export(subs / "bob.zip", package(tmp_path))  # bob fixes his bug
    (subs / "Zoë Dupont" / "notes.txt").write_text("a new file in a folder submission")
    third = quick(subs, out)
    assert third.graded == 2
    after = mtimes(out)
    assert after["alice"] == stamps["alice"]
    assert after["bob"] != stamps["bob"] and after["Zoë Dupont"] != stamps["Zoë Dupont"]
    assert by_name(read_gradebook(out))["bob"]["total"] == "10"

    # other grading options are another key: everything is graded again
    assert quick(subs, out, questions=["bn_forward_test"]).graded == 3


def test_only_regrades_exactly_one_and_keeps_the_other_rows(small):
    subs, out = small
    quick(subs, out)
    stamps, rows = mtimes(out), read_gradebook(out)
    result = quick(subs, out, only="Zoë Dupont")
    assert (result.graded, result.cached) == (1, 2)
    after = mtimes(out)
    assert after["Zoë Dupont"] != stamps["Zoë Dupont"]
    assert {k: v for k, v in after.items() if k != "Zoë Dupont"} == {
        k: v for k, v in stamps.items() if k != "Zoë Dupont"}
    assert read_gradebook(out) == rows
    assert quick(subs, out, only="bob.zip").graded == 1  # the file name works too
    with pytest.raises(batch.BatchError, match="no submission named 'carol'"):
        quick(subs, out, only="carol")


def test_only_keeps_rows_graded_with_other_options(small):
    subs, out = small
    quick(subs, out)
    quick(subs, out, only="alice", questions=["bn_forward_test"])
    rows = by_name(read_gradebook(out))
    assert rows["alice"]["bn_forward_test"] == "6" and rows["alice"]["bn_forward_train"] == ""
    assert rows["bob"]["bn_forward_train"] != "" and rows["Zoë Dupont"]["total"] == "10"


def test_a_submission_out_of_time_keeps_what_was_graded(tmp_path):
    """batchnorm_forward sleeps: the judge stops at the submission's time limit by itself, the
    row says so, and the batch goes on."""
    subs = tmp_path / "submissions"
    sleeper = package(tmp_path, [(LAYERS, "batchnorm_forward", "std = np.sqrt(sample_var + eps)",
                                  "std = np.sqrt(sample_var + eps); __import__('time').sleep(120)")])
    export(subs / "sleeper.zip", sleeper)
    export(subs / "fine.zip", package(tmp_path))
    out = tmp_path / "out"
    start = time.monotonic()
    result = quick(subs, out, Settings(timeout=6), report=True)
    assert time.monotonic() - start < 30
    rows = by_name(result.rows)
    assert rows["sleeper"]["status"] == "timed out after 6 s: 1 question unfinished"
    assert rows["sleeper"]["total"] == "0"
    assert rows["fine"]["status"] == "ok" and rows["fine"]["total"] == "10"
    assert "ran out before this check finished" in (out / "sleeper" / gradebook.FEEDBACK).read_text()
    assert_no_process_left(str(out))
    assert not (out / gradebook.WORK).exists()
    assert (out / "report.html").is_file()


def test_a_grading_stuck_past_its_grace_is_killed(tmp_path, monkeypatch):
    """The child itself is killed when it outlives the time limit by KILL_GRACE (here the grace
    is made negative, so that a slow import, which the judge would wait out, counts as stuck)."""
    monkeypatch.setattr(supervise, "KILL_GRACE", -26.0)
    subs = tmp_path / "submissions"
    export(subs / "sleeper.zip", package(tmp_path, append="\nimport time\ntime.sleep(120)\n"))
    out = tmp_path / "out"
    start = time.monotonic()
    result = quick(subs, out, Settings(timeout=30))
    assert time.monotonic() - start < 20
    row = by_name(result.rows)["sleeper"]
    assert row["status"] == "timed out" and row["total"] == "0"
    assert "longer than 4 s" in (out / "sleeper" / gradebook.FEEDBACK).read_text()
    assert_no_process_left(str(out))


def test_memory_cap_reaches_the_worker(tmp_path):
    subs = tmp_path / "submissions"
    export(subs / "hog.zip", package(tmp_path, append="\nimport numpy\nnumpy.ones(2**28)\n"))
    result = quick(subs, tmp_path / "out", Settings(limits=Limits(
        memory_bytes=512 * 2**20)))
    assert result.rows[0]["status"].startswith("MemoryError at import"), result.rows[0]


# Interrupted runs ---------------------------------------------------------------------------------

def start_cli(subs: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "autograder.course.grade_command", "--submissions", str(subs), "--out", str(out),
         "--jobs", "1", "--questions", *QUICK, "--no-progress", "--no-report", *extra],
        cwd=paths.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
        # A suite started in the background by a shell without job control inherits SIGINT
        # ignored, and Python keeps it so: the run must get Ctrl-C as from a terminal.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_a_killed_run_leaves_a_consistent_gradebook_and_the_next_run_completes_it(tmp_path, how):
    subs, out = tmp_path / "submissions", tmp_path / "out"
    reference = package(tmp_path)
    export(subs / "a first.zip", reference)
    export(subs / "b slow.zip", package(tmp_path, append="\nimport time\ntime.sleep(3)\n"))
    export(subs / "c last.zip", reference)
    process = start_cli(subs, out)
    readings = 0
    deadline = time.monotonic() + 60
    while not (out / "a first" / gradebook.RECORD).exists():
        assert process.poll() is None and time.monotonic() < deadline
        if (out / gradebook.GRADEBOOK).exists():
            assert len(read_gradebook(out)) == 3  # never a partial file
            readings += 1
    time.sleep(0.5)  # b is being graded now
    rows = by_name(read_gradebook(out))
    assert rows["a first"]["status"] == "ok"
    assert rows["b slow"]["status"] == rows["c last"]["status"] == gradebook.NOT_GRADED
    os.kill(process.pid, how)
    process.communicate(timeout=30)
    assert process.returncode == (130 if how == signal.SIGINT else -signal.SIGKILL)
    assert_no_process_left(str(out))
    rows = by_name(read_gradebook(out))
    assert rows["a first"]["status"] == "ok" and rows["c last"]["status"] == gradebook.NOT_GRADED
    if how == signal.SIGINT:
        assert not (out / gradebook.WORK).exists()
    stamp = mtimes(out)["a first"]

    result = quick(subs, out, jobs=1)
    assert (result.graded, result.cached) == (2, 1)
    assert mtimes(out)["a first"] == stamp
    assert [row["status"] for row in read_gradebook(out)] == ["ok"] * 3
    assert not (out / gradebook.WORK).exists()
    assert readings > 0


def test_the_gradebook_is_never_seen_half_written(tmp_path):
    rows = [gradebook.empty_row(f"student {i:03d} " + "x" * 200) for i in range(300)]
    stop = threading.Event()

    def write():
        for count in range(1, len(rows), 3):
            gradebook.write_gradebook(tmp_path, rows[:count])
        stop.set()

    gradebook.write_gradebook(tmp_path, rows[:1])
    writer = threading.Thread(target=write)
    writer.start()
    reads = 0
    while not stop.is_set():
        assert len(read_gradebook(tmp_path)) >= 1
        reads += 1
    writer.join()
    assert len(read_gradebook(tmp_path)) == 298 and reads > 10
    assert [p.name for p in tmp_path.iterdir()] == [gradebook.GRADEBOOK]


def test_a_second_run_on_the_same_out_is_refused(small):
    subs, out = small
    out.mkdir()
    with open(out / gradebook.LOCK, "w") as handle:
        batch.fcntl.flock(handle, batch.fcntl.LOCK_EX)
        with pytest.raises(batch.BatchError, match="another grading run"):
            quick(subs, out)


# Everything, end to end --------------------------------------------------------------------------

def test_end_to_end_with_every_question(tmp_path):
    """The only test grading every question (the speed check included)."""
    subs, out = tmp_path / "submissions", tmp_path / "out"
    reference = package(tmp_path)
    export(subs / "Zoë Dupont.zip", reference)
    export(subs / "template.zip", package(tmp_path, source=paths.STUDENT_TEMPLATE),
           notebook=(paths.STUDENT_TEMPLATE / paths.NOTEBOOK_NAME).read_bytes())
    export(subs / "syntax error.zip", package(tmp_path, [SYNTAX_ERROR]))
    result = batch.grade_folder(subs, out, jobs=2, progress=False)
    rows = by_name(read_gradebook(out))
    assert rows["Zoë Dupont"] == {"submission": "Zoë Dupont",
                                  **{q: f"{QUESTIONS[q].points:g}" for q in QUESTIONS},
                                  "total": "68", "status": "ok", "review": ""}
    assert rows["template"]["total"] == "0" and rows["template"]["status"] == "ok"
    assert rows["syntax error"]["status"].startswith("SyntaxError in layers.py line")
    data = record(out, "Zoë Dupont")
    assert [test["name"] for test in data["tests"]] == list(QUESTIONS)
    assert data["score"] == 68 and 0 < data["extra_data"]["measurements"]["alt_time_ratio"] < 1.9
    feedback = (out / "template" / gradebook.FEEDBACK).read_text()
    assert "not implemented yet" in feedback and "**Auto-graded score: 0 / 68**" in feedback
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3 and "1 measurements" in page
    assert [t.submission for t in result.timings] == ["syntax error", "template", "Zoë Dupont"]
    assert_no_process_left(str(tmp_path))


# Command line and Makefile ---------------------------------------------------------------------

def test_cli_help_explains_every_option():
    text = subprocess.run([sys.executable, "-m", "autograder.course.grade_command", "--help"], cwd=paths.ROOT,
                          capture_output=True, text=True, check=True).stdout
    text = " ".join(text.split())
    for option in ["--submissions", "--out", "--jobs", "--timeout", "--memory", "--call-timeout",
                   "--import-timeout", "--only", "--questions"]:
        assert option in text
    assert "--one" not in text and "timed out" in text


def test_cli_reports_an_unknown_submission(small):
    subs, out = small
    process = subprocess.run([sys.executable, "-m", "autograder.course.grade_command", "--submissions",
                              str(subs), "--out", str(out), "--only", "nobody"],
                             cwd=paths.ROOT, capture_output=True, text=True)
    assert process.returncode == 2 and "no submission named 'nobody'" in process.stderr


@pytest.mark.parametrize("text, size", [("4G", 4 * 2**30), ("512M", 512 * 2**20),
                                        ("2GiB", 2 * 2**30), ("1000", 1000), ("1.5k", 1536)])
def test_memory_sizes(text, size):
    assert grade_command.memory_size(text) == size


def test_make_grade_passes_every_option():
    # --no-print-directory: under `make test` this make is nested and would print directories.
    command = subprocess.run(
        ["make", "--no-print-directory", "-n", "grade", "SUBMISSIONS=some dir", "OUT=out dir",
         "JOBS=3", "TIMEOUT=90", "MEMORY=2G", "ONLY=Zoë Dupont"], cwd=paths.ROOT,
        capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    assert command.endswith('-m autograder.course.grade_command --submissions "some dir" --out "out dir" '
                            '--jobs 3 --timeout 90 --memory 2G --only "Zoë Dupont"')
    help_text = subprocess.run(["make", "help"], cwd=paths.ROOT, capture_output=True, text=True,
                               check=True).stdout
    assert "make grade" in help_text and "make demo" in help_text


def test_a_submission_that_kills_its_grader_gets_a_row_and_leaves_nothing(tmp_path):
    subs, out = tmp_path / "submissions", tmp_path / "out"
    hostile = ("\nimport os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\n"
               "time.sleep(300)\n")
    export(subs / "hostile.zip", package(tmp_path, append=hostile))
    export(subs / "fine.zip", package(tmp_path))
    rows = by_name(quick(subs, out).rows)
    # Its own uid (full, uid) or Landlock's signal scope (landlock, uid) keeps it from the grader.
    if sandbox.protections().level in ("full", "uid", "landlock"):
        assert rows["hostile"]["status"].startswith("PermissionError at import")
    else:
        assert rows["hostile"]["status"] == "grader crashed (signal 9)"
        assert (out / "hostile" / gradebook.GRADER_LOG).is_file()
    assert rows["hostile"]["total"] == "0" and rows["fine"]["total"] == "10"
    assert_no_process_left(str(out), grace=0)


def test_a_grader_that_cannot_grade_here_refuses_before_grading_anyone(small, monkeypatch):
    """The self-check on the reference fails: make grade stops with the reason, and no student
    is recorded as crashed."""
    subs, out = small

    def broken(grade, settings):
        raise batch.pipeline.GraderBroken("the grader cannot grade here: (the test's reason)")

    monkeypatch.setattr(batch.pipeline, "verify_self_check", broken)
    with pytest.raises(batch.BatchError, match="the test's reason"):
        quick(subs, out)
    assert not list(out.glob(f"*/{gradebook.RECORD}"))


# The uid level (root, no namespaces) -----------------------------------------------------------

SNOOP = '''

def _readable_references(roots):
    """Every layers.py under `roots` that this process can open, its own excepted."""
    import os
    own = os.path.realpath(os.path.dirname(__file__))
    found = []
    for root in roots:
        for folder, _, files in os.walk(root):
            if "layers.py" in files and os.path.realpath(folder) != own:
                try:
                    open(os.path.join(folder, "layers.py")).close()
                    found.append(folder)
                except OSError:
                    pass
    return found


def batchnorm_forward(x, gamma, beta, bn_param):
    raise RuntimeError("HITS:" + repr(_readable_references(ROOTS)))
'''


@pytest.mark.parametrize("level", ["uid", "landlock"])
def test_the_uid_level_grades_in_full_from_a_private_folder_and_hides_the_secrets(
        tmp_path, monkeypatch, level):
    """OUT in a folder other users cannot enter (a mkdtemp folder, as /root is): the reference
    still grades in full; a submission that searches the reference, the repository's other
    secrets, the submissions and OUT for a layers.py to import finds none it can read. The
    same at the landlock level, which replaces uid when the checkout itself is private (there
    the uid level refuses, saying so)."""
    if level == "uid" and os.geteuid() != 0:
        pytest.skip("the uid level needs root")
    if level == "landlock" and landlock.unavailable():
        pytest.skip(landlock.unavailable())
    monkeypatch.setenv(sandbox.SETTING, level)
    sandbox.protections.cache_clear()
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    subs, out = private / "subs", private / "out"
    subs.mkdir()
    roots = [*map(str, paths.SECRETS), str(subs), str(out)]
    export(subs / "reference.zip", package(tmp_path))
    export(subs / "snoop.zip", package(tmp_path, append=SNOOP.replace("ROOTS", repr(roots))))
    refused = uid_level_refused() if level == "uid" else None
    try:
        if refused:  # a private checkout: no worker uid reaches its Python
            with pytest.raises(batch.BatchError, match="BN_SANDBOX=landlock"):
                quick(subs, out)
            return
        result = quick(subs, out)
    finally:
        sandbox.protections.cache_clear()
    rows = by_name(result.rows)
    assert f"'{level}'" in result.sandbox
    assert rows["reference"]["total"] == rows["reference"]["bn_forward_train"] == "10"
    snooped = json.dumps(record(out, "snoop"))
    assert "HITS:[]" in snooped, snooped[:3000]
    # At uid, permissions hide the secrets; at landlock its view does (they stay as they were).
    for secret in (*paths.SECRETS, out) if level == "uid" else (out,):
        if secret.exists():  # dist/ is made only by the building targets
            assert secret.stat().st_mode & 0o007 == 0, f"{secret} left open to other users"


def test_make_grade_refuses_to_run_student_code_unisolated_unless_asked(tmp_path, monkeypatch):
    """Not root and no namespaces (auto fell back to `limits`): refuse with the fix, before
    grading anyone; BN_SANDBOX=off (forced) grades."""
    monkeypatch.setattr(sandbox, "protections",
                        lambda: sandbox.Protections("limits", "bwrap not installed"))
    subs = tmp_path / "subs"
    subs.mkdir()
    export(subs / "reference.zip", package(tmp_path))
    with pytest.raises(batch.BatchError, match="cannot be isolated here"):
        quick(subs, tmp_path / "out")
    assert not (tmp_path / "out" / "reference").exists()


# macOS (no sched_getaffinity, /proc, prctl, bubblewrap or Landlock) -------------------------

def test_on_macos_the_cli_parses_its_arguments(like_macos, capsys):
    with pytest.raises(SystemExit) as exit_:
        grade_command.main(["--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert f"CPUs this process may use, here {os.cpu_count()}" in text


def test_on_macos_the_job_count_is_the_cpu_count_and_the_batch_refuses_clearly(
        like_macos, tmp_path, monkeypatch, capsys):
    """No AttributeError on the way: the batch reaches the `limits` refusal, which names what
    would isolate student code, and grades nobody."""
    from autograder.sandbox import process

    process.adopt_orphans.__wrapped__()  # no prctl: nothing to do, nothing raised
    supervise.die_with_parent(os.getppid())
    subs = tmp_path / "subs"
    subs.mkdir()
    export(subs / "reference.zip", package(tmp_path))
    seen = {}
    real_protections = sandbox.protections

    def protections():
        seen["jobs_source"] = batch.procfs.cpu_count()
        return real_protections()

    monkeypatch.setattr(sandbox, "protections", protections)
    code = grade_command.main(["--submissions", str(subs), "--out", str(tmp_path / "out"),
                       "--no-progress", "--no-report"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2, err
    assert seen["jobs_source"] == os.cpu_count()
    assert "sandbox level 'limits'" in err
    assert "error: student code cannot be isolated here" in err
    for way in ("sudo make grade", "installing bubblewrap", "Landlock needs Linux",
                "BN_SANDBOX=off grades anyway"):
        assert way in err, f"the refusal should name {way!r}: {err}"
    assert "AttributeError" not in err and not (tmp_path / "out" / "reference").exists()


# Windows outside WSL (no resource, fcntl, pwd or grp; platform Windows) ---------------------

LIKE_WINDOWS = """
import os, platform, sys
for name in ("resource", "fcntl", "pwd", "grp", "termios"):
    sys.modules[name] = None  # what Windows' Python lacks
platform.system = lambda: "Windows"
del os.sched_getaffinity
import importlib
for module in sys.argv[1].split(","):
    importlib.import_module(module)
from autograder.course import grade_command
sys.exit(grade_command.main(sys.argv[2:]))
"""
# What the Makefile's targets other than grading run: they must import there.
ANY_OS = ("autograder.build.assemble,autograder.build.notebooks,autograder.gradescope.package,"
          "autograder.build.written_answers,autograder.course.upload,"
          "autograder.course.similarity,autograder.course.written_pdfs,autograder.build.demo")


def test_on_windows_make_grade_names_wsl_and_grades_nobody(tmp_path):
    """No traceback: a refusal that names WSL, a Linux VM or Gradescope, and what runs there
    without grading; the modules of the other targets import without POSIX modules."""
    subs = tmp_path / "subs"
    subs.mkdir()
    export(subs / "reference.zip", package(tmp_path))
    done = subprocess.run([sys.executable, "-c", LIKE_WINDOWS, ANY_OS, "--submissions",
                           str(subs), "--out", str(tmp_path / "out"), "--no-progress"],
                          cwd=paths.ROOT, capture_output=True, text=True, timeout=120)
    err = " ".join(done.stderr.split())
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    for way in ("wsl --install", "Linux VM", "Gradescope grade", "grading-loop.md#platforms"):
        assert way in err, f"the refusal should name {way!r}: {err}"
    assert not (tmp_path / "out").exists()
