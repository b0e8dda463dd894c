"""Copying a submission for grading: only the package and the notebook, defensively.

Every fixture is built here in tmp_path (no binary is committed): zips laid out as the notebook's
export cell makes them, then broken in the ways real and hostile submissions are.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import zipfile
from pathlib import Path

import pytest

from autograder import paths
from autograder.grading.extract import MAX_FILE_BYTES, kind_of, prepare, safe_parts

NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def package_files(prefix: str = "") -> dict[str, bytes]:
    """The reference package's .py files, as the export cell zips them (under `prefix`)."""
    root = paths.SOLUTIONS / paths.PACKAGE_NAME
    return {prefix + "cs231n/" + path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*.py")) if "__pycache__" not in path.parts}


def make_zip(path: Path, files: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def export(tmp_path: Path, name: str = "submission.zip", prefix: str = "", **extra) -> Path:
    files = {prefix + paths.NOTEBOOK_NAME: NOTEBOOK, **package_files(prefix)}
    files.update(extra.get("files", {}))
    return make_zip(tmp_path / name, files)


def tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_export_layout_takes_the_package_and_the_notebook(tmp_path):
    prepared = prepare(export(tmp_path), tmp_path / "out")
    assert prepared.problem is None and prepared.notes == []
    assert tree(tmp_path / "out") == sorted([paths.NOTEBOOK_NAME, *package_files()])
    assert prepared.package_root() == tmp_path / "out"
    layers = (tmp_path / "out/cs231n/layers.py").read_bytes()
    assert layers == (paths.SOLUTIONS / "cs231n/layers.py").read_bytes()


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04truncated"])
def test_corrupt_zip(tmp_path, content):
    (tmp_path / "bad.zip").write_bytes(content)
    assert prepare(tmp_path / "bad.zip", tmp_path / "out").problem == "corrupt zip"


def test_truncated_zip_is_corrupt(tmp_path):
    good = export(tmp_path).read_bytes()
    (tmp_path / "cut.zip").write_bytes(good[: len(good) // 2])
    assert prepare(tmp_path / "cut.zip", tmp_path / "out").problem == "corrupt zip"


def test_empty_zip(tmp_path):
    make_zip(tmp_path / "empty.zip", {})
    assert prepare(tmp_path / "empty.zip", tmp_path / "out").problem == "empty zip"
    with zipfile.ZipFile(tmp_path / "dirs.zip", "w") as archive:
        archive.writestr("cs231n/", "")
    assert prepare(tmp_path / "dirs.zip", tmp_path / "out2").problem == "empty zip"


def test_notebook_only_has_no_package(tmp_path):
    make_zip(tmp_path / "nb.zip", {paths.NOTEBOOK_NAME: NOTEBOOK})
    prepared = prepare(tmp_path / "nb.zip", tmp_path / "out")
    assert prepared.problem is None
    assert tree(tmp_path / "out") == [paths.NOTEBOOK_NAME]
    assert prepared.package_root() is None


def test_nested_one_folder_deep(tmp_path):
    prepared = prepare(export(tmp_path, prefix="BatchNormalization/"), tmp_path / "out")
    assert prepared.problem is None and prepared.notes == []
    assert prepared.package_root() == tmp_path / "out/BatchNormalization"


def test_windows_line_endings_and_bom_are_normalized(tmp_path):
    files = {name: b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
             for name, data in package_files().items()}
    notebook = NOTEBOOK.replace(",", ",\r\n").encode()
    make_zip(tmp_path / "win.zip", {**files, paths.NOTEBOOK_NAME: notebook})
    prepared = prepare(tmp_path / "win.zip", tmp_path / "out")
    assert prepared.problem is None and prepared.notes == []
    for name, original in package_files().items():
        assert (tmp_path / "out" / name).read_bytes() == original, name
    assert (tmp_path / "out" / paths.NOTEBOOK_NAME).read_bytes() == notebook  # left alone


def test_unsafe_entries_are_skipped_and_nothing_is_written_outside(tmp_path):
    evil = b"raise SystemExit('escaped')\n"
    zip_path = export(tmp_path, files={
        "../escaped.py": evil, "../../cs231n/escaped.py": evil, "/tmp/cs231n/abs.py": evil,
        "cs231n/../../escaped2.py": evil, "C:/cs231n/drive.py": evil,
        "..\\cs231n\\backslash.py": evil})
    destination = tmp_path / "deep" / "out"
    prepared = prepare(zip_path, destination)
    assert prepared.problem is None
    assert prepared.notes == ["ignored 6 unsafe zip entries"]
    assert tree(tmp_path) == sorted(["submission.zip", *(
        "deep/out/" + name for name in [paths.NOTEBOOK_NAME, *package_files()])])
    assert not Path("/tmp/cs231n/abs.py").exists()


def test_zip_bomb_declared_size_is_refused(tmp_path):
    bomb = export(tmp_path, files={"cs231n/huge.py": b"\0" * (MAX_FILE_BYTES + 1)})
    assert bomb.stat().st_size < 2**20
    prepared = prepare(bomb, tmp_path / "out")
    assert prepared.problem == "zip bomb: cs231n/huge.py over 20 MB"


def test_zip_bomb_total_is_refused(tmp_path):
    files = {f"cs231n/part{i}.py": b"#" * 900_000 for i in range(4)}
    prepared = prepare(make_zip(tmp_path / "z.zip", files), tmp_path / "out",
                       max_file=2**20, max_total=3 * 2**20)
    assert prepared.problem == "zip bomb: over 3 MB uncompressed"


def lie_about_size(path: Path, member: str, size: int) -> None:
    """Rewrite a member's declared uncompressed size (local header and central directory)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_offset = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_offset:name_offset + len(name)] == name:
                data[start + offset:start + offset + 4] = struct.pack("<I", size)
            start += 4
    path.write_bytes(bytes(data))


def test_zip_bomb_lying_about_its_size_is_read_boundedly(tmp_path):
    bomb = make_zip(tmp_path / "liar.zip", {"cs231n/layers.py": b"\0" * (50 * 2**20)})
    lie_about_size(bomb, "cs231n/layers.py", 100)
    assert zipfile.ZipFile(bomb).getinfo("cs231n/layers.py").file_size == 100
    prepared = prepare(bomb, tmp_path / "out", max_file=2**20)
    assert prepared.problem == "corrupt zip"  # the CRC of the first 100 bytes does not match
    assert not (tmp_path / "out/cs231n/layers.py").exists()


def test_oversized_notebook_is_noted_not_fatal(tmp_path):
    big = json.dumps({"cells": [], "padding": "x" * 2**20})
    make_zip(tmp_path / "nb.zip", {paths.NOTEBOOK_NAME: big, **package_files()})
    prepared = prepare(tmp_path / "nb.zip", tmp_path / "out", max_file=2**20)
    assert prepared.problem is None
    assert prepared.notes == ["notebook over 1 MB not checked"]
    assert not (tmp_path / "out" / paths.NOTEBOOK_NAME).exists()


def test_stray_tests_otter_log_and_other_files_are_never_taken(tmp_path):
    zip_path = export(tmp_path, files={
        "tests/bn_forward_train.py": b"raise SystemExit\n", ".OTTER_LOG": b"\x80\x04pickle",
        "cs231n/.OTTER_LOG": b"x", "__MACOSX/cs231n/._layers.py": b"\0\0",
        "cs231n/__pycache__/layers.cpython-311.pyc": b"\0", "cs231n/datasets/data.bin": b"\0",
        "notes.txt": b"hello", "a/b/c/deep.ipynb": NOTEBOOK,
        ".ipynb_checkpoints/BatchNormalization-checkpoint.ipynb": NOTEBOOK})
    prepared = prepare(zip_path, tmp_path / "out")
    assert prepared.problem is None
    assert tree(tmp_path / "out") == sorted([paths.NOTEBOOK_NAME, *package_files()])


def test_notebook_that_is_not_json_is_noted(tmp_path):
    make_zip(tmp_path / "s.zip", {paths.NOTEBOOK_NAME: "{not json", **package_files()})
    prepared = prepare(tmp_path / "s.zip", tmp_path / "out")
    assert prepared.problem is None and prepared.notes == ["notebook is not valid JSON"]
    make_zip(tmp_path / "t.zip", package_files())
    assert prepare(tmp_path / "t.zip", tmp_path / "out2").notes == ["no notebook"]


def test_a_submission_for_another_assignment_is_noted(tmp_path, monkeypatch):
    make_zip(tmp_path / "s.zip", {"Dropout.ipynb": NOTEBOOK, **package_files()})
    prepared = prepare(tmp_path / "s.zip", tmp_path / "out")
    assert prepared.problem is None
    assert prepared.notes == ["handed in for the Dropout assignment (Dropout.ipynb), not "
                              "Batch Normalization: graded as Batch Normalization anyway"]
    make_zip(tmp_path / "t.zip", {"BatchNormalization.ipynb": NOTEBOOK, **package_files()})
    monkeypatch.setenv("ASSIGNMENT", "dropout")
    prepared = prepare(tmp_path / "t.zip", tmp_path / "out2")
    assert prepared.notes == ["handed in for the Batch Normalization assignment "
                              "(BatchNormalization.ipynb), not Dropout: graded as Dropout anyway"]


def folder_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
            digest.update(str(path.stat().st_mtime_ns).encode())
    return digest.hexdigest()


def test_folder_submission_is_copied_selectively_and_left_untouched(tmp_path):
    source = tmp_path / "Zoë Dupont"
    for name, data in package_files("").items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    (source / paths.NOTEBOOK_NAME).write_text(NOTEBOOK)
    (source / "tests").mkdir()
    (source / "tests/check.py").write_text("raise SystemExit\n")
    (source / ".OTTER_LOG").write_bytes(b"\x80\x04")
    (tmp_path / "secret.py").write_text("SECRET = 1\n")
    os.symlink(tmp_path / "secret.py", source / "cs231n/linked.py")
    before = folder_digest(source)
    prepared = prepare(source, tmp_path / "out")
    assert folder_digest(source) == before
    assert prepared.problem is None and prepared.notes == ["ignored 1 symbolic link"]
    assert tree(tmp_path / "out") == sorted([paths.NOTEBOOK_NAME, *package_files()])


@pytest.mark.parametrize("parts, kind", [
    (("cs231n", "layers.py"), "py"),
    (("cs231n", "classifiers", "fc_net.py"), "py"),
    (("Top", "cs231n", "layers.py"), "py"),
    (("Top", "Deeper", "cs231n", "layers.py"), "loose"),
    (("Top", "Deeper", "cs231n", "solver.py"), None),
    (("a", "b", "c", "d", "e", "layers.py"), None),
    (("My Drive", "fc_net.py"), "loose"),
    (("BatchNormalization.ipynb",), "notebook"),
    (("Top", "BatchNormalization.ipynb"), "notebook"),
    (("tests", "bn_backward.py"), None),
    (("cs231n",), None),
    (("layers.py",), "loose"),
    ((".OTTER_LOG",), None),
    (("cs231n", "__pycache__", "x.py"), None),
])
def test_kind_of(parts, kind):
    assert kind_of(parts) == kind


@pytest.mark.parametrize("name, parts", [
    ("cs231n/layers.py", ("cs231n", "layers.py")),
    ("./cs231n//layers.py", ("cs231n", "layers.py")),
    ("cs231n\\layers.py", ("cs231n", "layers.py")),
    ("../x.py", None), ("/etc/x.py", None), ("a/../../x.py", None), ("C:/x.py", None),
    ("a/\x00/x.py", None), ("", None),
])
def test_safe_parts(name, parts):
    assert safe_parts(name) == parts
