"""The handout's own helpers: the notebook's first cell and its export cell call them.

`make assign` copies this file next to the notebook (the handout has no `autograder` package),
so it imports nothing of the project, and nothing beyond the standard library at import time:
the first cell must run on a Python that lacks every requirement, and say what to do.

- `check_requirements()`: the packages of the handout's requirements.txt that this Python
  lacks; when any is missing it raises `MissingRequirements`, whose message (shown by Jupyter in
  place of a traceback) says the one command that installs them all.
- `find_notebook(namespace)`: the notebook being run, under whatever name it has now (a
  browser's "Assignment (1).ipynb" too).
- `export(grader, files, namespace)`: the export cell. It renders the written answers' PDF
  (written_answers.py, beside this file), zips the notebook, the PDF and `files` with otter,
  and prints what it wrote and what to upload where. Without a browser that prints (a stock
  Mac), the written answers' page, written_answers.html, takes the PDF's place, with the steps
  that save it as PDF from Safari.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import sys
from importlib import metadata
from pathlib import Path

REQUIREMENTS = "requirements.txt"
README = "README.md"
PYTHON = (3, 11)  # the version requirements.txt was tested with
# The Pythons requirements.txt installs on, measured: 3.11 from its first release (every pin
# resolves for 3.11.0; Debian 12's 3.11.2 installs them) up to 3.13 (3.12 and 3.13 install every
# pin from wheels and pass the public checks).
SUPPORTED = ((3, 11), (3, 13))
# What the notebook imports, checked when requirements.txt itself is missing.
ESSENTIAL = {"otter-grader": "otter", "numpy": "numpy", "matplotlib": "matplotlib",
             "scikit-learn": "sklearn", "nbconvert": "nbconvert", "nbformat": "nbformat"}
UPLOAD_ZIP = "the programming assignment on Gradescope"
UPLOAD_PDF = "the written assignment on Gradescope"
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


class StudentMessage(Exception):
    """An error whose message is all a student needs: Jupyter shows it instead of a traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython calls this in place of the traceback
        return str(self).splitlines()


class MissingRequirements(StudentMessage):
    """This Python lacks packages of requirements.txt."""


class NotebookNotFound(StudentMessage):
    """No notebook of this assignment is in the working folder."""


def pinned(requirements: Path) -> dict[str, str]:
    """{package: version} of every `name==version` line of a requirements file."""
    found = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[match[1]] = match[2]
    return found


def installed_version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def importable(module: str) -> bool:
    from importlib.util import find_spec
    return find_spec(module) is not None


def install_advice(folder: Path) -> str:
    """How to install requirements.txt into the Python that runs this notebook."""
    powershell = " (in PowerShell, type & and a space before it)" if os.name == "nt" else ""
    return (f"Install them all into this Python with one command: run\n"
            f"\n    %pip install -r {REQUIREMENTS}\n\n"
            f"in a new cell of this notebook, or, in a terminal in this folder ({folder}),"
            f"{powershell}\n\n    \"{sys.executable}\" -m pip install -r {REQUIREMENTS}\n\n"
            "Then restart the kernel (Kernel > Restart Kernel) and run this cell again. "
            f"{README} in this folder walks through the whole setup.")


def python_note(version) -> str:
    """A sentence when `version` (like sys.version_info) is not one requirements.txt installs
    on, saying which are and how to get one; else ''."""
    oldest, newest = SUPPORTED
    if oldest <= tuple(version[:2]) <= newest:
        return ""
    dotted = ".".join(map(str, version[:3]))
    return (f" This kernel runs Python {dotted}; {REQUIREMENTS} installs on Python "
            f"{'.'.join(map(str, oldest))} or newer up to {'.'.join(map(str, newest))} (the "
            f"course tested {'.'.join(map(str, PYTHON))}). Install one of those from "
            "https://www.python.org/downloads/ and make the environment with it, as "
            f"{README} (section 1) says.")


def check_requirements(folder: Path | str = ".") -> list[str]:
    """Raise MissingRequirements if this Python lacks a package of requirements.txt; return
    notes on packages installed in other versions than it pins (they may still work)."""
    folder = Path(folder).resolve()
    requirements = folder / REQUIREMENTS
    if requirements.is_file():
        wanted = pinned(requirements)
        missing = [name for name in wanted if installed_version(name) is None]
        other = [f"{name} {installed_version(name)} (requirements.txt: {version})"
                 for name, version in wanted.items()
                 if name not in missing and installed_version(name) != version]
    else:
        missing = [name for name, module in ESSENTIAL.items() if not importable(module)]
        other = []
    version_note = python_note(sys.version_info)
    if missing:
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8
                                          else "")
        raise MissingRequirements(
            f"This notebook needs the packages listed in {REQUIREMENTS}, and the Python running "
            f"it ({sys.executable}) lacks {len(missing)} of them: {shown}.{version_note}\n"
            + install_advice(folder))
    notes = []
    if other:
        notes.append(f"Installed in other versions than {REQUIREMENTS} pins: "
                     f"{', '.join(other[:5])}{' and more' if len(other) > 5 else ''}. The "
                     f"notebook may still work; `%pip install -r {REQUIREMENTS}` installs the "
                     "tested ones.")
    if version_note:
        notes.append(version_note.strip())
    for note in notes:
        print(note)
    return notes


def assignment_of(notebook: Path) -> str | None:
    """The otter assignment name a notebook carries, or None when it has none or is unreadable."""
    try:
        content = json.loads(notebook.read_text(encoding="utf-8"))
        return content.get("metadata", {}).get("otter", {}).get("assignment_name")
    except (OSError, ValueError, AttributeError):
        return None


def find_notebook(namespace: dict | None = None, folder: Path | str = ".") -> str:
    """The name of the notebook being run, in `folder` (the working folder of the kernel).

    Jupyter (`__session__`) and VS Code (`__vsc_ipynb_file__`) tell the kernel which notebook it
    runs; it is taken when it is still there (a notebook renamed after the kernel started is
    not). Otherwise the folder's notebooks of this assignment are looked at: the only one, or
    the one saved last among several (said in a printed note).
    """
    folder = Path(folder).resolve()
    namespace = namespace or {}
    for variable in ("__vsc_ipynb_file__", "__session__"):
        told = namespace.get(variable)
        if isinstance(told, str) and told.endswith(".ipynb"):
            path = (folder / told).resolve()
            if path.is_file() and path.parent == folder:
                return path.name
    notebooks = sorted(folder.glob("*.ipynb"))
    # A notebook otter assign made carries its assignment's name; a stray one does not.
    ours = [path for path in notebooks if assignment_of(path)] or notebooks
    if not ours:
        raise NotebookNotFound(
            f"No notebook was found in {folder}, the folder this notebook runs in. Open the "
            f"notebook from the folder of the handout (the one holding {README} and "
            f"{REQUIREMENTS}), save it there (File > Save), and run this cell again.")
    chosen = max(ours, key=lambda path: (path.stat().st_mtime, path.name))
    if len(ours) > 1:
        print(f"Note: {len(ours)} notebooks of this assignment are in this folder "
              f"({', '.join(path.name for path in ours)}); using {chosen.name}, the one saved "
              "last. Save this notebook (File > Save) and run the cell again if that is not it.")
    return chosen.name


def save_as_pdf_steps(html: str, pdf: str) -> str:
    """How a student turns the written answers' page into the PDF by hand, with no install."""
    return (f"  1. Open {html} (in this folder) in a browser. On a Mac: in Finder, Control-click "
            f"it > Open With > Safari, or run `open -a Safari {html}` in a terminal here.\n"
            f"  2. Safari: File > Export as PDF..., name it {pdf}, save it in this folder. "
            f"(Other browsers: File > Print, then Save as PDF.)\n"
            f"  3. Upload that {pdf} to {UPLOAD_PDF}.\n"
            "Or install Google Chrome, Chromium, Microsoft Edge or Brave and run this cell "
            "again: it then makes the PDF itself.")


def render_written_answers(notebook: str) -> str | None:
    """Write written_answers.pdf beside the notebook and return its name. When no browser
    prints it (a stock Mac has only Safari), write written_answers.html instead, the page the
    PDF is printed from, say how to save it as PDF, and return its name; None when not even the
    page could be made (the reason printed)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        import written_answers
    finally:
        sys.path.pop(0)
    pdf, html = Path(written_answers.PDF_NAME), Path(written_answers.HTML_NAME)
    earlier_pdf = pdf.exists()
    for stale in (pdf, html):  # an earlier export's file must not pass for this one
        if stale.exists():
            stale.unlink()
    try:
        page = written_answers.answers_html(Path(notebook))
    except Exception as error:  # never stop the export: the zip matters more
        print(f"No PDF of your written answers: {error!r}.\nThe zip is made without it. Run "
              f"`python written_answers.py \"{notebook}\" {pdf}` in a terminal in this folder "
              "to see the whole error.\n")
        return None
    try:
        written_answers.html_to_pdf(page, pdf)
        return pdf.name
    except Exception as error:  # no browser, or it failed: the page stands in for the PDF
        failure = error
    reason = (str(failure) if isinstance(failure, written_answers.RenderError)
              else repr(failure))
    html.write_text(page, encoding="utf-8")
    if isinstance(failure, written_answers.NoBrowser):
        headline = ("no Chromium-family browser (Chrome, Chromium, Edge or Brave) was found on "
                    "this computer, and Safari cannot print a PDF when a program asks it to")
        details = f"\n(Details: {reason}.)"
    else:
        headline, details = reason, ""
    removed = (f"\nThe {pdf} of an earlier export was removed: it may not show your latest "
               "answers." if earlier_pdf else "")
    print(f"No {pdf} this time: {headline}.{removed}\nInstead, {html} holds the same page (the "
          "title, your answers and the figures); it is in this folder and in the zip. Make the "
          f"PDF from it yourself:\n{save_as_pdf_steps(html.name, pdf.name)}{details}\n")
    return html.name


def saved_without_outputs(notebook: str) -> bool:
    """Whether the notebook, as saved, shows no output at all (run but never saved, say)."""
    try:
        cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return not any(cell.get("outputs") for cell in cells if cell.get("cell_type") == "code")


def package_of(files: list[str]) -> str:
    """The package the student's files are in (the first part of the first file's path)."""
    return Path(files[0]).parts[0] if files else "your package"


def export(grader, files: list[str], namespace: dict | None = None) -> None:
    """The export cell: the submission zip and the written answers' PDF, from the notebook as
    last saved; print what was written and where each goes."""
    notebook = find_notebook(namespace)
    missing = [name for name in files if not Path(name).is_file()]
    if missing:
        raise StudentMessage(
            f"The export needs {', '.join(missing)}, which is not in this folder "
            f"({Path.cwd()}). Run the notebook from the folder of the handout, where "
            f"{package_of(files)}/ is, or unzip the handout again and copy your "
            f"{' and '.join(files)} into it.")
    if saved_without_outputs(notebook):
        print(f"Note: {notebook}, as last saved, shows no outputs, so the PDF has no figures: "
              "run all cells, save the notebook (File > Save) and run this cell again.\n")
    pdf = render_written_answers(notebook)  # or the page standing in for it, or None
    timestamp = datetime.datetime.now().strftime("%Y_%m_%dT%H_%M_%S")
    archive = f"{assignment_of(Path(notebook)) or Path(notebook).stem}_{timestamp}.zip"
    grader.export(nb_path=notebook, export_path=archive, pdf=False,
                  files=list(files) + ([pdf] if pdf else []))
    where = Path.cwd()
    package = package_of(files)
    lines = [f"Exported {notebook} as last saved, and your {package}/ package, into {where}:",
             f"  {archive}: upload this zip, as it is, to {UPLOAD_ZIP} (the autograder grades "
             f"the {package}/ package inside it)."]
    if pdf and pdf.endswith(".pdf"):
        lines.append(f"  {pdf}: upload this PDF to {UPLOAD_PDF} (the title, your answers to "
                     "the inline questions and the experiments' figures; the zip holds a copy).")
    elif pdf:
        lines.append(f"  {pdf}: NO PDF was made (see above). Save this page as "
                     f"{Path(pdf).with_suffix('.pdf')} (Safari: File > Export as PDF...) and "
                     f"upload that PDF to {UPLOAD_PDF}; the zip holds a copy of the page.")
    else:
        lines.append(f"  no PDF this time (see above): upload written_answers.pdf to {UPLOAD_PDF} "
                     "once it is made.")
    print("\n".join(lines))
