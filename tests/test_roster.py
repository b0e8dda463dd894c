"""autograder.course.roster: Gradescope's export (zip or folder), its Ruby-keyed metadata, and bad metadata
(a file that does not parse, missing keys, a folder not in the file, a key without a folder,
unicode names). Every export is written by the test."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from autograder.course import roster
from autograder.course.roster import Student
from gradescope_export import METADATA



def write_export(root: Path, metadata: str | bytes | None = METADATA,
                 folders=("submission_101", "submission_102", "submission_103",
                          "submission_104", "submission_105")) -> Path:
    """An unzipped export: the metadata and one folder per submission (a loose layers.py)."""
    root.mkdir(parents=True)
    if metadata is not None:
        data = metadata.encode() if isinstance(metadata, str) else metadata
        (root / roster.METADATA).write_bytes(data)
    for name in folders:
        (root / name).mkdir()
        (root / name / "layers.py").write_text("x = 1\n")
    return root


def zip_folder(folder: Path, path: Path, top: str | None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                name = file.relative_to(folder).as_posix()
                archive.write(file, f"{top}/{name}" if top else name)
    return path


def test_ruby_keys_groups_and_unicode_names(tmp_path):
    members, notes, general = roster.parse_metadata(METADATA)
    assert general == []
    assert members["submission_101"] == [Student("Zoë Dupont", "2024001", "zoe@example.edu")]
    assert members["submission_102"] == [Student("Ana Lima", "2024002", "ana@example.edu"),
                                         Student("王小明", "2024003", "wang@example.edu")]
    assert notes["submission_103"] == ["no :submitters: in submission_metadata.yml"]
    assert notes["submission_104"] == ["submitter 1 has no :email: in submission_metadata.yml"]


def test_an_empty_sid_is_usual_a_missing_one_is_noted():
    _, notes, _ = roster.parse_metadata(
        "submission_1:\n  :submitters:\n  - :name: A\n    :sid:\n    :email: a@x\n"
        "submission_2:\n  :submitters:\n  - :name: B\n    :email: b@x\n")
    assert notes == {"submission_2": ["submitter 1 has no :sid: in submission_metadata.yml"]}


def test_keys_with_or_without_colons():
    members, _, _ = roster.parse_metadata(
        "submission_1:\n  submitters:\n  - name: A\n    sid: 1\n    email: a@x\n")
    assert members["submission_1"] == [Student("A", "1", "a@x")]


@pytest.mark.parametrize("top", [None, "assignment_7_export"])
def test_an_export_zip_is_unpacked_and_reconciled_with_its_folders(tmp_path, top):
    folder = write_export(tmp_path / "export")
    path = zip_folder(folder, tmp_path / "export.zip", top)
    with roster.open_export(path) as export:
        assert [s.name for s in export.submissions] == [
            "submission_101", "submission_102", "submission_103", "submission_104",
            "submission_105"]
        assert all(s.path.is_dir() for s in export.submissions)
        found = export.roster
        assert found.students("submission_102")[1].name == "王小明"
        assert found.remarks("submission_105") == ["not in submission_metadata.yml"]
        assert found.students("submission_105") == [Student()]
        assert found.missing == {"submission_999": [
            Student("Ghost Student", "2024009", "ghost@example.edu")]}
        scratch = export.folder
    assert not scratch.exists(), "the unpacked export is removed"


def test_a_metadata_file_that_does_not_parse_loses_nothing(tmp_path):
    folder = write_export(tmp_path / "export", "submission_101:\n  :submitters: [\n")
    with roster.open_export(folder) as export:
        assert len(export.submissions) == 5
        assert export.roster.general[0].startswith(
            "submission_metadata.yml could not be read (line 3)")
        assert export.roster.remarks("submission_101") == export.roster.general


def test_no_metadata_file_still_an_export_of_submission_folders(tmp_path):
    folder = write_export(tmp_path / "export", None)
    with roster.open_export(folder) as export:
        assert len(export.submissions) == 5
        assert export.roster.general == ["no submission_metadata.yml in the export; no names"]


def test_a_plain_folder_of_zips_is_not_an_export(tmp_path):
    (tmp_path / "alice.zip").write_bytes(b"")
    (tmp_path / "bob").mkdir()
    with roster.open_export(tmp_path) as export:
        assert export is None


def test_a_submission_folder_holding_only_the_students_zip_is_graded_from_the_zip(tmp_path):
    folder = write_export(tmp_path / "export", folders=())
    (folder / "submission_101").mkdir()
    (folder / "submission_101" / "mine.zip").write_bytes(b"PK")
    with roster.open_export(folder) as export:
        assert export.submissions[0].path.name == "mine.zip"


def test_a_zip_that_is_not_an_export_is_a_clear_error(tmp_path):
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(roster.ExportError, match="not a Gradescope export"):
        with roster.open_export(path):
            pass


def test_metadata_that_is_not_utf8_is_read_with_a_note(tmp_path):
    folder = write_export(tmp_path / "export", METADATA.replace("Zoë", "Zo\udce9").encode(
        "utf-8", "surrogateescape"))
    with roster.open_export(folder) as export:
        assert export.roster.students("submission_101")[0].name == "Zo\ufffd Dupont"
        assert export.roster.general == [
            "submission_metadata.yml is not valid UTF-8 (names may show U+FFFD)"]
        assert export.roster.students("submission_102")[1].name == "王小明"


def test_submissions_at_a_plain_folder_or_an_export(tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "alice.zip").write_bytes(b"")
    with roster.submissions_at(tmp_path / "plain") as (found, export):
        assert [s.name for s in found] == ["alice"] and export is None
    folder = write_export(tmp_path / "export")
    with roster.submissions_at(tmp_path) as (found, export):  # the export one folder down
        assert export is not None and export.folder == folder and len(found) == 5


def test_a_file_too_large_to_unpack_is_noted_on_its_submission(tmp_path, monkeypatch):
    folder = write_export(tmp_path / "export")
    (folder / "submission_102" / "data.ipynb").write_bytes(b"x" * 2048)
    path = zip_folder(folder, tmp_path / "export.zip", "assignment_1_export")
    monkeypatch.setattr(roster, "MAX_UPLOAD_BYTES", 1024)
    with roster.open_export(path) as export:
        assert export.roster.remarks("submission_102") == [
            "assignment_1_export/submission_102/data.ipynb over 0.000976562 MB not copied"]
        assert export.roster.general == []
        assert (export.folder / "submission_102" / "layers.py").is_file()
