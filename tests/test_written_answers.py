"""The cells graders read: the pdf-* tag rules applied to the solved notebook."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from pdf_reading import pdf_pages, pdf_text

from autograder import paths
from autograder.grading import extract
from autograder.build.written_answers import (HTML_NAME, NoBrowser, RenderError, chromium, render,
                                              select_cells, to_html)


def solved_notebook():
    return nbformat.read(paths.SOLUTIONS / paths.NOTEBOOK_NAME, as_version=4)


def test_title_questions_answers_and_plots_are_kept_and_nothing_else():
    notebook = solved_notebook()
    selected = select_cells(notebook)
    text = "\n".join(cell.source for cell in selected.cells)
    assert selected.cells[0].source.startswith("# Batch Normalization")
    for number in range(1, 5):
        assert f"Inline Question {number}" in text
    assert text.count("**Your answer:**") >= 4  # the reference answers
    assert "import numpy" not in text and "load_assignment_data" not in text  # setup is gone
    assert "def plot_training_history" not in text
    plots = [cell for cell in selected.cells if cell.cell_type == "code"]
    assert plots and all(cell.source == "" for cell in plots)
    # Only figures survive of the experiment cells: no printed training progress.
    assert all("image/png" in output.get("data", {}) for cell in plots for output in cell.outputs)
    assert sum(len(cell.outputs) for cell in plots) >= 2
    assert len(selected.cells) < len(notebook.cells) / 3


def test_untagged_and_ignored_cells_are_dropped_and_the_input_is_not_modified():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title", metadata={"tags": ["pdf-title"]}),
        nbformat.v4.new_code_cell("secret = 1", metadata={"tags": ["pdf-ignore"]}),
        nbformat.v4.new_markdown_cell("untagged prose"),
        nbformat.v4.new_code_cell("plot()", metadata={"tags": ["pdf-ignore-input"]}, outputs=[
            nbformat.v4.new_output("stream", text="epoch 1"),
            nbformat.v4.new_output("display_data", data={"image/png": "iVBOR",
                                                         "text/plain": "<Figure>"})]),
        nbformat.v4.new_code_cell("no_output()", metadata={"tags": ["pdf-ignore-input"]}),
        nbformat.v4.new_markdown_cell("## Inline Question 1", metadata={"tags": ["pdf-inline"]}),
    ])
    before = nbformat.writes(notebook)
    selected = select_cells(notebook)
    assert [cell.source for cell in selected.cells] == ["# Title", "", "## Inline Question 1"]
    assert [output.output_type for output in selected.cells[1].outputs] == ["display_data"]
    assert nbformat.writes(notebook) == before


def test_the_solved_notebook_renders_to_a_short_pdf_of_answers_and_plots(tmp_path):
    pdf = render(paths.SOLUTIONS / paths.NOTEBOOK_NAME, tmp_path / "answers.pdf")
    text = pdf_text(pdf)
    for number in range(1, 5):
        assert f"Inline Question {number}" in text
    assert "Without batch normalization" in text  # a reference answer
    assert "import numpy" not in text and "load_assignment_data" not in text
    assert "plot_training_history" not in text
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    assert len(images) >= 2
    assert pdf_pages(pdf) <= 8
    # The title's formula y = gamma x_hat + beta is drawn, not shown as LaTeX source.
    assert "\\gamma" not in text and "\\hat" not in text and "𝛾" in text


def test_a_corrupt_notebook_gets_a_one_page_pdf_that_says_so(tmp_path):
    broken = tmp_path / "BatchNormalization.ipynb"
    broken.write_text("{ not json")
    pdf = render(broken, tmp_path / "broken.pdf")
    assert pdf_pages(pdf) == 1
    assert "could not be read" in pdf_text(pdf)
    missing = render(tmp_path / "absent.ipynb", tmp_path / "missing.pdf")
    assert "No notebook was found" in pdf_text(missing)


def answer_notebook(markdown):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        markdown, metadata={"tags": ["pdf-inline"]})])


def test_math_is_drawn_as_mathml_and_malformed_latex_stays_as_source(tmp_path):
    notebook = answer_notebook(
        "## Inline Question 1\n\n**Your answer:** the mean is $\\mu = \\frac{1}{N}\\sum x$ and\n"
        "$$\\sigma^2 = \\frac{1}{N}\\sum_{i=1}^N (x_i - \\mu)^2$$\n\nbroken: $x^$ here.")
    html = to_html(notebook)
    assert html.count("<math") == 2 and 'display="block"' in html
    path = tmp_path / "math.ipynb"
    nbformat.write(notebook, path)
    text = pdf_text(render(path, tmp_path / "math.pdf"))
    assert "\\frac" not in text and "\\sum" not in text and "\\mu" not in text
    assert "𝜇" in text and "∑" in text and "𝑁" in text
    assert "$x^$" in text  # latex2mathml cannot read it: the source is shown, not lost


def test_no_script_of_the_notebook_runs_while_it_is_printed(tmp_path):
    path = tmp_path / "script.ipynb"
    nbformat.write(answer_notebook(
        "## Inline Question 1\n\n<script>document.write('SCRIPT RAN')</script>answer"), path)
    text = pdf_text(render(path, tmp_path / "script.pdf"))
    assert "answer" in text and "SCRIPT RAN" not in text


def test_a_browser_named_by_chromium_must_exist(monkeypatch):
    monkeypatch.setenv("CHROMIUM", "/nonexistent/chrome")
    with pytest.raises(RenderError, match="CHROMIUM=/nonexistent/chrome is not a browser program"):
        chromium()
    monkeypatch.delenv("CHROMIUM")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(NoBrowser, match="no Chromium-family browser .* was found"):
        chromium(root=Path("/nonexistent"))


def program(path: Path) -> Path:
    """An executable file at `path` (a stand-in for a browser)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


# Each platform's layout, simulated under tmp_path: (platform, {environment variable: folder
# under tmp_path}, the browsers installed (paths under tmp_path), the one that must be chosen).
LAYOUTS = {
    "windows, Chrome for all users": (
        "win32", {"PROGRAMFILES": "C/Program Files", "PROGRAMFILES(X86)": "C/Program Files (x86)",
                  "LOCALAPPDATA": "C/Users/ada/AppData/Local"},
        ["C/Program Files (x86)/Microsoft/Edge/Application/msedge.exe",
         "C/Program Files/Google/Chrome/Application/chrome.exe"],
        "C/Program Files/Google/Chrome/Application/chrome.exe"),
    "windows, Chrome for one user": (
        "win32", {"PROGRAMFILES": "C/Program Files", "LOCALAPPDATA": "C/Users/ada/AppData/Local"},
        ["C/Users/ada/AppData/Local/Google/Chrome/Application/chrome.exe"],
        "C/Users/ada/AppData/Local/Google/Chrome/Application/chrome.exe"),
    "windows, only Edge": (
        "win32", {"PROGRAMFILES": "C/Program Files", "PROGRAMFILES(X86)": "C/Program Files (x86)"},
        ["C/Program Files (x86)/Microsoft/Edge/Application/msedge.exe"],
        "C/Program Files (x86)/Microsoft/Edge/Application/msedge.exe"),
    "macos, Chrome": (
        "darwin", {}, ["root/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
                       "root/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"],
        "root/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
    "macos, Chromium in the user's Applications": (
        "darwin", {}, ["home/Applications/Chromium.app/Contents/MacOS/Chromium"],
        "home/Applications/Chromium.app/Contents/MacOS/Chromium"),
    "macos, only Edge": (
        "darwin", {}, ["root/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge"],
        "root/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge"),
    "linux, Chrome off the PATH": (
        "linux", {}, ["root/opt/google/chrome/chrome"], "root/opt/google/chrome/chrome"),
    "linux, Edge on the PATH": (
        "linux", {"PATH": "bin"}, ["bin/microsoft-edge", "root/opt/google/chrome/chrome"],
        "bin/microsoft-edge"),
    "linux, snap's Chromium": (
        "linux", {}, ["root/snap/bin/chromium"], "root/snap/bin/chromium"),
    "macos, only Brave": (
        "darwin", {}, ["root/Applications/Brave Browser.app/Contents/MacOS/Brave Browser"],
        "root/Applications/Brave Browser.app/Contents/MacOS/Brave Browser"),
    "windows, only Brave": (
        "win32", {"PROGRAMFILES": "C/Program Files"},
        ["C/Program Files/BraveSoftware/Brave-Browser/Application/brave.exe"],
        "C/Program Files/BraveSoftware/Brave-Browser/Application/brave.exe"),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_browser_is_found_under_each_platforms_layout(tmp_path, layout):
    platform, folders, installed, expected = LAYOUTS[layout]
    environ = {"PATH": str(tmp_path / "empty-bin")}
    environ.update({name: str(tmp_path / folder) for name, folder in folders.items()})
    for path in installed:
        program(tmp_path / path)
    found = chromium(platform=platform, environ=environ, home=tmp_path / "home",
                     root=tmp_path / "root")
    assert found == str(tmp_path / expected)


@pytest.mark.parametrize("platform", ["win32", "darwin", "linux"])
def test_without_a_browser_the_message_says_where_it_looked_and_how_to_name_one(tmp_path,
                                                                                platform):
    environ = {"PATH": str(tmp_path / "bin"), "PROGRAMFILES": str(tmp_path / "PF")}
    program(tmp_path / "PF" / "Google" / "Chrome" / "chrome.exe")  # not where installers put it
    with pytest.raises(RenderError) as info:
        chromium(platform=platform, environ=environ, home=tmp_path / "home",
                 root=tmp_path / "root")
    message = str(info.value)
    assert message.startswith("no Chromium-family browser (Chrome, Chromium, Edge or Brave) "
                              "was found")
    assert "install Google Chrome, Chromium or Microsoft Edge" in message
    assert "%env CHROMIUM=<path>" in message
    assert "make " not in message  # a student has no Makefile
    where = {"win32": "Google/Chrome/Application/chrome.exe",
             "darwin": "Applications/Google Chrome.app", "linux": "opt/google/chrome/chrome"}
    assert where[platform] in message


def test_chromium_may_name_the_browser_by_its_full_path(tmp_path):
    edge = program(tmp_path / "Program Files" / "Edge" / "msedge.exe")
    assert chromium(platform="win32", environ={"PATH": "", "CHROMIUM": str(edge)}) == str(edge)


def first_cell_source(folder=paths.STUDENT_TEMPLATE):
    """The first code cell of the notebook students get: the requirements check and otter."""
    cells = json.loads((folder / paths.NOTEBOOK_NAME).read_text())["cells"]
    return next("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")


def export_cell_source():
    """The export cell of the notebook students get."""
    cells = json.loads((paths.STUDENT_TEMPLATE / paths.NOTEBOOK_NAME).read_text())["cells"]
    return next("".join(cell["source"]) for cell in reversed(cells)
                if cell["cell_type"] == "code" and "export(" in "".join(cell["source"]))


def run_export_cell(tmp_path, runs=1, name=paths.NOTEBOOK_NAME):
    """Run the student's first cell, then the export cell (`runs` times), in a Jupyter kernel,
    in a copy of the solved folder with the notebook saved as `name`, as a student would;
    return (printed text, the newest zip, the folder)."""
    workdir = tmp_path / "student"
    shutil.copytree(paths.SOLUTIONS, workdir, ignore=shutil.ignore_patterns("__pycache__"))
    if name != paths.NOTEBOOK_NAME:
        (workdir / paths.NOTEBOOK_NAME).rename(workdir / name)
    runner = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(first_cell_source()),
        *[nbformat.v4.new_code_cell(export_cell_source()) for _ in range(runs)]])
    NotebookClient(runner, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    printed = "".join(output.get("text", "") for cell in runner.cells
                      for output in cell.get("outputs", []))
    zips = sorted(workdir.glob("BatchNormalization_*.zip"))
    assert zips, f"the export cell made no zip:\n{printed}"
    return printed, zips[-1], workdir


def test_the_export_cell_puts_the_written_answers_pdf_in_the_zip_once(tmp_path):
    printed, exported, workdir = run_export_cell(tmp_path, runs=2)
    names = zipfile.ZipFile(exported).namelist()
    assert names.count("written_answers.pdf") == 1
    assert {"BatchNormalization.ipynb", "cs231n/layers.py",
            "cs231n/classifiers/fc_net.py"} <= set(names)
    text = pdf_text(workdir / "written_answers.pdf")
    assert "Inline Question 4" in text and "import numpy" not in text
    # What it wrote and where each goes.
    assert f"{exported.name}: upload this zip, as it is, to the programming assignment" in printed
    assert "written_answers.pdf: upload this PDF to the written assignment" in printed
    # Grading takes the package and the notebook from such a zip and leaves the PDF alone.
    prepared = extract.prepare(exported, tmp_path / "taken")
    assert prepared.problem is None and "cs231n/layers.py" in prepared.files
    assert "written_answers.pdf" not in prepared.files


def test_the_export_cell_works_after_the_notebook_was_renamed(tmp_path):
    renamed = "BatchNormalization (1).ipynb"  # what a browser calls a second download
    printed, exported, workdir = run_export_cell(tmp_path, name=renamed)
    names = zipfile.ZipFile(exported).namelist()
    assert renamed in names and "written_answers.pdf" in names
    assert f"Exported {renamed} as last saved" in printed
    assert "Inline Question 4" in pdf_text(workdir / "written_answers.pdf")


def test_without_a_browser_the_export_cell_writes_the_page_and_says_how_to_save_it(tmp_path,
                                                                                 monkeypatch):
    """A stock Mac: no Chrome, Chromium, Edge or Brave. The export cell writes the page the PDF
    is printed from, puts it in the zip and prints the steps that save it as PDF from Safari."""
    bin_dir = tmp_path / "bin"  # a PATH holding Python and no browser
    bin_dir.mkdir()
    os.symlink(sys.executable, bin_dir / "python")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("CHROMIUM", raising=False)
    if any(Path(place).exists() for place in ("/snap/bin/chromium", "/opt/google/chrome/chrome",
                                              "/opt/microsoft/msedge/msedge",
                                              "/opt/brave.com/brave/brave")):
        pytest.skip("a browser is installed off the PATH here")
    printed, exported, workdir = run_export_cell(tmp_path)
    names = zipfile.ZipFile(exported).namelist()
    assert ("No written_answers.pdf this time: no Chromium-family browser (Chrome, Chromium, "
            "Edge or Brave) was found on this computer") in printed
    assert "written_answers.html holds the same page" in printed
    assert "File > Export as PDF..., name it written_answers.pdf" in printed
    assert "Open With > Safari" in printed and "open -a Safari written_answers.html" in printed
    assert ("Upload that written_answers.pdf to the written assignment on Gradescope"
            in printed)
    assert "%env CHROMIUM=<path>" in printed  # where it looked, and how to name a browser
    assert ("written_answers.html: NO PDF was made (see above). Save this page as "
            "written_answers.pdf") in printed
    assert f"{exported.name}: upload this zip, as it is" in printed
    assert "written_answers.pdf" not in names and "cs231n/layers.py" in names
    assert HTML_NAME in names
    assert not (workdir / "written_answers.pdf").exists()
    page = (workdir / HTML_NAME).read_text(encoding="utf-8")
    assert "Inline Question 4" in page and "data:image/png;base64," in page  # answers, figures
    assert "Content-Security-Policy" in page
    assert zipfile.ZipFile(exported).read(HTML_NAME).decode("utf-8") == page
    # Grading takes the package and the notebook and leaves the page alone.
    prepared = extract.prepare(exported, tmp_path / "taken")
    assert prepared.problem is None and HTML_NAME not in prepared.files


def fake_browser_failure(error):
    def fail(*args, **kwargs):
        raise error
    return fail


@pytest.mark.parametrize("kind, headline", [
    ("NoBrowser", "no Chromium-family browser (Chrome, Chromium, Edge or Brave) was found on "
                  "this computer, and Safari cannot print"),
    ("RenderError", "the browser made no PDF (exit 1): crashed"),
], ids=["no-browser", "browser-failed"])
def test_the_page_stands_in_for_the_pdf_and_a_stale_pdf_goes(tmp_path, monkeypatch, capsys,
                                                             kind, headline):
    """In process, with the browser patched: the page replaces an earlier export's PDF (which
    could show old answers), and a later export with a browser replaces the page."""
    from autograder.build import handout
    monkeypatch.syspath_prepend(str(Path(handout.__file__).parent))
    import written_answers  # the module handout.py imports: its neighbour, as in the handout

    error = getattr(written_answers, kind)("the browser made no PDF (exit 1): crashed")
    shutil.copyfile(paths.SOLUTIONS / paths.NOTEBOOK_NAME, tmp_path / paths.NOTEBOOK_NAME)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "written_answers.pdf").write_bytes(b"%PDF-1.4 an earlier export\n")
    monkeypatch.setattr(written_answers, "chromium", fake_browser_failure(error))
    assert handout.render_written_answers(paths.NOTEBOOK_NAME) == HTML_NAME
    printed = capsys.readouterr().out
    assert f"No written_answers.pdf this time: {headline}" in printed
    assert "The written_answers.pdf of an earlier export was removed" in printed
    assert not (tmp_path / "written_answers.pdf").exists()
    assert "Inline Question 4" in (tmp_path / HTML_NAME).read_text(encoding="utf-8")

    def fake_pdf(html, pdf, timeout=120):
        Path(pdf).write_bytes(b"%PDF-1.4 made\n")
    monkeypatch.setattr(written_answers, "html_to_pdf", fake_pdf)
    assert handout.render_written_answers(paths.NOTEBOOK_NAME) == "written_answers.pdf"
    assert not (tmp_path / HTML_NAME).exists()
