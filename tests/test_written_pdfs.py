"""autograder.course.written_pdfs: the graders' PDFs of a whole batch, one per submission and merged."""

import shutil

from pdf_reading import pdf_pages, pdf_text

from autograder import paths
from autograder.course.written_pdfs import main, render_batch, submission_notebook


def test_the_notebook_of_a_submission_is_at_its_root_or_one_folder_down(tmp_path):
    assert submission_notebook(tmp_path) == tmp_path / paths.NOTEBOOK_NAME  # none: the usual name
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "b.ipynb").write_text("{}")
    assert submission_notebook(tmp_path) == tmp_path / "inner" / "b.ipynb"
    (tmp_path / "a.ipynb").write_text("{}")
    assert submission_notebook(tmp_path) == tmp_path / "a.ipynb"


def test_a_batch_gets_one_pdf_per_submission_and_a_merged_one(tmp_path, capsys):
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    (submissions / "good one").mkdir(parents=True)
    shutil.copyfile(paths.SOLUTIONS / paths.NOTEBOOK_NAME,
                    submissions / "good one" / paths.NOTEBOOK_NAME)
    (submissions / "broken.zip").write_bytes(b"not a zip")
    (submissions / "Zoë").mkdir()
    (submissions / "Zoë" / paths.NOTEBOOK_NAME).write_text("{ not json")
    assert main([str(submissions), str(out)]) == 0  # what `make pdfs` runs
    merged = out / "written_answers.pdf"
    assert f"wrote {merged} (3 submissions" in capsys.readouterr().out
    pages = {name: pdf_pages(out / name / "written_answers.pdf")
             for name in ("good one", "broken", "Zoë")}
    assert pages["broken"] == 1 and "corrupt zip" in pdf_text(out / "broken" /
                                                              "written_answers.pdf")
    assert "could not be read" in pdf_text(out / "Zoë" / "written_answers.pdf")
    good = pdf_text(out / "good one" / "written_answers.pdf")
    assert "Submission: good one" in good and "Inline Question 4" in good
    assert pdf_pages(merged) == sum(pages.values())
    assert list(submissions.iterdir())  # the submissions are left in place
    assert (submissions / "broken.zip").read_bytes() == b"not a zip"


def test_an_empty_folder_makes_no_merged_pdf(tmp_path):
    (tmp_path / "submissions").mkdir()
    merged = render_batch(tmp_path / "submissions", tmp_path / "out")
    assert merged == tmp_path / "out" / "written_answers.pdf" and not merged.exists()
