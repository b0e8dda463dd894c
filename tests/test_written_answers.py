"""The cells graders read: the pdf-* tag rules applied to the solved notebook."""

import shutil
import subprocess

import nbformat

from autograder import paths
from autograder.written_answers import render, render_batch, select_cells


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


def pdf_text(pdf):
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def pdf_pages(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))


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


def test_a_corrupt_notebook_gets_a_one_page_pdf_that_says_so(tmp_path):
    broken = tmp_path / "BatchNormalization.ipynb"
    broken.write_text("{ not json")
    pdf = render(broken, tmp_path / "broken.pdf")
    assert pdf_pages(pdf) == 1
    assert "could not be read" in pdf_text(pdf)
    missing = render(tmp_path / "absent.ipynb", tmp_path / "missing.pdf")
    assert "No notebook was found" in pdf_text(missing)


def test_a_batch_gets_one_pdf_per_submission_and_a_merged_one(tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    (submissions / "good one").mkdir(parents=True)
    shutil.copyfile(paths.SOLUTIONS / paths.NOTEBOOK_NAME,
                    submissions / "good one" / paths.NOTEBOOK_NAME)
    (submissions / "broken.zip").write_bytes(b"not a zip")
    (submissions / "Zoë").mkdir()
    (submissions / "Zoë" / paths.NOTEBOOK_NAME).write_text("{ not json")
    merged = render_batch(submissions, out)
    pages = {name: pdf_pages(out / name / "written_answers.pdf")
             for name in ("good one", "broken", "Zoë")}
    assert pages["broken"] == 1 and "corrupt zip" in pdf_text(out / "broken" /
                                                              "written_answers.pdf")
    assert "could not be read" in pdf_text(out / "Zoë" / "written_answers.pdf")
    assert "Inline Question 4" in pdf_text(out / "good one" / "written_answers.pdf")
    assert pdf_pages(merged) == sum(pages.values())
    assert list(submissions.iterdir())  # the submissions are left in place
    assert (submissions / "broken.zip").read_bytes() == b"not a zip"
