"""autograder.build.demo_export: the demo as Gradescope's export, with a written assignment's grades."""

from __future__ import annotations

from autograder.build import demo, demo_export
from autograder.course import manual_scores, roster


def test_the_demo_export_has_every_case_the_loop_must_survive(tmp_path):
    demo.build(tmp_path / "demo")
    export, written = demo_export.build(tmp_path / "demo", tmp_path / "out")
    with roster.open_export(export) as found:
        assert len(found.submissions) == 10
        kinds = {s.path.suffix == ".zip" for s in found.submissions}
        assert kinds == {True, False}, "some folders hold the student's zip, some its files"
        people = found.roster
        assert [s.name for s in people.students("submission_5001")] == ["Ana Lima", "王小明"]
        assert people.remarks("submission_5008") == ["not in submission_metadata.yml"]
        assert [s.name for s in people.missing["submission_5999"]] == ["Late Larry"]
        scores = manual_scores.read(written)
        for name in found.roster.members:
            for student in people.students(name):
                scores.find(student.name, student.sid, student.email)
        for students in people.missing.values():
            for student in students:
                scores.find(student.name, student.sid, student.email)
    assert [row.name for row in scores.unmatched] == ["Hana Sato", "Drop Ped"]
