"""autograder.course.submissions: which entries of a folder are submissions, and their names."""

from __future__ import annotations

import os

import pytest

from autograder.course.submissions import SubmissionsError, find_submissions


def test_zips_and_folders_named_as_given_sorted_without_case(tmp_path):
    (tmp_path / "bob.zip").write_bytes(b"")
    (tmp_path / "Alice").mkdir()
    (tmp_path / "carol.ZIP").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a submission")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "__MACOSX").mkdir()
    found = find_submissions(tmp_path)
    assert [(s.name, s.path.name) for s in found] == [
        ("Alice", "Alice"), ("bob", "bob.zip"), ("carol", "carol.ZIP")]


def test_a_zip_named_like_a_folder_keeps_its_suffix(tmp_path):
    (tmp_path / "dave").mkdir()
    (tmp_path / "dave.zip").write_bytes(b"")
    assert [s.name for s in find_submissions(tmp_path)] == ["dave", "dave.zip"]


def test_the_output_folder_is_excluded_and_bad_bytes_are_readable(tmp_path):
    (tmp_path / "grades").mkdir()
    (tmp_path / os.fsdecode(b"Jos\xe9.zip")).write_bytes(b"")
    found = find_submissions(tmp_path, exclude=tmp_path / "grades")
    assert [s.name for s in found] == ["Jos\ufffd"]


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(SubmissionsError, match="is not a folder"):
        find_submissions(tmp_path / "nowhere")
