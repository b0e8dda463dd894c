"""The cells graders read: the pdf-* tag rules applied to the solved notebook."""

import json
import os
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest
from nbclient import NotebookClient

from pdf_reading import pdf_pages, pdf_text

from autograder import extract, paths
from autograder.written_answers import RenderError, chromium, render, select_cells, to_html


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
    with pytest.raises(RenderError, match="CHROMIUM=/nonexistent/chrome is not an executable"):
        chromium()
    monkeypatch.delenv("CHROMIUM")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RenderError, match="no Chromium or Chrome browser was found"):
        chromium()


def export_cell_source():
    """The export cell of the notebook students get."""
    cells = json.loads((paths.STUDENT_TEMPLATE / paths.NOTEBOOK_NAME).read_text())["cells"]
    return next("".join(cell["source"]) for cell in reversed(cells)
                if cell["cell_type"] == "code" and "grader.export(" in "".join(cell["source"]))


def run_export_cell(tmp_path, runs=1):
    """Run the student's export cell (`runs` times) in a Jupyter kernel, in a copy of the
    solved folder as a student would after saving; return (printed text, the zip's names)."""
    workdir = tmp_path / "student"
    shutil.copytree(paths.SOLUTIONS, workdir, ignore=shutil.ignore_patterns("__pycache__"))
    runner = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(
            'import otter\ngrader = otter.Notebook("BatchNormalization.ipynb")'),
        *[nbformat.v4.new_code_cell(export_cell_source()) for _ in range(runs)]])
    NotebookClient(runner, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    printed = "".join(output.get("text", "") for cell in runner.cells
                      for output in cell.get("outputs", []))
    zips = sorted(workdir.glob("BatchNormalization_*.zip"))
    assert zips, f"the export cell made no zip:\n{printed}"
    return printed, zips[-1], workdir


def test_the_export_cell_puts_the_written_answers_pdf_in_the_zip_once(tmp_path):
    assert "written_answers.WrittenAnswersPdf" in export_cell_source()
    printed, exported, workdir = run_export_cell(tmp_path, runs=2)
    names = zipfile.ZipFile(exported).namelist()
    assert "Wrote written_answers.pdf" in printed
    assert names.count("written_answers.pdf") == 1
    assert {"BatchNormalization.ipynb", "cs231n/layers.py",
            "cs231n/classifiers/fc_net.py"} <= set(names)
    text = pdf_text(workdir / "written_answers.pdf")
    assert "Inline Question 4" in text and "import numpy" not in text
    # Grading takes the package and the notebook from such a zip and leaves the PDF alone.
    prepared = extract.prepare(exported, tmp_path / "taken")
    assert prepared.problem is None and "cs231n/layers.py" in prepared.files
    assert "written_answers.pdf" not in prepared.files


def test_without_a_browser_the_export_cell_says_so_and_still_makes_the_zip(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"  # a PATH holding Python and no browser
    bin_dir.mkdir()
    os.symlink(sys.executable, bin_dir / "python")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("CHROMIUM", raising=False)
    printed, exported, workdir = run_export_cell(tmp_path)
    names = zipfile.ZipFile(exported).namelist()
    assert "No PDF of your written answers: no Chromium or Chrome browser was found" in printed
    assert "written_answers.pdf" not in names and "cs231n/layers.py" in names
    assert not (workdir / "written_answers.pdf").exists()
