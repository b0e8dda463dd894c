"""Select what graders read of a notebook: the cells its `pdf-*` tags keep.

- `pdf-title`: the title cell, kept;
- `pdf-inline`: the inline questions and their answers, kept;
- `pdf-ignore-input`: experiment and plotting cells, only their figures kept (printed progress
  text and the code are dropped);
- `pdf-ignore`, and every untagged cell: dropped.

`select_cells` is one small notebook transformation, like an nbconvert preprocessor; `render`
turns a notebook into the graders' PDF: nbconvert's HTML exporter for the selected cells, with
the markdown's LaTeX turned into MathML (latex2mathml) that Chromium draws itself, then Debian's
Chromium printing that page to PDF. No script of the notebook runs and nothing is fetched: the
page forbids both. A missing or corrupt notebook gives a one-page PDF that says so.

The same file serves two places: the graders' side (`make pdf`; `make pdfs` renders a whole
batch with it from the graders' module written_pdfs) and the student's handout, where
`make assign` copies it next to the notebook (the handout has no `autograder` package). There
the export cell calls `grader.add_plugin_files("written_answers.WrittenAnswersPdf")`, otter's own
way of adding files to the submission zip: `WrittenAnswersPdf` renders the same PDF and hands it
to `grader.export`. So this file renders one notebook only, needs nothing beyond what a student
has (otter, nbconvert, nbformat; latex2mathml for drawn formulas) and imports no module of the
project (tests/test_build.py checks every import of the handout's copy).

    python -m autograder.written_answers NOTEBOOK PDF      (make pdf NOTEBOOK=... PDF=...)
    python written_answers.py NOTEBOOK PDF                 (in the handout)
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from jinja2 import pass_context
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from otter.plugins import AbstractOtterPlugin

try:
    from latex2mathml.converter import convert as latex_to_mathml
except ImportError:  # a student's environment without it: formulas stay LaTeX source
    latex_to_mathml = None

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


def mathml(latex: str, display: str) -> str | None:
    """`latex` as MathML, or None when latex2mathml is missing or cannot read it."""
    if latex_to_mathml is None:
        return None
    try:
        return latex_to_mathml(latex, display=display)
    except Exception:  # malformed LaTeX (e.g. `x^`) raises various errors: keep the source
        return None


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer, drawing math as MathML instead of leaving it to MathJax."""

    def inline_math(self, body: str) -> str:
        return mathml(body, "inline") or super().inline_math(body)

    def block_math(self, body: str) -> str:
        return mathml(body, "block") or super().block_math(body)

    def latex_environment(self, name: str, body: str) -> str:
        return (mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", "block")
                or super().latex_environment(name, body))


class AnswersHTMLExporter(HTMLExporter):
    """nbconvert's HTML exporter whose markdown filter renders math with `MathMLRenderer`."""

    @pass_context
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        renderer = MathMLRenderer(
            escape=False,
            attachments=cell.get("attachments", {}),
            embed_images=False,  # never read files named by a notebook into the page
            anchor_link_text=self.anchor_link_text,
            exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options,
        )
        return MarkdownWithMath(renderer=renderer).render(source)


CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-pdf-header-footer",
]
# A student's notebook is untrusted: no script in it may run while the page is printed, and the
# page fetches nothing (figures are data: URIs, styles are inline).
NO_SCRIPTS = ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
              'img-src data:; style-src \'unsafe-inline\'; font-src data:">')
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
MAC_BROWSERS = ("/Applications/Chromium.app/Contents/MacOS/Chromium",
                "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome")


class RenderError(Exception):
    """The PDF could not be made (no Chromium, or Chromium failed); the message says why."""


def chromium() -> str:
    """The browser that prints: $CHROMIUM if set, else the first Chromium or Chrome found."""
    chosen = os.environ.get("CHROMIUM")
    if chosen:
        found = shutil.which(chosen)
        if not found:
            raise RenderError(f"CHROMIUM={chosen} is not an executable browser")
        return found
    for name in BROWSERS:
        if shutil.which(name):
            return shutil.which(name)
    for path in MAC_BROWSERS:
        if os.access(path, os.X_OK):
            return path
    raise RenderError("no Chromium or Chrome browser was found: install one (Debian and Ubuntu: "
                      "`apt-get install chromium`, which `make pdf-tools` runs), or set the "
                      "CHROMIUM environment variable to the browser's path")


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
    exporter = AnswersHTMLExporter(exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(notebook)
    return body.replace("<head>", "<head>" + NO_SCRIPTS, 1)


def html_to_pdf(html: str, pdf_path: Path, timeout: float = 120) -> None:
    with tempfile.TemporaryDirectory(prefix="bn-pdf-") as scratch:
        page = Path(scratch) / "answers.html"
        page.write_text(html, encoding="utf-8")
        output = Path(scratch) / "answers.pdf"
        try:
            done = subprocess.run(
                [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={scratch}/profile",
                 f"--print-to-pdf={output}", page.as_uri()],
                capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise RenderError(f"Chromium made no PDF within {timeout:.0f} s") from error
        except OSError as error:
            raise RenderError(f"Chromium could not be started: {error}") from error
        if not output.is_file():
            raise RenderError(f"Chromium made no PDF (exit {done.returncode}): "
                              f"{done.stderr.strip()[-500:]}")
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(output, pdf_path)


def render(notebook_path: Path, pdf_path: Path) -> Path:
    """Write the graders' PDF of `notebook_path` to `pdf_path`."""
    html_to_pdf(to_html(select_cells(read_or_notice(Path(notebook_path)))), Path(pdf_path))
    return Path(pdf_path)


class WrittenAnswersPdf(AbstractOtterPlugin):
    """The student's side: an otter plugin that adds the written answers' PDF to the export zip.

    The export cell runs `grader.add_plugin_files("written_answers.WrittenAnswersPdf")` just
    before `grader.export(...)`; otter calls `notebook_export` with the notebook's path as
    `submission_path` and puts the returned files in the zip. When the PDF cannot be made the
    student is told why and the zip is made without it.
    """

    PDF_NAME = "written_answers.pdf"

    def __init__(self, submission_path, submission_metadata, plugin_config):
        super().__init__(submission_path, submission_metadata, plugin_config)
        self.handed_over = False  # otter keeps this instance and the files it was given

    def notebook_export(self, pdf: str = PDF_NAME) -> list[str]:
        notebook = Path(self.submission_path)
        try:
            render(notebook, Path(pdf))
        except Exception as error:  # never stop the export: the zip matters more
            reason = str(error) if isinstance(error, RenderError) else repr(error)
            earlier = (f" The zip will hold {pdf} made by an earlier run of this cell."
                       if self.handed_over else "")
            print(f"No PDF of your written answers: {reason}.\nThe zip is made without it; "
                  f"your answers are in the notebook, and `python written_answers.py "
                  f"{notebook.name} {pdf}` makes the PDF on a machine with Chromium or Chrome."
                  + earlier)
            return []
        math = ("" if latex_to_mathml is not None else
                " Formulas appear as LaTeX source: `pip install latex2mathml` draws them.")
        print(f"Wrote {pdf}: the title, your answers to the inline questions and the experiment "
              f"figures, from the notebook as last saved. It goes into the zip; upload it where "
              f"your course collects the written answers.{math}")
        if self.handed_over:
            return []  # otter already holds this path: the file on disk is the new one
        self.handed_over = True
        return [pdf]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render one notebook's written answers to PDF.")
    parser.add_argument("notebook", type=Path, help="the notebook (.ipynb)")
    parser.add_argument("pdf", type=Path, help="the PDF to write")
    args = parser.parse_args(argv)
    try:
        render(args.notebook, args.pdf)
    except RenderError as error:
        print(f"pdf: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.pdf}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
