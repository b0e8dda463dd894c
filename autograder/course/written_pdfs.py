"""The graders' written-answer PDFs of a whole batch: one per submission and one merged.

For every submission of a folder or a Gradescope export (found and named as `make grade` finds
them, taken out of zips as safely as grading does), OUT/<submission>/written_answers.pdf holds the cells graders read,
under a line naming the submission; OUT/written_answers.pdf merges them all in gradebook order
(poppler's pdfunite). A submission that cannot be taken out gets a one-page PDF saying why.

Rendering one notebook is autograder.build.written_answers' job (the file the handout also gets); this
module is graders-only and is never copied next to the notebook.

    python -m autograder.course.written_pdfs SUBMISSIONS OUT      (make pdfs SUBMISSIONS=... OUT=...)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder import paths
from autograder.grading import extract
from autograder.course import roster
from autograder.course.gradebook import folder_of
from autograder.course.submissions import Submission, SubmissionsError
from autograder.build.written_answers import (PDF_NAME, RenderError, html_to_pdf, notice,
                                        read_or_notice, select_cells, to_html)


def submission_notebook(folder: Path) -> Path:
    """The notebook of an extracted submission (at its root or one folder down)."""
    found = sorted(folder.glob("*.ipynb")) or sorted(folder.glob("*/*.ipynb"))
    return found[0] if found else folder / paths.NOTEBOOK_NAME


def render_batch(submissions: Path, out: Path) -> Path:
    """OUT/<submission>/written_answers.pdf for every submission, and one merged PDF in order."""
    with roster.submissions_at(Path(submissions), exclude=Path(out)) as (found, _):
        pdfs = [render_one(submission, out) for submission in found]
    merged = Path(out) / PDF_NAME
    if pdfs:
        subprocess.run(["pdfunite", *map(str, pdfs), str(merged)], check=True)
        print(f"wrote {merged} ({len(pdfs)} submissions, in gradebook order)")
    return merged


def render_one(submission: Submission, out: Path) -> Path:
    """OUT/<submission>/written_answers.pdf of one submission (a notice when it cannot be read)."""
    with tempfile.TemporaryDirectory(prefix="bn-pdfs-") as scratch:
        prepared = extract.prepare(submission.path, Path(scratch))
        pdf = folder_of(out, submission) / PDF_NAME
        if prepared.problem:
            html_to_pdf(to_html(notice(f"{submission.name}: {prepared.problem}")), pdf)
        else:
            document = select_cells(read_or_notice(submission_notebook(Path(scratch))))
            document.cells.insert(0, nbformat.v4.new_markdown_cell(
                f"*Submission: {submission.name}*"))
            html_to_pdf(to_html(document), pdf)
        print(f"wrote {pdf}", flush=True)
    return pdf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path,
                        help="the folder of submissions (zips, folders) or a Gradescope export")
    parser.add_argument("out", type=Path,
                        help="the folder for OUT/<submission>/written_answers.pdf and the merged "
                             "OUT/written_answers.pdf")
    args = parser.parse_args(argv)
    try:
        render_batch(args.submissions, args.out)
    except (RenderError, roster.ExportError, SubmissionsError) as error:
        print(f"pdfs: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
