"""autograder.course.upload: Canvas's import file, on the rows of Canvas's own export."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from autograder import manifest, paths
from autograder.course import upload

TITLE = manifest.current().title
AUTO, WRITTEN = f"{TITLE} (autograded)", f"{TITLE} (written)"

# Canvas's export as Canvas writes it: a Points Possible row and a Manual Posting row, two
# students named alike, logins that are not emails, one student listed in two sections, a
# student nobody graded, an existing column for the written scores (with its Canvas id).
CANVAS_EXPORT = f"""\
Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 (101),{WRITTEN} (777)
    Points Possible,,,,,10,8
,,,,,Manual Posting,
"Dupont, Zoë",5001,2024001,zoe@example.edu,CS 231 A,9,
"Lee, Sam",5002,2024002,slee,CS 231 A,8,
"Lee, Sam",5003,2024003,slee2,CS 231 B,7,
"Kim, Jo",5004,2024004,jkim,CS 231 A,6,
"Kim, Jo",5005,2024004,jkim,CS 231 B,6,
"Never, Graded",5006,2024006,never@example.edu,CS 231 A,5,
"""


def gradebook_row(name, sid, email, total, q1="10", written=None, status="ok"):
    row = {"name": name, "sid": sid, "email": email, "submission": "submission_1",
           "q1": q1, "total": total, "status": status}
    if written is not None:
        row.update({"w1": written[0], "w2": written[1]})
    return row


@pytest.fixture
def canvas(tmp_path):
    path = tmp_path / "canvas.csv"
    path.write_text(CANVAS_EXPORT, encoding="utf-8")
    return upload.read_canvas(path)


def read_rows(path):
    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def test_the_export_s_students_are_its_rows_with_a_canvas_id(canvas):
    assert [s.cells["ID"] for s in canvas.students] == ["5001", "5002", "5003", "5004", "5005",
                                                       "5006"]
    assert canvas.students[0].cells["Student"] == "Dupont, Zoë"
    assert canvas.assignments == ["Homework 1 (101)", f"{WRITTEN} (777)"]


def test_each_score_lands_once_on_the_right_canvas_id_and_the_ambiguous_are_refused(
        canvas, tmp_path):
    students = [
        gradebook_row("Zoë Dupont", "", "ZOE@example.edu", "17.5", written=("2", "1.5")),
        gradebook_row("Sam Lee", "2024003", "sam@example.edu", "12", q1="12"),  # by SID only
        gradebook_row("Sam Lee", "2024002", "", "7", q1="7", written=("", "")),  # same name
        gradebook_row("Jo Kim", "2024004", "jkim@example.edu", "10"),  # two sections
        gradebook_row("Ghost", "2099999", "ghost@example.edu", "10"),  # not in Canvas
        gradebook_row("Late", "", "never@example.edu", "", q1="", status="no submission folder"),
    ]
    result = upload.write_scores(tmp_path, students, canvas, ["q1"], ["w1", "w2"])
    assert [p.name for p in result.paths] == [upload.CANVAS, upload.CANVAS_NOTES]
    rows = read_rows(tmp_path / upload.CANVAS)
    assert rows[0] == [*upload.IDENTITY, AUTO, f"{WRITTEN} (777)"], \
        "the written scores go to their own column, the export's own when it has one"
    assert rows[1] == ["Points Possible", "", "", "", "", f"{manifest.current().auto_points:g}",
                       f"{manifest.current().written_points:g}"]
    by_id = {row[1]: row for row in rows[2:]}
    assert len(rows[2:]) == len(by_id) == 3, f"one row per Canvas ID: {rows}"
    # The programming score excludes the written questions (17.5 - 3.5).
    assert by_id["5001"] == ["Dupont, Zoë", "5001", "2024001", "zoe@example.edu", "CS 231 A",
                             "14", "3.5"]
    assert by_id["5003"][5:] == ["12", ""] and by_id["5002"][5:] == ["7", ""]
    assert "5004" not in by_id and "5005" not in by_id and "5006" not in by_id
    assert result.matched == 3
    assert len(result.ambiguous) == 1 and "Jo Kim" in result.ambiguous[0]
    assert "line 7" in result.ambiguous[0] and "line 8" in result.ambiguous[0]
    assert result.unmatched == ["Ghost (ghost@example.edu, SID 2099999)"]
    assert result.left_out == ["Late (never@example.edu): no score (no submission folder)"]
    assert result.without_score == []
    notes = (tmp_path / upload.CANVAS_NOTES).read_text(encoding="utf-8")
    for line in result.lines():
        assert line in notes


def test_one_canvas_row_claimed_by_two_students_is_refused_for_both(canvas, tmp_path):
    students = [gradebook_row("A", "2024001", "a@example.edu", "10"),
                gradebook_row("B", "", "zoe@example.edu", "9")]
    result = upload.write_scores(tmp_path, students, canvas, ["q1"], [])
    assert read_rows(tmp_path / upload.CANVAS)[2:] == []
    assert len(result.ambiguous) == 1
    assert "is matched by 2 students" in result.ambiguous[0] and "5001" in result.ambiguous[0]
    assert not any("5001" in line for line in result.without_score)
    assert any("5006" in line for line in result.without_score)


def test_names_never_match(canvas, tmp_path):
    result = upload.write_scores(tmp_path, [gradebook_row("Dupont, Zoë", "", "", "10")], canvas,
                                 ["q1"], [])
    assert result.matched == 0 and result.unmatched == ["Dupont, Zoë (no email or SID)"]


def test_no_written_scores_no_written_column(canvas, tmp_path):
    upload.write_scores(tmp_path, [gradebook_row("Z", "2024001", "", "10")], canvas, ["q1"],
                        [])
    rows = read_rows(tmp_path / upload.CANVAS)
    assert rows[0] == [*upload.IDENTITY, AUTO] and rows[2][5] == "10"


def test_without_canvas_or_without_ids_no_file_and_why(canvas, tmp_path):
    result = upload.write_scores(tmp_path, [gradebook_row("Z", "1", "z@x", "10")], None,
                                 ["q1"], [])
    assert result.paths == [] and "CANVAS=" in result.note
    result = upload.write_scores(tmp_path, [{"submission": "alice", "total": "68",
                                             "status": "ok"}], canvas, ["q1"], [])
    assert result.paths == [] and "plain folder" in result.note
    assert list(tmp_path.iterdir()) == [tmp_path / "canvas.csv"]


def test_a_file_that_is_not_canvas_s_export_is_refused(tmp_path):
    (tmp_path / "x.csv").write_text("Name,SID,Email\n")
    with pytest.raises(upload.UploadError, match="no Student, ID, SIS User ID, SIS Login ID"):
        upload.read_canvas(tmp_path / "x.csv")


GRADESCOPE_CSV = """\
First Name,Last Name,SID,Email,Total Score,Max Points,Status,Submission ID,1: Q (10.0 pts)
Zoë,Dupont,2024001,zoe@example.edu,61.0,68.0,Graded,1,10.0
Sam,Lee,2024003,slee@example.edu,,68.0,Missing,,
Sam,Lee,2024002,other@example.edu,50.5,68.0,Graded,2,10.0
"""


def test_from_gradescope_s_csv_by_the_command_line(tmp_path):
    (tmp_path / "canvas.csv").write_text(CANVAS_EXPORT, encoding="utf-8")
    (tmp_path / "gs.csv").write_text(GRADESCOPE_CSV, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "autograder.course.upload", "--gradescope-csv",
                           str(tmp_path / "gs.csv"), "--canvas", str(tmp_path / "canvas.csv"),
                           "--out", str(tmp_path / "to canvas.csv")], cwd=paths.ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = read_rows(tmp_path / "to canvas.csv")
    assert rows[0] == [*upload.IDENTITY, AUTO]
    assert [row[1:2] + row[5:] for row in rows[2:]] == [["5001", "61"], ["5002", "50.5"]]
    assert "2 students matched to a Canvas row" in done.stdout
    assert "no score to upload: Sam Lee (slee@example.edu, SID 2024003): no score (Missing)" \
        in done.stdout
    assert "in Canvas, without a score: line 7" in done.stdout  # Jo Kim, in no CSV row
    assert (tmp_path / "to canvas.txt").is_file()


def test_make_canvas_passes_its_files_and_explains_itself():
    command = subprocess.run(["make", "--no-print-directory", "-n", "canvas", "SCORES=g s.csv",
                              "CANVAS=c.csv", "OUT=o.csv"], cwd=paths.ROOT, capture_output=True,
                             text=True, check=True).stdout.strip().splitlines()[-1]
    assert command.endswith('-m autograder.course.upload --gradescope-csv "g s.csv" --canvas '
                            '"c.csv" --out "o.csv"')
    help_text = subprocess.run(["make", "help"], cwd=paths.ROOT, capture_output=True, text=True,
                               check=True).stdout
    assert "make canvas" in help_text and "CANVAS=<Canvas gradebook export" in help_text
