"""Select what graders read of a notebook: the cells its `pdf-*` tags keep.

- `pdf-title`: the title cell, kept;
- `pdf-inline`: the inline questions and their answers, kept;
- `pdf-ignore-input`: experiment and plotting cells, only their figures kept (printed progress
  text and the code are dropped);
- `pdf-ignore`, and every untagged cell: dropped.

`select_cells` is one small notebook transformation, like an nbconvert preprocessor; `render`
turns a notebook into the graders' PDF: nbconvert's HTML exporter for the selected cells, then
Debian's Chromium printing that page to PDF. A missing or corrupt notebook gives a one-page PDF
that says so.

    python -m autograder.written_answers NOTEBOOK PDF      (make pdf NOTEBOOK=... PDF=...)
"""

from __future__ import annotations

import argparse
import copy
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

KEEP = {"pdf-title", "pdf-inline"}
OUTPUTS_ONLY = "pdf-ignore-input"


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def is_figure(output) -> bool:
    return any(kind.startswith("image/") for kind in output.get("data", {}))


def select_cells(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of `notebook` holding only the cells (or outputs) graders read, in order."""
    selected = copy.deepcopy(notebook)
    cells = []
    for cell in selected.cells:
        cell_tags = tags(cell)
        if cell_tags & KEEP:
            cells.append(cell)
        elif OUTPUTS_ONLY in cell_tags and cell.cell_type == "code":
            cell.outputs = [output for output in cell.get("outputs", []) if is_figure(output)]
            if cell.outputs:
                cell.source = ""
                cell.metadata["transient"] = {"remove_source": True}
                cells.append(cell)
    selected.cells = cells
    return selected


CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-pdf-header-footer",
]
# A student's notebook is untrusted: no script in it may run while the page is printed.
NO_SCRIPTS = '<meta http-equiv="Content-Security-Policy" content="script-src \'none\'">'



class RenderError(Exception):
    """The PDF could not be made (no Chromium, or Chromium failed); the message says why."""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    raise RenderError("no Chromium found: install Debian's `chromium` package "
                      "(make pdf-tools does it as root)")


def notice(message: str) -> nbformat.NotebookNode:
    """A one-cell notebook standing in for one that cannot be read."""
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        f"# Written answers\n\n**{message}**", metadata={"tags": ["pdf-title"]})])


def read_or_notice(path: Path) -> nbformat.NotebookNode:
    if not path.is_file():
        return notice(f"No notebook was found ({path.name}).")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # any unreadable notebook gets the same one-page answer
        return notice(f"The notebook {path.name} could not be read "
                      f"({type(error).__name__}); its written answers cannot be shown.")


def to_html(notebook: nbformat.NotebookNode) -> str:
    exporter = HTMLExporter(exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(notebook)
    return body.replace("<head>", "<head>" + NO_SCRIPTS, 1)


def html_to_pdf(html: str, pdf_path: Path, timeout: float = 120) -> None:
    with tempfile.TemporaryDirectory(prefix="bn-pdf-") as scratch:
        page = Path(scratch) / "answers.html"
        page.write_text(html, encoding="utf-8")
        output = Path(scratch) / "answers.pdf"
        done = subprocess.run(
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={scratch}/profile",
             f"--print-to-pdf={output}", page.as_uri()],
            capture_output=True, text=True, timeout=timeout)
        if not output.is_file():
            raise RenderError(f"Chromium made no PDF (exit {done.returncode}): "
                              f"{done.stderr.strip()[-500:]}")
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(output, pdf_path)


def render(notebook_path: Path, pdf_path: Path) -> Path:
    """Write the graders' PDF of `notebook_path` to `pdf_path`."""
    html_to_pdf(to_html(select_cells(read_or_notice(Path(notebook_path)))), Path(pdf_path))
    return Path(pdf_path)


def submission_notebook(folder: Path) -> Path:
    """The notebook of an extracted submission (at its root or one folder down)."""
    found = sorted(folder.glob("*.ipynb")) or sorted(folder.glob("*/*.ipynb"))
    return found[0] if found else folder / "BatchNormalization.ipynb"


def render_batch(submissions: Path, out: Path) -> Path:
    """OUT/<submission>/written_answers.pdf for every submission, and one merged PDF in order."""
    from autograder import batch, extract  # the batch's naming and safe extraction

    pdfs = []
    for submission in batch.find_submissions(Path(submissions), exclude=Path(out)):
        with tempfile.TemporaryDirectory(prefix="bn-pdfs-") as scratch:
            prepared = extract.prepare(submission.path, Path(scratch))
            notebook = submission_notebook(Path(scratch))
            pdf = Path(out) / submission.folder / "written_answers.pdf"
            if prepared.problem:
                html = to_html(notice(f"{submission.name}: {prepared.problem}"))
                html_to_pdf(html, pdf)
            else:
                document = select_cells(read_or_notice(notebook))
                document.cells.insert(0, nbformat.v4.new_markdown_cell(
                    f"*Submission: {submission.name}*"))
                html_to_pdf(to_html(document), pdf)
            pdfs.append(pdf)
            print(f"wrote {pdf}", flush=True)
    merged = Path(out) / "written_answers.pdf"
    if pdfs:
        subprocess.run(["pdfunite", *map(str, pdfs), str(merged)], check=True)
        print(f"wrote {merged} ({len(pdfs)} submissions, in gradebook order)")
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render written answers to PDF: one notebook "
                                     "(NOTEBOOK PDF), or every submission of a folder (--batch).")
    parser.add_argument("source", type=Path, help="a notebook, or with --batch a submissions folder")
    parser.add_argument("target", type=Path, help="the PDF, or with --batch the OUT folder")
    parser.add_argument("--batch", action="store_true",
                        help="render OUT/<submission>/written_answers.pdf for every submission "
                             "and the merged OUT/written_answers.pdf")
    args = parser.parse_args(argv)
    try:
        if args.batch:
            render_batch(args.source, args.target)
        else:
            render(args.source, args.target)
            print(f"wrote {args.target}")
    except RenderError as error:
        print(f"pdf: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
