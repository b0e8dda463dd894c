"""Batch grading for instructors (`make grade`): a folder of submissions into a gradebook.

Every `*.zip` and every sub-directory of SUBMISSIONS is one submission (submissions.py); a
Gradescope export (zip or folder) is one submission per `submission_<id>/` folder, with its
roster (roster.py), and the gradebook has one row per student. Each is
graded in a child process of its own, in parallel, under a wall-clock timeout (supervise.py); its
record and feedback go to OUT/<submission>/ and OUT/grades.csv is rewritten after each one
(gradebook.py), so an interrupted run leaves OUT consistent. The next run skips every submission
whose record carries the same cache key (cache.py) and grades the rest. OUT/report.html closes the
run (report.py), and, given Canvas's gradebook export (`--canvas`), OUT/scores_canvas.csv the
scores to import into Canvas (upload.py). `--manual` merges the written questions' scores
(manual_scores.py); a copy of it is kept in OUT (gradebook.MANUAL_COPY) and merged again by a
rerun without `--manual`, unless `--no-manual` drops it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path

from autograder import manifest, paths, sandbox
from autograder.course import gradebook, launch, manual_scores, roster, supervise, upload
from autograder.grading import pipeline
from autograder.course.cache import cache_key
from autograder.course.manual_scores import written_questions
from autograder.grading.grades import questions
from autograder.grading.judge import not_graded
from autograder.sandbox import procfs
from autograder.settings import Settings
from autograder.course.submissions import Submission, SubmissionsError

try:
    import fcntl
except ImportError:  # Windows, where grade_command refuses before any batch starts
    fcntl = None


# The status of a grading killed KILL_GRACE after its time limit (its judge was stuck).
TIMED_OUT = "timed out"


class BatchError(Exception):
    """A problem with the batch's arguments or its output folder (not with a submission)."""


@dataclass
class Timing:
    submission: str
    seconds: float  # wall clock of its child (0 when taken from the cache)
    status: str
    cached: bool


@dataclass
class BatchResult:
    rows: list[dict]  # the submissions' rows, in order
    timings: list[Timing] = field(default_factory=list)  # one per submission, gradebook order
    seconds: float = 0.0  # the whole batch, wall clock
    graded: int = 0  # submissions graded by this run
    cached: int = 0  # submissions whose record was reused
    sandbox: str = ""  # the protections student code ran under (sandbox.Protections.summary)
    students: list[dict] = field(default_factory=list)  # grades.csv's rows (one per student)
    people: gradebook.Class = field(default_factory=gradebook.Class)
    upload: upload.Upload = field(default_factory=upload.Upload)  # the scores to upload
    manual_note: str = ""  # where the written scores came from, when not from --manual


def record_finished(out: Path, submission: Submission, key: str, finished: supervise.Finished,
                    settings: Settings) -> dict:
    """The submission's record, from what became of its child (graded, timed out, crashed)."""
    if finished.outcome is not None:
        grade, notes = finished.outcome.grade, finished.outcome.notes
    elif finished.timed_out:
        grade, notes = not_graded(TIMED_OUT, settings, f"not graded: grading this submission "
                                  f"took longer than {settings.timeout + supervise.KILL_GRACE:g} "
                                  "s and was stopped"), []
    else:
        code = finished.exit_code
        status = (f"grader crashed (signal {-code})" if code is not None and code < 0
                  else f"grader crashed (exit code {code})")
        grade, notes = not_graded(status, settings, "not graded: the grader failed on this "
                                  "submission; the course staff will look at it"), []
        gradebook.write_grader_log(out, submission, finished.log)
    grade.seconds = finished.seconds
    return gradebook.write_record(out, submission, key, grade, notes, finished.seconds)


@contextlib.contextmanager
def locked(out: Path):
    """One batch at a time per OUT folder."""
    with open(out / gradebook.LOCK, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BatchError(f"another grading run is writing to {out}") from None
        yield


def check_the_grader(settings: Settings, scratch: Path, launcher: launch.Launcher) -> None:
    """Stop before grading anyone if the reference itself cannot be graded here. It is graded
    in a child like every submission, so that the batch process stays as it was."""
    child = supervise.start("self-check", manifest.current().solutions,
                            pipeline.self_check_settings(settings), scratch, launcher)
    while not (child.done() or child.overdue()):
        time.sleep(0.05)
    finished = supervise.finish(child)
    if finished.outcome is None:
        raise BatchError("the grader cannot grade here: its self-check on the reference "
                         f"{'timed out' if finished.timed_out else 'crashed'}"
                         f"{': ' + finished.log.strip()[-500:] if finished.log.strip() else ''}")
    try:
        pipeline.verify_self_check(finished.outcome.grade, settings)
    except pipeline.GraderBroken as broken:
        raise BatchError(str(broken)) from None


def secure_the_sandbox(level: str, submissions: Path, out: Path, forced: bool,
                       reason: str) -> None:
    """Close OUT to other users (earlier gradings too hold copies of submissions), and make sure
    a worker reaches no secret: the reference, the hidden checks, the submissions, OUT (see
    sandbox.secure: at the uid level checked as a worker's uid; the limits level refused unless
    `forced`)."""
    sandbox.close_to_others(out)
    try:
        notes = sandbox.secure(level, [*paths.SECRETS, submissions, out], forced, reason)
    except sandbox.SandboxError as error:
        raise BatchError(str(error)) from None
    for note in notes:
        print(f"Sandbox: {note}.", file=sys.stderr, flush=True)


def check_questions(settings: Settings) -> None:
    unknown = [q for q in settings.questions or [] if q not in questions()]
    if unknown:
        raise BatchError(f"unknown question(s) {', '.join(unknown)}; "
                         f"the questions are {', '.join(questions())}")


def grade_folder(submissions: Path, out: Path, settings: Settings = Settings(),
                 jobs: int | None = None, only: str | None = None, progress: bool = True,
                 report: bool = True, manual: Path | None = None,
                 canvas: Path | None = None, no_manual: bool = False) -> BatchResult:
    """Grade every submission of `submissions` (a folder, or a Gradescope export zip or folder)
    into `out`; return the gradebook and timings.

    Submissions whose record in `out` has the same key are skipped. `only` (a submission's name)
    regrades exactly that one, whatever the cache says, and keeps the other rows as they are.
    `settings.questions` restricts grading to some questions (all by default). `manual` is
    Gradescope's grades CSV of the written questions, merged into the gradebook and feedback.
    Without `manual`, the copy an earlier run kept in `out` is merged again (so a regrade keeps
    the written scores), unless `no_manual`, which drops it. `canvas` is Canvas's gradebook
    export: the scores are written on its rows for Canvas's import (upload.py). Both are read
    before anything is graded.
    """
    submissions, out = Path(submissions).resolve(), Path(out).resolve()
    manual, note = manual_source(out, manual, no_manual)
    try:
        people = gradebook.Class(manual=manual_scores.read(manual) if manual else None)
        canvas_export = upload.read_canvas(canvas) if canvas else None
    except (manual_scores.ManualScoresError, upload.UploadError) as error:
        raise BatchError(str(error)) from None
    with contextlib.ExitStack() as stack:
        try:
            found, export = stack.enter_context(roster.submissions_at(submissions, exclude=out))
        except (roster.ExportError, SubmissionsError) as error:
            raise BatchError(str(error)) from None
        if export is not None:
            people.roster = export.roster
        result = grade_found(found, submissions, out, people, settings, jobs, only, progress,
                             report, canvas_export)
    keep_manual(out, manual, no_manual)
    result.manual_note = note
    return result


def manual_source(out: Path, manual: Path | None, no_manual: bool) -> tuple[Path | None, str]:
    """The written scores to merge: `manual`, else the copy kept in `out` by an earlier run
    (unless `no_manual`); and a sentence saying where they came from when not from `manual`."""
    kept = out / gradebook.MANUAL_COPY
    if no_manual:
        return None, (f"written scores dropped (--no-manual): {kept} removed" if kept.is_file()
                      else "")
    if manual is None and kept.is_file():
        return kept, (f"written scores: merged again from {kept}, the MANUAL of an earlier run "
                      "(MANUAL=<csv> replaces it, MANUAL=none drops it)")
    return manual, ""


def keep_manual(out: Path, manual: Path | None, no_manual: bool) -> None:
    """Keep a copy of the written scores' CSV in `out` for the next run, or remove it."""
    kept = out / gradebook.MANUAL_COPY
    if no_manual:
        kept.unlink(missing_ok=True)
    elif manual is not None and Path(manual).resolve() != kept.resolve():
        temporary = kept.with_name(f".{kept.name}.{os.getpid()}")
        shutil.copyfile(manual, temporary)
        os.replace(temporary, kept)


def grade_found(found: list[Submission], submissions: Path, out: Path, people: gradebook.Class,
                settings: Settings, jobs: int | None, only: str | None, progress: bool,
                report: bool, canvas: upload.CanvasExport | None = None) -> BatchResult:
    """grade_folder, once the submissions and who they are are known."""
    begin = time.monotonic()
    jobs = max(1, jobs or procfs.cpu_count())
    check_questions(settings)
    try:
        protections = sandbox.protections()
    except sandbox.SandboxError as error:
        raise BatchError(str(error)) from None
    # The level is probed once, here: every child grades at the same one.
    forced = bool(settings.sandbox) or protections.forced
    settings = replace(settings, sandbox=settings.sandbox or protections.level)
    if only is not None:
        chosen = [s for s in found if only in (s.name, s.path.name)]
        if not chosen:
            raise BatchError(f"no submission named {only!r} in {submissions}")
    out.mkdir(parents=True, exist_ok=True)
    secure_the_sandbox(settings.sandbox, submissions, out, forced, protections.reason)
    work = out / gradebook.WORK / f"run-{os.getpid()}"
    with locked(out), launch.launcher(work) as launcher:
        gradebook.sweep(out, found)
        keys = {s.name: cache_key(s.path, settings) for s in found}
        records = {s.name: gradebook.load_record(out, s) for s in found}
        if only is not None:
            todo = chosen
            kept = [s for s in found if s not in chosen and records[s.name]]
        else:
            todo = [s for s in found if gradebook.record_key(records[s.name]) != keys[s.name]]
            kept = [s for s in found if s not in todo]
        rows = {s.name: gradebook.record_row(records[s.name]) for s in kept}
        timings = {s.name: Timing(s.name, 0.0, rows[s.name]["status"], True) for s in kept}

        def current_gradebook() -> list[dict]:
            return [rows.get(s.name) or gradebook.empty_row(s.name) for s in found]

        gradebook.write_gradebook(out, current_gradebook(), people)
        if todo:
            check_the_grader(settings, work / "self-check", launcher)
        running: list[tuple[Submission, supervise.Child]] = []
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
                    running.append((submission, supervise.start(
                        submission.name, submission.path, settings, work / f"{number:05d}",
                        launcher)))
                time.sleep(0.05)
                for submission, child in list(running):
                    if not (child.done() or child.overdue()):
                        continue
                    running.remove((submission, child))
                    record = record_finished(out, submission, keys[submission.name],
                                             supervise.finish(child), settings)
                    batch = record["extra_data"]["batch"]
                    rows[submission.name] = batch["row"]
                    timings[submission.name] = Timing(submission.name, batch["seconds"],
                                                      batch["status"], False)
                    gradebook.write_gradebook(out, current_gradebook(), people)
                    if bar is not None:
                        bar.set_postfix_str(submission.name[:30], refresh=False)
                        bar.update()
        finally:
            for _, child in running:
                supervise.stop(child)
            if bar is not None:
                bar.close()
            shutil.rmtree(out / gradebook.WORK, ignore_errors=True)
            final, used = final_gradebook(out, found, keys, keep=set(rows) if only else set())
            gradebook.write_gradebook(out, final, people)
            students = people.rows(final)
            for submission, record in zip(found, used):
                if record is not None:
                    gradebook.refresh_feedback(out, submission, record, people)
            used = [record for record in used if record is not None]
            uploaded = upload.write_scores(out, students, canvas, list(questions()),
                                           list(written_questions()) if people.manual else [])
            if report:
                from autograder.course.report import write_report

                write_report(used, out, sandbox=protections.summary, students=students,
                             people=people, uploaded=uploaded)
    return BatchResult(final, [timings.get(s.name, Timing(s.name, 0.0, gradebook.NOT_GRADED,
                                                          False)) for s in found],
                       time.monotonic() - begin, graded=len(todo),
                       cached=len(found) - len(todo), sandbox=protections.summary,
                       students=students, people=people, upload=uploaded)


def final_gradebook(out: Path, found: list[Submission], keys: dict[str, str],
                    keep: set[str]) -> tuple[list[dict], list[dict]]:
    """The gradebook again, from the records on disk (the single source of truth): a record
    counts when its key is current, or when it is one `only` kept. Returns (rows, records),
    the records in the order of `found`, None for a submission without one."""
    rows, used = [], []
    for s in found:
        record = gradebook.load_record(out, s)
        if record and (gradebook.record_key(record) == keys[s.name] or s.name in keep):
            rows.append(gradebook.record_row(record))
            used.append(record)
        else:
            rows.append(gradebook.empty_row(s.name))
            used.append(None)
    return rows, used


# Command line ------------------------------------------------------------------------------
