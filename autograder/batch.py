"""Batch grading for instructors (`make grade`): a folder of submissions into a gradebook.

Every `*.zip` and every sub-directory of SUBMISSIONS is one submission, named by its file name
without `.zip` (or its folder name), exactly as given. For each one, OUT/<submission>/ receives
`results.json` (Gradescope's schema; `extra_data["batch"]` keeps the gradebook row, the full grade
and the cache key) and `feedback.md` (what the student reads). OUT/grades.csv (one row per
submission: one column per question, total, status) and OUT/report.html are rebuilt from those.

Each submission is graded in a child process of its own (`python -m autograder.batch --one ...`,
its own session, a private temporary folder), in parallel, under a wall-clock timeout: a child
that exceeds it is killed together with every process it started, and its row says "timed out".
Nothing a submission does can stop the batch. Every file is written atomically and the gradebook
is rewritten after each submission, so an interrupted run leaves OUT consistent; the next run
skips every submission whose record carries the same key (the submission's content, the
autograder's code and the reference, the grading options) and grades the rest.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import fcntl
import functools
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder import extract, judge, paths, procfs, results, sandbox
from autograder.checks import QUESTIONS
from autograder.submission import package_root

GRADEBOOK = "grades.csv"
RECORD = "results.json"
FEEDBACK = "feedback.md"
GRADER_LOG = "grader-error.log"
WORK = ".work"  # the running batch's private folders, inside OUT (removed at the end)
LOCK = ".lock"
RESERVED = {GRADEBOOK, "report.html", WORK, LOCK}
DEFAULT_TIMEOUT = 600.0
NOT_GRADED = "not graded yet"
TIMED_OUT = "timed out"


class BatchError(Exception):
    """A problem with the batch's arguments or its output folder (not with a submission)."""


# Submissions and cache keys -------------------------------------------------------------------

@dataclass(frozen=True)
class Submission:
    name: str  # the gradebook's name: the file name without .zip, or the folder name
    path: Path

    @property
    def folder(self) -> str:
        """Its folder in OUT (the name, unless that clashes with the gradebook's own files)."""
        return self.name + " (submission)" if self.name in RESERVED else self.name


def find_submissions(folder: Path, exclude: Path | None = None) -> list[Submission]:
    """Every *.zip and sub-directory of `folder` (hidden ones and `exclude` left out)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BatchError(f"{folder} is not a folder")
    excluded = exclude.resolve() if exclude else None
    zips, folders = {}, {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in extract.IGNORED_PARTS:
            continue
        if entry.is_dir():
            if excluded is not None and entry.resolve() == excluded:
                continue
            folders[entry.name] = entry
        elif entry.is_file() and entry.suffix.lower() == ".zip":
            zips[entry.name[:-4]] = entry
    found = [Submission(readable(name), path) for name, path in folders.items()]
    # a zip named like a folder keeps its .zip so that both have a row
    found += [Submission(readable(name if name not in folders else path.name), path)
              for name, path in zips.items()]
    return sorted(found, key=lambda s: sort_key(s.name))


def readable(name: str) -> str:
    """A file name as given, except bytes that are not UTF-8 (shown as U+FFFD)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def sort_key(name: str) -> tuple[str, str]:
    return (name.casefold(), name)


def hash_stream(digest, path: Path) -> None:
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(2**20), b""):
            digest.update(chunk)


def content_hash(path: Path) -> str:
    """sha256 of a zip's bytes, or of a folder's files (sorted relative paths and contents)."""
    path = Path(path)
    digest = hashlib.sha256()
    if not path.is_dir():
        digest.update(b"zip\0")
        hash_stream(digest, path)
        return digest.hexdigest()
    digest.update(b"folder\0")
    entries = []
    for directory, folders, files in os.walk(path):  # never follows symbolic links
        for name in files + [f for f in folders if Path(directory, f).is_symlink()]:
            full = Path(directory, name)
            entries.append(("/".join(full.relative_to(path).parts), full))
    for relative, full in sorted(entries):
        digest.update(relative.encode("utf-8", "surrogateescape") + b"\0")
        if full.is_symlink():
            digest.update(b"link\0" + os.fsencode(os.readlink(full)) + b"\0")
        elif full.is_file():
            digest.update(b"file\0%d\0" % full.stat().st_size)
            hash_stream(digest, full)
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def autograder_hash() -> str:
    """sha256 of the autograder's code and of the reference package (every .py file)."""
    digest = hashlib.sha256()
    for base in (paths.ROOT / "autograder", paths.SOLUTIONS / paths.PACKAGE_NAME):
        for file in sorted(base.rglob("*.py")):
            if "__pycache__" in file.parts:
                continue
            digest.update(file.relative_to(paths.ROOT).as_posix().encode() + b"\0")
            hash_stream(digest, file)
            digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Options:
    """How every submission of a batch is graded; part of the cache key."""

    settings: judge.Settings = judge.Settings()
    timeout: float = DEFAULT_TIMEOUT  # wall clock per submission, seconds
    questions: tuple[str, ...] | None = None  # grade only these questions (default: all)

    def fingerprint(self) -> dict:
        return {"settings": asdict(self.settings), "timeout": self.timeout,
                "questions": sorted(self.questions) if self.questions else None}


def cache_key(submission: Submission, options: Options) -> str:
    material = {"submission": content_hash(submission.path), "autograder": autograder_hash(),
                "options": options.fingerprint()}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


# One submission (runs in the child) ----------------------------------------------------------

def restrict(grade: judge.Grade, questions) -> judge.Grade:
    """Keep only the graded questions (a failed import lists them all)."""
    if questions:
        grade.questions = [q for q in grade.questions if q.name in questions]
    return grade


def failed_grade(status: str, message: str, seconds: float = 0.0) -> judge.Grade:
    return judge.Grade(status, judge.empty_results(message), seconds)


def grade_one(submission: Path, scratch: Path, settings: judge.Settings,
              questions=None, reference_dir: Path = paths.SOLUTIONS / paths.PACKAGE_NAME
              ) -> tuple[judge.Grade, list[str]]:
    """Copy what grading needs out of `submission` into `scratch`, grade it there."""
    start = time.monotonic()
    prepared = extract.prepare(submission, scratch / "submission")
    if prepared.problem:
        grade = failed_grade(prepared.problem, f"not graded: {prepared.problem}")
    else:
        root = package_root(prepared.folder)
        if root is None:
            grade = failed_grade("no cs231n/layers.py",
                                 "not graded: the submission holds no cs231n/layers.py (export "
                                 "it with the notebook's last cell)")
        else:
            grade = judge.grade(root, settings, reference_dir,
                                only=list(questions) if questions else None)
    grade.seconds = time.monotonic() - start
    return restrict(grade, questions), prepared.notes


def grade_from_dict(data: dict) -> judge.Grade:
    return judge.Grade(
        data["status"],
        [judge.QuestionResult(q["name"], q["title"], q["max_score"],
                              [judge.CheckResult(**check) for check in q["checks"]])
         for q in data["questions"]],
        data.get("seconds", 0.0), data.get("worker_starts", 0), data.get("measurements") or {})


def die_with_parent(parent: int) -> None:
    """Get SIGTERM when the batch process dies (Linux), and exit cleanly on SIGTERM."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        sys.exit(143)


def child_main(args) -> int:
    die_with_parent(args.parent)
    options = json.loads(args.options)
    settings = judge.Settings(options["call_timeout"], options["import_timeout"],
                              sandbox.Limits(**options["limits"]))
    with tempfile.TemporaryDirectory(prefix="bn-batch-one-") as scratch:
        grade, notes = grade_one(Path(args.one), Path(scratch), settings, options["questions"])
    results.write_json_atomic(Path(args.result), {"grade": grade.to_dict(), "notes": notes})
    return 0


# Records, rows, gradebook ---------------------------------------------------------------------

def score_text(value: float) -> str:
    return f"{round(value, 4):g}"


def row_status(grade: judge.Grade, notes: list[str]) -> str:
    return "; ".join([grade.status, *notes])


def make_row(name: str, grade: judge.Grade, status: str) -> dict:
    row = {"submission": name}
    scores = {question.name: question.score for question in grade.questions}
    for question in QUESTIONS:
        row[question] = score_text(scores[question]) if question in scores else ""
    row["total"] = score_text(grade.total)
    row["status"] = status
    return row


def empty_row(name: str, status: str = NOT_GRADED) -> dict:
    return {"submission": name, **{q: "" for q in QUESTIONS}, "total": "", "status": status}


def write_record(out: Path, submission: Submission, key: str, grade: judge.Grade,
                 notes: list[str], seconds: float) -> dict:
    """Write feedback.md, then results.json (the record, holding the key) for one submission."""
    from autograder.report import feedback_markdown

    folder = out / submission.folder
    status = row_status(grade, notes)
    row = make_row(submission.name, grade, status)
    data = results.gradescope_results(grade)
    if notes:
        data["output"] += "\nNotes: " + "; ".join(notes) + "."
    data["extra_data"]["batch"] = {
        "key": key, "submission": submission.name, "source": readable(submission.path.name),
        "status": status, "notes": notes, "seconds": round(seconds, 2), "row": row,
        "grade": grade.to_dict(),
    }
    results.write_text_atomic(folder / FEEDBACK,
                              feedback_markdown(submission.name, grade, status, notes))
    results.write_json_atomic(folder / RECORD, data)
    return data


def load_record(out: Path, submission: Submission) -> dict | None:
    folder = out / submission.folder
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        data["extra_data"]["batch"]["row"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return data if (folder / FEEDBACK).is_file() else None


def record_key(record: dict | None) -> str | None:
    return record["extra_data"]["batch"].get("key") if record else None


def gradebook_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["submission", *QUESTIONS, "total", "status"],
                            lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: sort_key(r["submission"])):
        writer.writerow(row)
    return buffer.getvalue()


def write_gradebook(out: Path, rows: list[dict]) -> None:
    results.write_text_atomic(out / GRADEBOOK, gradebook_text(rows))


# Supervising children ------------------------------------------------------------------------

def kill_tree(popen: subprocess.Popen) -> None:
    """SIGKILL a running child, every process it started and their process groups (workers run
    in sessions of their own, so killing the child's group alone would leave them running).
    The tree is read while the child is alive: once it exits, its orphans are out of reach."""
    own = {os.getpid(), os.getpgrp()}
    while popen.poll() is None:
        pids = [popen.pid, *procfs.descendants(popen.pid)]
        groups = set()
        for pid in pids:
            with contextlib.suppress(OSError):
                groups.add(os.getpgid(pid))
        for group in groups - own:
            with contextlib.suppress(OSError):
                os.killpg(group, signal.SIGKILL)
        for pid in set(pids) - own:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=5)


def kill_leftovers(scratch: Path) -> None:
    """Kill what a child left running from its private folder (e.g. a worker whose judge was
    killed by the submission itself, now an orphan out of reach of kill_tree)."""
    own = {os.getpid(), os.getpgrp()}
    for _ in range(5):
        found = [pid for pid in procfs.processes_in(scratch) if pid not in own]
        if not found:
            return
        for pid in found:
            with contextlib.suppress(OSError):
                group = os.getpgid(pid)
                if group not in own:
                    os.killpg(group, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


@dataclass
class Job:
    submission: Submission
    key: str
    popen: subprocess.Popen
    scratch: Path
    started: float
    deadline: float

    @property
    def result_file(self) -> Path:
        return self.scratch / "result.json"


@dataclass
class Timing:
    submission: str
    seconds: float  # wall clock of its child (0 when taken from the cache)
    status: str
    cached: bool


@dataclass
class BatchResult:
    rows: list[dict]  # the gradebook, in order
    timings: list[Timing] = field(default_factory=list)  # one per submission, gradebook order
    seconds: float = 0.0  # the whole batch, wall clock
    graded: int = 0  # submissions graded by this run
    cached: int = 0  # submissions whose record was reused
    sandbox: str = ""  # the protections student code ran under (sandbox.Protections.summary)


def start_child(submission: Submission, key: str, options: Options, work: Path,
                number: int, sandbox_level: str) -> Job:
    scratch = work / f"{number:05d}"
    (scratch / "tmp").mkdir(parents=True)
    payload = {"call_timeout": options.settings.call_timeout,
               "import_timeout": options.settings.import_timeout,
               "limits": asdict(options.settings.limits),
               "questions": list(options.questions) if options.questions else None}
    # The level was probed once for the whole batch: children use it as it is.
    env = dict(os.environ, TMPDIR=str(scratch / "tmp"), PYTHONDONTWRITEBYTECODE="1",
               **{sandbox.SETTING: sandbox_level})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(paths.ROOT), env.get("PYTHONPATH")]))
    with open(scratch / "child.log", "wb") as log:
        popen = subprocess.Popen(
            [sys.executable, "-m", "autograder.batch", "--one", str(submission.path.resolve()),
             "--result", str(scratch / "result.json"), "--options", json.dumps(payload),
             "--parent", str(os.getpid())],
            cwd=paths.ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True)
    now = time.monotonic()
    return Job(submission, key, popen, scratch, now, now + options.timeout)


def finish_child(job: Job, out: Path, options: Options, timed_out: bool) -> dict:
    """Turn a finished (or killed) child into the submission's record."""
    seconds = time.monotonic() - job.started
    notes: list[str] = []
    if timed_out:
        grade = failed_grade(TIMED_OUT, f"not graded: grading this submission took longer than "
                                        f"{options.timeout:g} s and was stopped", seconds)
    else:
        try:
            data = json.loads(job.result_file.read_text(encoding="utf-8"))
            grade, notes = grade_from_dict(data["grade"]), list(data["notes"])
        except (OSError, ValueError, KeyError, TypeError):
            code = job.popen.returncode
            status = (f"grader crashed (signal {-code})" if code < 0
                      else f"grader crashed (exit code {code})")
            grade = failed_grade(status, "not graded: the grader failed on this submission; "
                                         "the course staff will look at it", seconds)
            log = (job.scratch / "child.log").read_bytes()[-20000:]
            results.write_text_atomic(out / job.submission.folder / GRADER_LOG,
                                      log.decode("utf-8", "replace"))
    restrict(grade, options.questions)
    record = write_record(out, job.submission, job.key, grade, notes, seconds)
    kill_leftovers(job.scratch)
    shutil.rmtree(job.scratch, ignore_errors=True)
    return record


@contextlib.contextmanager
def locked(out: Path):
    """One batch at a time per OUT folder."""
    with open(out / LOCK, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BatchError(f"another grading run is writing to {out}") from None
        yield


def sweep(out: Path, submissions: list[Submission]) -> None:
    """Remove what a killed run left behind: its work folder and half-written temporary files."""
    shutil.rmtree(out / WORK, ignore_errors=True)
    temporary = re.compile(r"^\.(grades\.csv|report\.html|results\.json|feedback\.md|"
                           r"grader-error\.log)\..+")
    for folder in [out, *(out / s.folder for s in submissions)]:
        if folder.is_dir():
            for file in folder.iterdir():
                if temporary.match(file.name):
                    file.unlink(missing_ok=True)


def grade_folder(submissions: Path, out: Path, jobs: int | None = None,
                 timeout: float = DEFAULT_TIMEOUT, settings: judge.Settings = judge.Settings(),
                 questions: list[str] | None = None, only: str | None = None,
                 progress: bool = True, report: bool = True) -> BatchResult:
    """Grade every submission of `submissions` into `out`; return the gradebook and timings.

    Submissions whose record in `out` has the same key are skipped. `only` (a submission's name)
    regrades exactly that one, whatever the cache says, and keeps the other rows as they are.
    `questions` restricts grading to some questions (all by default).
    """
    begin = time.monotonic()
    submissions, out = Path(submissions).resolve(), Path(out).resolve()
    jobs = max(1, jobs or len(os.sched_getaffinity(0)))
    unknown = [q for q in questions or [] if q not in QUESTIONS]
    if unknown:
        raise BatchError(f"unknown question(s) {', '.join(unknown)}; "
                         f"the questions are {', '.join(QUESTIONS)}")
    options = Options(settings, float(timeout), tuple(questions) if questions else None)
    try:
        protections = sandbox.protections()
    except sandbox.SandboxError as error:
        raise BatchError(str(error)) from None
    found = find_submissions(submissions, exclude=out)
    if only is not None:
        chosen = [s for s in found if only in (s.name, s.path.name)]
        if not chosen:
            raise BatchError(f"no submission named {only!r} in {submissions}")
    out.mkdir(parents=True, exist_ok=True)
    with locked(out):
        sweep(out, found)
        keys = {s.name: cache_key(s, options) for s in found}
        records = {s.name: load_record(out, s) for s in found}
        if only is not None:
            todo = chosen
            keep = {s.name for s in found} - {s.name for s in chosen}
            rows = {name: records[name]["extra_data"]["batch"]["row"]
                    for name in keep if records[name]}
        else:
            todo = [s for s in found if record_key(records[s.name]) != keys[s.name]]
            rows = {s.name: records[s.name]["extra_data"]["batch"]["row"]
                    for s in found if s not in todo}
        timings = {s.name: Timing(s.name, 0.0, rows[s.name]["status"], True)
                   for s in found if s not in todo and s.name in rows}

        def gradebook() -> list[dict]:
            return [rows.get(s.name) or empty_row(s.name) for s in found]

        write_gradebook(out, gradebook())
        work = out / WORK / f"run-{os.getpid()}"
        running: list[Job] = []
        pending = deque(todo)
        bar = None
        if progress and todo:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), unit="submission", desc="grading", dynamic_ncols=True)
        number = 0
        try:
            while pending or running:
                while pending and len(running) < jobs:
                    submission = pending.popleft()
                    number += 1
                    running.append(start_child(submission, keys[submission.name], options,
                                               work, number, protections.level))
                time.sleep(0.05)
                for job in list(running):
                    timed_out = job.popen.poll() is None and time.monotonic() > job.deadline
                    if job.popen.poll() is None and not timed_out:
                        continue
                    kill_tree(job.popen)
                    running.remove(job)
                    record = finish_child(job, out, options, timed_out)
                    batch = record["extra_data"]["batch"]
                    rows[job.submission.name] = batch["row"]
                    timings[job.submission.name] = Timing(job.submission.name, batch["seconds"],
                                                          batch["status"], False)
                    write_gradebook(out, gradebook())
                    if bar is not None:
                        bar.set_postfix_str(job.submission.name[:30], refresh=False)
                        bar.update()
        finally:
            for job in running:
                kill_tree(job.popen)
                kill_leftovers(job.scratch)
            if bar is not None:
                bar.close()
            shutil.rmtree(out / WORK, ignore_errors=True)
            # The gradebook again, from the records on disk (the single source of truth).
            final, used = [], []
            for s in found:
                record = load_record(out, s)
                if record and (record_key(record) == keys[s.name]
                               or (only is not None and s.name in rows)):
                    final.append(record["extra_data"]["batch"]["row"])
                    used.append(record)
                else:
                    final.append(empty_row(s.name))
            write_gradebook(out, final)
            if report:
                from autograder.report import write_report

                write_report(used, out, sandbox=protections.summary)
    return BatchResult(final, [timings.get(s.name, Timing(s.name, 0.0, NOT_GRADED, False))
                               for s in found],
                       time.monotonic() - begin, graded=len(todo),
                       cached=len(found) - len(todo), sandbox=protections.summary)


# Command line ------------------------------------------------------------------------------

def memory_size(text: str) -> int:
    """'4G', '512M', '2GiB', '1000000' -> bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(i?[bB])?\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (examples: 4G, 512M, 2GiB)")
    number, unit = float(match.group(1)), match.group(2).upper()
    return int(number * 1024 ** " KMGT".index(unit or " "))


def positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def parser() -> argparse.ArgumentParser:
    defaults = judge.Settings()
    parser = argparse.ArgumentParser(
        prog="python -m autograder.batch",
        description="Grade every *.zip and sub-directory of a folder of submissions into a "
                    "gradebook (OUT/grades.csv), per-submission results.json and feedback.md, "
                    "and a report (OUT/report.html). Reruns skip what is already graded.")
    parser.add_argument("--submissions", type=Path, default=paths.DIST / "demo",
                        help="folder holding the submissions: each *.zip (as the notebook's "
                             "export cell makes it) and each sub-directory is one submission "
                             "(default: %(default)s, built by make demo)")
    parser.add_argument("--out", type=Path, default=paths.ROOT / "grades",
                        help="output folder: grades.csv, report.html, and one folder per "
                             "submission with results.json and feedback.md "
                             "(default: %(default)s)")
    parser.add_argument("--jobs", type=positive(int), default=None,
                        help="submissions graded at the same time (default: the number of "
                             f"cores, here {len(os.sched_getaffinity(0))})")
    parser.add_argument("--timeout", type=positive(float), default=DEFAULT_TIMEOUT,
                        help="wall-clock seconds allowed for one submission; a submission "
                             "that takes longer is stopped (with every process it started) and "
                             "gets zero with status 'timed out' (default: %(default)g)")
    parser.add_argument("--memory", type=memory_size, default=defaults.limits.memory_bytes,
                        help="address-space limit of the process running a submission's code, "
                             "e.g. 2G or 512M (default: "
                             f"{defaults.limits.memory_bytes / 2**30:g}G)")
    parser.add_argument("--call-timeout", type=positive(float), default=defaults.call_timeout,
                        help="seconds allowed for one call into the submission's code "
                             "(default: %(default)g)")
    parser.add_argument("--import-timeout", type=positive(float),
                        default=defaults.import_timeout,
                        help="seconds allowed for importing the submission's package "
                             "(default: %(default)g)")
    parser.add_argument("--only", metavar="NAME",
                        help="regrade exactly this submission (its name without .zip, or its "
                             "file name), even if already graded; the other rows are kept")
    parser.add_argument("--questions", nargs="+", metavar="QUESTION", choices=list(QUESTIONS),
                        help="grade only these questions (default: all: "
                             f"{', '.join(QUESTIONS)})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-report", action="store_true", help="do not write report.html")
    # The child that grades one submission (started by the batch itself).
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--options", help=argparse.SUPPRESS)
    parser.add_argument("--parent", type=int, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.one:
        return child_main(args)
    for name in ("SIGTERM", "SIGHUP"):  # clean up (children, gradebook) as on Ctrl-C
        signal.signal(getattr(signal, name), lambda number, _: sys.exit(128 + number))
    settings = judge.Settings(args.call_timeout, args.import_timeout,
                              sandbox.Limits(memory_bytes=args.memory))
    try:
        print(f"Student code runs under {sandbox.protections().summary}.", file=sys.stderr,
              flush=True)
        result = grade_folder(args.submissions, args.out, args.jobs, args.timeout, settings,
                              args.questions, args.only, progress=not args.no_progress,
                              report=not args.no_report)
    except (BatchError, sandbox.SandboxError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"interrupted: {args.out / GRADEBOOK} holds what was graded; run again to "
              "finish", file=sys.stderr)
        return 130
    out = args.out
    problems = sum(row["status"] != "ok" for row in result.rows)
    print(f"{len(result.rows)} submissions: {result.graded} graded, {result.cached} already "
          f"graded; {problems} with a status other than ok; {result.seconds:.1f} s")
    print(f"wrote {out / GRADEBOOK}" + ("" if args.no_report else f" and {out / 'report.html'}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
