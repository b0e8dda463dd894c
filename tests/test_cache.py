"""autograder.course.cache: a record is reused exactly when what its grade depends on is the same."""

from __future__ import annotations

import os
import zipfile

from autograder.course import cache
from autograder.settings import Limits, Settings


def folder(tmp_path, name, files):
    root = tmp_path / name
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def test_a_folder_hash_depends_on_names_and_contents_only(tmp_path):
    a = folder(tmp_path, "a", {"cs231n/layers.py": "x = 1\n", "nb.ipynb": "{}"})
    b = folder(tmp_path, "b", {"nb.ipynb": "{}", "cs231n/layers.py": "x = 1\n"})
    assert cache.content_hash(a) == cache.content_hash(b)
    (b / "cs231n/layers.py").write_text("x = 2\n")
    assert cache.content_hash(a) != cache.content_hash(b)
    os.symlink("/etc/passwd", a / "cs231n/link.py")
    assert cache.content_hash(a) != cache.content_hash(folder(tmp_path, "c", {
        "cs231n/layers.py": "x = 1\n", "nb.ipynb": "{}"}))


def test_the_key_changes_with_the_submission_and_every_setting(tmp_path):
    archive = tmp_path / "s.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("cs231n/layers.py", "x = 1\n")
    base = Settings()
    key = cache.cache_key(archive, base)
    assert cache.cache_key(archive, Settings()) == key
    for changed in [Settings(timeout=5), Settings(questions=["ln_forward"]),
                    Settings(limits=Limits(memory_bytes=2**30)), Settings(sandbox="uid")]:
        assert cache.cache_key(archive, changed) != key
    with zipfile.ZipFile(archive, "a") as zipped:
        zipped.writestr("cs231n/extra.py", "y = 2\n")
    assert cache.cache_key(archive, base) != key
