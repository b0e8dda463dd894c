"""Select what graders read of a notebook: the cells its `pdf-*` tags keep.

- `pdf-title`: the title cell, kept;
- `pdf-inline`: the inline questions and their answers, kept;
- `pdf-ignore-input`: experiment and plotting cells, only their figures kept (printed progress
  text and the code are dropped);
- `pdf-ignore`, and every untagged cell: dropped.

`select_cells` is one small notebook transformation, like an nbconvert preprocessor; `render`
turns a notebook into the graders' PDF: nbconvert's HTML exporter for the selected cells, with
the markdown's LaTeX turned into MathML (latex2mathml) that the browser draws itself, then a
headless Chrome, Chromium, Edge or Brave printing that page to PDF (`chromium` finds one on Linux,
macOS and Windows, or takes $CHROMIUM). Without one (a stock Mac has only Safari), the handout's
export cell writes that page itself, written_answers.html, for the student to save as PDF. No script of the notebook runs and nothing is fetched: the
page forbids both. A missing or corrupt notebook gives a one-page PDF that says so.

The same file serves two places: the graders' side (`make pdf`; `make pdfs` renders a whole
batch with it from the graders' module written_pdfs) and the student's handout, where
`make assign` copies it next to the notebook (the handout has no `autograder` package). There
the export cell's `handout.export` renders the same PDF with it and adds it to the submission
zip. So this file renders one notebook only, needs nothing beyond what a student has (nbconvert,
nbformat; latex2mathml for drawn formulas) and imports no module of the project
(tests/test_build.py checks every import of the handout's copy).

    python -m autograder.build.written_answers NOTEBOOK PDF      (make pdf NOTEBOOK=... PDF=...)
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

try:
    from latex2mathml.converter import convert as latex_to_mathml
except ImportError:  # a student's environment without it: formulas stay LaTeX source
    latex_to_mathml = None

PDF_NAME = "written_answers.pdf"  # the file the export cell writes beside the notebook
# What the export cell writes instead when no browser prints (a stock Mac has only Safari, which
# prints no PDF from a command): the page the PDF is printed from, to save as PDF by hand.
HTML_NAME = "written_answers.html"
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
    "--no-pdf-header-footer", "--print-to-pdf-no-header",  # the flag's new and old names
]
# A student's notebook is untrusted: no script in it may run while the page is printed, and the
# page fetches nothing (figures are data: URIs, styles are inline).
NO_SCRIPTS = ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
              'img-src data:; style-src \'unsafe-inline\'; font-src data:">')
# The browsers that print (the Chromium family: Chrome, Chromium, Edge, Brave), by platform:
# program names looked up on the PATH, then the places their installers put them. Windows'
# folders are read from the environment variables below.
BROWSER_NAMES = {
    "linux": ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
              "microsoft-edge", "microsoft-edge-stable", "brave-browser", "brave"),
    "darwin": ("chromium", "google-chrome", "microsoft-edge", "brave-browser"),
    "win32": ("chrome", "msedge", "chromium", "brave"),
}
MAC_APPS = ("Google Chrome.app/Contents/MacOS/Google Chrome",
            "Chromium.app/Contents/MacOS/Chromium",
            "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
            "Brave Browser.app/Contents/MacOS/Brave Browser")
WINDOWS_FOLDERS = ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")
WINDOWS_PROGRAMS = ("Google/Chrome/Application/chrome.exe",
                    "Chromium/Application/chrome.exe",
                    "Microsoft/Edge/Application/msedge.exe",
                    "BraveSoftware/Brave-Browser/Application/brave.exe")
LINUX_PLACES = ("snap/bin/chromium", "opt/google/chrome/chrome", "opt/microsoft/msedge/msedge",
                "opt/brave.com/brave/brave")


class RenderError(Exception):
    """The PDF could not be made (no browser, or the browser failed); the message says why."""


class NoBrowser(RenderError):
    """No Chromium-family browser was found (none named by $CHROMIUM either)."""


def platform_family(platform: str) -> str:
    """'win32', 'darwin' or 'linux' (every other Unix looks like Linux here)."""
    if platform.startswith(("win", "cygwin", "msys")):
        return "win32"
    return "darwin" if platform == "darwin" else "linux"


def browser_places(platform: str, environ, home: Path, root: Path) -> list[Path]:
    """Where Chrome, Chromium and Edge are installed on `platform`, most common first (`root`
    is the filesystem's root, `home` the user's folder)."""
    family = platform_family(platform)
    if family == "darwin":
        return [folder / app for app in MAC_APPS
                for folder in (root / "Applications", home / "Applications")]
    if family == "win32":
        return [Path(environ[folder]) / program for program in WINDOWS_PROGRAMS
                for folder in WINDOWS_FOLDERS if environ.get(folder)]
    return [root / place for place in LINUX_PLACES]


def is_program(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def chromium(platform: str | None = None, environ=None, home: Path | None = None,
             root: Path = Path("/")) -> str:
    """The browser that prints: $CHROMIUM if set, else the first Chrome, Chromium or Edge found
    on the PATH or where its installer puts it on this platform (`platform`, `environ`, `home`
    and `root` default to this machine's: tests simulate the others)."""
    platform = sys.platform if platform is None else platform
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    search_path = environ.get("PATH", "")
    chosen = environ.get("CHROMIUM")
    if chosen:
        found = shutil.which(chosen, path=search_path)
        if found:
            return found
        raise RenderError(
            f"CHROMIUM={chosen} is not a browser program: set CHROMIUM to the full path of "
            "Chrome, Chromium, Edge or Brave (for example with `%env CHROMIUM=<path>` in a cell above "
            "the export cell), or unset it to let the cell look for one")
    for name in BROWSER_NAMES[platform_family(platform)]:
        found = shutil.which(name, path=search_path)
        if found:
            return found
    places = browser_places(platform, environ, home, root)
    for place in places:
        if is_program(place):
            return str(place)
    raise NoBrowser(
        "no Chromium-family browser (Chrome, Chromium, Edge or Brave) was found (looked on the "
        f"PATH for {', '.join(BROWSER_NAMES[platform_family(platform)])}"
        + (f" and in {', '.join(str(place) for place in places)}" if places else "")
        + "): install Google Chrome, Chromium or Microsoft Edge (Debian and Ubuntu: "
        "`sudo apt-get install chromium`), or, if one is installed elsewhere, set the CHROMIUM "
        "environment variable to its full path (in the notebook: `%env CHROMIUM=<path>` in a "
        "cell above the export cell)")


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
            raise RenderError(f"the browser made no PDF within {timeout:.0f} s") from error
        except OSError as error:
            raise RenderError(f"the browser could not be started: {error}") from error
        if not output.is_file():
            raise RenderError(f"the browser made no PDF (exit {done.returncode}): "
                              f"{done.stderr.strip()[-500:]}")
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(output, pdf_path)


def answers_html(notebook_path: Path) -> str:
    """The page the graders' PDF of `notebook_path` is printed from (self-contained: figures
    inline, no script), which any browser also shows and prints."""
    return to_html(select_cells(read_or_notice(Path(notebook_path))))


def render(notebook_path: Path, pdf_path: Path) -> Path:
    """Write the graders' PDF of `notebook_path` to `pdf_path`."""
    html_to_pdf(answers_html(notebook_path), Path(pdf_path))
    return Path(pdf_path)


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
