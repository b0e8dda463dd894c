"""What a student reads about a grade, in Markdown: one renderer for feedback.md and Gradescope.

Every check's verdict is shown with the check's own message, never the student's raw output.
Messages may quote student code (an exception's text), so every piece of text is put on one line
with its Markdown characters escaped: it reads as plain text, never as formatting or a fake score.
"""

from __future__ import annotations

import re

from autograder.grades import Grade, QuestionResult

# Markdown's formatting characters; "_" only where it could start or end emphasis (not inside
# a name such as batchnorm_forward, which stays readable in the raw file).
MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>|~#]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
HAND_GRADED = "The four inline questions are graded by hand and are not included here."
EXPORT = ("export your work with the notebook's last cell and upload the zip it makes (it holds "
          "cs231n/layers.py and cs231n/classifiers/fc_net.py); uploading those two files alone "
          "works too")
# Why a package could not be graded (the start of its status) -> what the student should do.
FIXES = {
    "no cs231n/": EXPORT,
    "corrupt zip": EXPORT,
    "empty zip": EXPORT,
    "encrypted zip": EXPORT,
    "SyntaxError": "fix the syntax error at the line named, run the notebook's checks, then export",
    "IndentationError": "fix the indentation at the line named, run the notebook's checks, then "
                        "export",
    "timed out at import": "some code at the top level of your cs231n files never finishes: "
                           "move it into a function or remove it",
    "zip bomb": "upload only what the notebook's last cell exports",
}


def fix_for(status: str) -> str:
    """What to do about a package that could not be graded ('' when nothing is known)."""
    return next((fix for start, fix in FIXES.items() if status.startswith(start)), "")


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
    lines += [HAND_GRADED, "| question | score |\n|---|---:|\n" + "\n".join(
        f"| `{q.name}` | {q.score:g} / {q.max_score:g} |" for q in grade.questions)
        + f"\n| **total** | **{grade.total:g} / {grade.max_total:g}** |"]
    return "\n\n".join(lines)


def written_markdown(written: list[tuple[str, dict]]) -> str:
    """The written questions' scores (graded by hand), one row per student of the submission."""
    questions = [f"inline_q{n}" for n in range(1, 5)]
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
    lines = ["# Batch Normalization: auto-graded feedback", "",
             f"Submission: {one_line(name)}", "", overview_markdown(grade, notes)]
    if written is not None:
        lines += ["", written_markdown(written)]
    for question in grade.questions:
        lines += ["", f"## `{question.name}`: {question.title} "
                      f"({question.score:g} / {question.max_score:g})", "",
                  question_markdown(question)]
    return "\n".join(lines) + "\n"
