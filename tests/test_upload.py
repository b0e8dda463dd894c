"""autograder.course.upload: the scores files to upload, from the gradebook's rows."""

from __future__ import annotations

import csv

from autograder.course import upload


def row(name, sid, email, total, status="ok", **extra):
    return {"name": name, "sid": sid, "email": email, "submission": "submission_1",
            **extra, "total": total, "status": status}


def test_gradescope_and_canvas_columns_and_the_rows_left_out(tmp_path):
    rows = [row("Zoë Dupont", "1", "zoe@x", "70.5", inline_q1="2"),
            row("", "", "", "12", "ok; not in submission_metadata.yml", inline_q1=""),
            row("Late", "9", "late@x", "", "no submission folder", inline_q1="")]
    result = upload.write_scores(tmp_path, rows)
    assert [p.name for p in result.paths] == [upload.GRADESCOPE, upload.CANVAS]
    assert result.left_out == ["submission_1: no SID or email",
                               "Late: no score (no submission folder)"]
    with open(tmp_path / upload.GRADESCOPE, encoding="utf-8", newline="") as stream:
        assert list(csv.reader(stream)) == [["Name", "SID", "Email", "Score"],
                                            ["Zoë Dupont", "1", "zoe@x", "70.5"]]
    with open(tmp_path / upload.CANVAS, encoding="utf-8", newline="") as stream:
        assert list(csv.reader(stream)) == [
            ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Batch Normalization"],
            ["Points Possible", "", "", "", "", "76"],
            ["Zoë Dupont", "", "1", "zoe@x", "", "70.5"]]


def test_a_plain_folder_has_no_upload_files(tmp_path):
    result = upload.write_scores(tmp_path, [{"submission": "alice", "total": "68",
                                             "status": "ok"}])
    assert result.paths == [] and list(tmp_path.iterdir()) == []
