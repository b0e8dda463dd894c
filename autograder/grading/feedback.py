"""What a student reads about a grade, in Markdown: one renderer for feedback.md and Gradescope.

Every check's verdict is shown with the check's own message, never the student's raw output.
Messages may quote student code (an exception's text), so every piece of text is put on one line
with its Markdown characters escaped: it reads as plain text, never as formatting or a fake score.
"""

from __future__ import annotations

import re

from autograder import manifest
from autograder.grading.grades import Grade, QuestionResult

# Markdown's formatting characters; "_" only where it could start or end emphasis (not inside
# a function's name with underscores, which stays readable in the raw file).
MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>|~#]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def hand_graded() -> str:
    written = manifest.current().written
    if not written:
        return ""
    return (f"The written questions ({', '.join(q.title for q in written.values())}) are graded "
            "by hand and are not included here.")


THOSE_FILES = {1: "that file", 2: "those two files", 3: "those three files"}


def export_advice() -> str:
    files = list(manifest.current().student_files.values())
    return ("export your work with the notebook's last cell and upload the zip it makes (it holds "
            f"{' and '.join(files)}); uploading "
            f"{THOSE_FILES.get(len(files), 'those files')} alone works too")


def fixes() -> dict[str, str]:
    """Why a package could not be graded (the start of its status) -> what the student should
    do about it."""
    export = export_advice()
    package = manifest.current().package
    return {
        f"no {package}/": export,
        "corrupt zip": export,
        "empty zip": export,
        "encrypted zip": export,
        "SyntaxError": "fix the syntax error at the line named, run the notebook's checks, then "
                       "export",
        "IndentationError": "fix the indentation at the line named, run the notebook's checks, "
                            "then export",
        "timed out at import": f"some code at the top level of your {package} files never "
                               "finishes: move it into a function or remove it",
        "zip bomb": "upload only what the notebook's last cell exports",
    }


def fix_for(status: str) -> str:
    """What to do about a package that could not be graded ('' when nothing is known)."""
    return next((fix for start, fix in fixes().items() if status.startswith(start)), "")


def one_line(text: str) -> str:
    """`text` on one line, its markdown characters escaped."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def question_markdown(question: QuestionResult) -> str:
    """One question's checks, each passed or FAILED with the reason of the failure."""
    lines = []
    for check in question.checks:
        if check.review:
            kept = "points kept" if check.passed else "points withheld"
            lines.append(f"- **TO BE REVIEWED** ({kept} until the course staff have looked): "
                         f"{one_line(check.title)}  ")
            lines.append(f"  {one_line(check.review)}")
        elif check.passed:
            lines.append(f"- passed: {one_line(check.title)}")
        else:
            lines.append(f"- **FAILED**: {one_line(check.title)}  ")
            lines.append(f"  {one_line(check.message)}")
    return "\n".join(lines)


def status_line(grade: Grade) -> str:
    """What a student reads first when the grading was not complete ('' when it was): why, and
    what to do about it."""
    if grade.status == "ok":
        return ""
    if grade.partly_graded:
        return f"**{one_line(grade.status)}**: the checks that finished keep their verdicts."
    fix = fix_for(grade.status)
    return (f"Your package could not be graded: **{one_line(grade.status)}**; every check counts "
            "as failed." + (f" To fix it: {fix}." if fix else ""))


def overview_markdown(grade: Grade, notes: list[str] = ()) -> str:
    """Why the grading was incomplete (if it was), the total, the notes, the per-question table:
    the top of feedback.md and Gradescope's overall output."""
    lines = [line for line in [status_line(grade)] if line]
    lines.append(f"**Auto-graded score: {grade.total:g} / {grade.max_total:g}**")
    if notes:
        lines.append("Notes: " + "; ".join(one_line(note) for note in notes) + ".")
    lines += [line for line in [hand_graded()] if line]
    lines += ["| question | score |\n|---|---:|\n" + "\n".join(
        f"| `{q.name}` | {q.score:g} / {q.max_score:g} |" for q in grade.questions)
        + f"\n| **total** | **{grade.total:g} / {grade.max_total:g}** |"]
    return "\n\n".join(lines)


def written_markdown(written: list[tuple[str, dict]]) -> str:
    """The written questions' scores (graded by hand), one row per student of the submission."""
    questions = list(manifest.current().written)
    lines = ["## Written questions (graded by hand)", "",
             "| student | " + " | ".join(f"`{q}`" for q in questions) + " | total |",
             "|---|" + "---:|" * (len(questions) + 1)]
    for who, scores in written:
        if not scores:
            lines.append(f"| {one_line(who)} | " + " | ".join("-" for _ in questions)
                         + " | not in the written assignment's grades |")
            continue
        cells = ["-" if scores.get(q) is None else f"{scores[q]:g}" for q in questions]
        total = sum(v for v in scores.values() if v is not None)
        lines.append(f"| {one_line(who)} | " + " | ".join(cells) + f" | {total:g} |")
    return "\n".join(lines)


def feedback_markdown(name: str, grade: Grade, notes: list[str] = (),
                      written: list[tuple[str, dict]] | None = None) -> str:
    """The student's feedback.md: the overview, the written questions' scores (when given),
    then per question each check's verdict."""
    lines = [f"# {manifest.current().title}: auto-graded feedback", "",
             f"Submission: {one_line(name)}", "", overview_markdown(grade, notes)]
    if written is not None:
        lines += ["", written_markdown(written)]
    for question in grade.questions:
        lines += ["", f"## `{question.name}`: {question.title} "
                      f"({question.score:g} / {question.max_score:g})", "",
                  question_markdown(question)]
    return "\n".join(lines) + "\n"
