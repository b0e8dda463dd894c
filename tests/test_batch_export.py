"""make grade on a Gradescope export: one row per student, manual scores merged, upload files.

The export is written here: a student who uploaded the export cell's zip (a unicode name), a
group of two who uploaded loose files, an entry without submitters (the template), a folder the
metadata does not name, keys without a folder; the manual scores name a student no one is.
One quick question is graded (as in test_batch.py).
"""

from __future__ import annotations

import csv
import io
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from autograder import manifest, paths
from autograder.course import batch, grade_command, gradebook, upload
from autograder.settings import Settings
from gradescope_export import METADATA

QUICK = ["bn_forward_train"]
MANUAL = """\
First Name,Last Name,SID,Email,Total Score,Max Points,Status,1: Inline Question 1 (2.0 pts),\
2: Inline Question 2 (2.0 pts),3: Inline Question 3 (2.0 pts),4: Inline Question 4 (2.0 pts)
Zoë,Dupont,2024001,zoe@example.edu,7.5,8.0,Graded,2.0,2.0,1.5,2.0
Ana,Lima,2024002,ana.other@example.edu,6.0,8.0,Graded,2.0,2.0,2.0,0.0
王,小明,2024003,wang@example.edu,8.0,8.0,Graded,2.0,2.0,2.0,2.0
Someone,Else,2099999,else@example.edu,4.0,8.0,Graded,1.0,1.0,1.0,1.0
"""
# Canvas's gradebook export of the same class: Ana's login is not her email (matched by SID),
# Ghost Student has no score, Extra Student is in no submission.
CANVAS = """\
Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 (9)
    Points Possible,,,,,10
"Dupont, Zoë",7001,2024001,zoe@example.edu,A,1
"Lima, Ana",7002,2024002,alima,A,2
"王, 小明",7003,,wang@example.edu,B,3
"Student, Ghost",7009,2024009,ghost@example.edu,B,
"Student, Extra",7010,2024010,extra@example.edu,B,
"""


def package_files(source: Path) -> dict[str, bytes]:
    folder = source / paths.PACKAGE_NAME
    return {f"{paths.PACKAGE_NAME}/{p.relative_to(folder).as_posix()}": p.read_bytes()
            for p in sorted(folder.rglob("*.py")) if "__pycache__" not in p.parts}


def write_export(path: Path, metadata: str = METADATA) -> Path:
    """The export zip, wrapped in one top folder as Gradescope's is."""
    top = "assignment_4242_export"
    student_zip = io.BytesIO()
    with zipfile.ZipFile(student_zip, "w") as archive:
        for name, data in package_files(paths.SOLUTIONS).items():  # the same bytes each time
            archive.writestr(zipfile.ZipInfo(name, (2026, 3, 1, 0, 0, 0)), data)
    reference = package_files(paths.SOLUTIONS)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{top}/submission_metadata.yml", metadata)
        archive.writestr(f"{top}/submission_101/BatchNormalization.zip", student_zip.getvalue())
        archive.writestr(f"{top}/submission_102/layers.py", reference[paths.STUDENT_FILES["layers.py"]])
        archive.writestr(f"{top}/submission_102/fc_net.py", reference[paths.STUDENT_FILES["fc_net.py"]])
        for name, data in package_files(paths.STUDENT_TEMPLATE).items():
            archive.writestr(f"{top}/submission_103/{name}", data)
        archive.writestr(f"{top}/submission_105/layers.py", reference[paths.STUDENT_FILES["layers.py"]])
    return path


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    export = write_export(tmp / "export.zip")
    (tmp / "written.csv").write_text(MANUAL, encoding="utf-8")
    (tmp / "canvas.csv").write_text(CANVAS, encoding="utf-8")
    out = tmp / "out"
    result = batch.grade_folder(export, out, replace(Settings(), questions=QUICK), jobs=2,
                                progress=False, manual=tmp / "written.csv",
                                canvas=tmp / "canvas.csv")
    return out, result


def test_one_row_per_student_groups_share_scores(graded):
    out, result = graded
    rows = read_csv(out / gradebook.GRADEBOOK)
    assert list(rows[0])[:4] == ["name", "sid", "email", "submission"]
    assert "inline_q1" in rows[0] and list(rows[0])[-3:] == ["total", "review", "status"]
    by = {(row["name"], row["submission"]): row for row in rows}
    zoe = by[("Zoë Dupont", "submission_101")]
    assert (zoe["sid"], zoe["email"], zoe["bn_forward_train"]) == ("2024001", "zoe@example.edu",
                                                                  "10")
    assert zoe["inline_q3"] == "1.5" and zoe["total"] == "17.5"
    assert zoe["status"] == "ok; no notebook"
    ana, wang = by[("Ana Lima", "submission_102")], by[("王小明", "submission_102")]
    assert ana["bn_forward_train"] == wang["bn_forward_train"] == "10"
    assert ana["inline_q4"] == "0" and ana["total"] == "16"  # matched by SID
    assert wang["total"] == "18"
    assert "loose" in ana["status"]
    unnamed = by[("", "submission_103")]
    assert unnamed["bn_forward_train"] == "0"
    assert "no :submitters: in submission_metadata.yml" in unnamed["status"]
    assert "no manual scores" in unnamed["status"]
    stray = by[("", "submission_105")]
    assert "not in submission_metadata.yml" in stray["status"]
    ghost = by[("Ghost Student", "submission_999")]
    assert ghost["bn_forward_train"] == "" and ghost["total"] == ""
    assert ghost["status"].startswith(gradebook.NO_FOLDER)
    assert by[("No Email", "submission_104")]["status"].startswith(gradebook.NO_FOLDER)
    assert len(rows) == 7 == len(result.students)


def test_feedback_and_report_carry_the_written_scores_and_the_unmatched_row(graded):
    out, _ = graded
    feedback = (out / "submission_102" / gradebook.FEEDBACK).read_text(encoding="utf-8")
    assert "Submission: submission_102 (Ana Lima, 王小明)" in feedback
    assert "## Written questions (graded by hand)" in feedback
    assert "| 王小明 | 2 | 2 | 2 | 2 | 8 |" in feedback
    page = (out / gradebook.REPORT).read_text(encoding="utf-8")
    assert "Someone" in page and "else@example.edu" in page
    assert "Zoë Dupont" in page and "make similarity" in page


def test_the_canvas_file_has_canvas_s_rows_and_separate_columns(graded):
    out, result = graded
    assert not (out / "scores_gradescope.csv").exists()
    title = manifest.current().title
    with open(out / upload.CANVAS, encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[:2] == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{title} (autograded)",
         f"{title} (written)"],
        ["Points Possible", "", "", "", "", f"{manifest.current().auto_points:g}",
         f"{manifest.current().written_points:g}"]]
    assert rows[2:] == [["Dupont, Zoë", "7001", "2024001", "zoe@example.edu", "A", "10", "7.5"],
                        ["Lima, Ana", "7002", "2024002", "alima", "A", "10", "6"],
                        ["王, 小明", "7003", "", "wang@example.edu", "B", "10", "8"]]
    uploaded = result.upload
    assert uploaded.matched == 3 and uploaded.ambiguous == []
    assert uploaded.unmatched == ["No Email (SID 2024005)", "submission_103 (no email or SID)",
                                  "submission_105 (no email or SID)"]
    assert uploaded.left_out == [
        "Ghost Student (ghost@example.edu, SID 2024009): no score (no submission folder in the "
        "export (named in submission_metadata.yml only))"]
    assert [line.split(" (")[0] for line in uploaded.without_score] == [
        "line 7: Student, Extra"]
    notes = (out / upload.CANVAS_NOTES).read_text(encoding="utf-8")
    assert "graded, in no Canvas row: No Email (SID 2024005)" in notes
    page = (out / gradebook.REPORT).read_text(encoding="utf-8")
    assert "in Canvas, without a score: line 7: Student, Extra" in page


def test_the_batch_prints_the_canvas_summary(graded, capsys, tmp_path):
    out, _ = graded
    (tmp_path / "canvas.csv").write_text(CANVAS, encoding="utf-8")
    (tmp_path / "written.csv").write_text(MANUAL, encoding="utf-8")
    code = grade_command.main(["--submissions", str(write_export(tmp_path / "again.zip")), "--out",
                       str(tmp_path / "out"), "--canvas", str(tmp_path / "canvas.csv"),
                       "--manual", str(tmp_path / "written.csv"), "--no-progress",
                       "--no-report", "--questions", *QUICK])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert f"Canvas: {tmp_path / 'out' / upload.CANVAS}, {tmp_path / 'out' / upload.CANVAS_NOTES}" \
        in printed
    assert "  3 students matched to a Canvas row" in printed
    assert "  graded, in no Canvas row: No Email (SID 2024005)" in printed


def test_a_rerun_without_manual_keeps_the_written_scores_and_no_manual_drops_them(
        graded, tmp_path, capsys):
    out, _ = graded
    export = write_export(tmp_path / "again.zip")
    kept = out / gradebook.MANUAL_COPY
    assert kept.read_text(encoding="utf-8") == MANUAL, "the MANUAL merged is kept in OUT"
    result = batch.grade_folder(export, out, replace(Settings(), questions=QUICK), jobs=2,
                                progress=False)
    assert result.graded == 0 and result.cached == 4
    assert "merged again from" in result.manual_note and str(kept) in result.manual_note
    rows = read_csv(out / gradebook.GRADEBOOK)
    zoe = next(row for row in rows if row["name"] == "Zoë Dupont")
    assert (zoe["inline_q3"], zoe["total"]) == ("1.5", "17.5"), "a regrade dropped them"
    feedback = (out / "submission_102" / gradebook.FEEDBACK).read_text(encoding="utf-8")
    assert "Written questions" in feedback

    result = batch.grade_folder(export, out, replace(Settings(), questions=QUICK), jobs=2,
                                progress=False, no_manual=True)
    assert "written scores dropped (--no-manual)" in result.manual_note
    rows = read_csv(out / gradebook.GRADEBOOK)
    assert "inline_q1" not in rows[0] and not kept.exists()
    feedback = (out / "submission_102" / gradebook.FEEDBACK).read_text(encoding="utf-8")
    assert "Written questions" not in feedback


def test_make_grade_manual_none_is_no_manual():
    command = subprocess.run(["make", "--no-print-directory", "-n", "grade", "SUBMISSIONS=x",
                              "MANUAL=none"], cwd=paths.ROOT, capture_output=True, text=True,
                             check=True).stdout.strip().splitlines()[-1]
    assert " --no-manual" in command and "--manual" not in command.replace("--no-manual", "")


def test_metadata_that_does_not_parse_still_grades_every_folder(tmp_path):
    export = write_export(tmp_path / "bad.zip", metadata="submission_101:\n  :submitters: [\n")
    result = batch.grade_folder(export, tmp_path / "out", replace(Settings(), questions=QUICK),
                                jobs=2, progress=False, report=False)
    rows = read_csv(tmp_path / "out" / gradebook.GRADEBOOK)
    assert [row["submission"] for row in rows] == [
        "submission_101", "submission_102", "submission_103", "submission_105"]
    assert all("submission_metadata.yml could not be read (line 3)" in row["status"]
               for row in rows)
    assert rows[0]["bn_forward_train"] == "10"
    assert len(result.students) == 4


def test_a_bad_manual_csv_stops_before_grading(tmp_path):
    (tmp_path / "m.csv").write_text("Name,Score\nA,1\n")
    with pytest.raises(batch.BatchError, match="neither an Email nor a SID"):
        batch.grade_folder(tmp_path, tmp_path / "out", manual=tmp_path / "m.csv")


def test_make_passes_manual_and_similarity_options():
    def last_line(*arguments: str) -> str:
        return subprocess.run(["make", "--no-print-directory", "-n", *arguments], cwd=paths.ROOT,
                              capture_output=True, text=True, check=True).stdout.strip(
                              ).splitlines()[-1]

    grade = last_line("grade", "SUBMISSIONS=export.zip", "MANUAL=written grades.csv")
    assert " ".join(grade.split()).endswith(
        '--submissions "export.zip" --out "grades/batchnorm" --manual "written grades.csv"')
    assert last_line("similarity", "SUBMISSIONS=export.zip", "OUT=o", "REFERENCE=public",
                     "THRESHOLD=0.5").endswith(
        '-m autograder.course.similarity "export.zip" "o" --reference "public" --threshold 0.5')
