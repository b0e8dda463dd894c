"""Turn a Grade into Gradescope's results.json schema, and write files atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from autograder.grading.feedback import one_line, overview_markdown, question_markdown
from autograder.grading.grades import Grade


def gradescope_results(grade: Grade, scores: dict[str, float] | None = None,
                       notes: list[str] = ()) -> dict:
    """results.json for Gradescope: one `tests[]` entry per auto-graded question.

    `scores` overrides the judge's per-question scores (Gradescope passes otter's, which must
    agree with them); `notes` are remarks on the submission's files (extract.Prepared.notes).
    """
    tests = []
    for number, question in enumerate(grade.questions, start=1):
        score = question.score if scores is None else scores[question.name]
        tests.append({
            "name": question.name,
            "number": str(number),
            "score": score,
            "max_score": question.max_score,
            "status": "passed" if score == question.max_score else "failed",
            "output": f"{one_line(question.title)}\n\n{question_markdown(question)}",
            "output_format": "md",
            "visibility": "visible",
        })
        if question.review:
            tests[-1]["extra_data"] = {"review": question.review}
    return {
        "score": round(sum(test["score"] for test in tests), 4),
        "execution_time": round(grade.seconds, 2),
        "output": overview_markdown(grade, notes),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"status": grade.status, "measurements": grade.measurements},
        "tests": tests,
    }


def write_json_atomic(path: Path, data) -> None:
    """Write JSON so that readers see the old file or the new one, never half of it."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp makes the file private; results are for the instructor's other tools too.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
