"""The handout's helpers (autograder/build/handout.py, copied next to the notebook): the first cell's
requirements check, finding the notebook under any name, and what they tell a student."""

import json
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import manifest, paths
from autograder.build import assemble, handout, pins
from autograder.build.handout import MissingRequirements, NotebookNotFound


def write_requirements(folder, lines):
    (folder / "requirements.txt").write_text("# a comment\n" + "\n".join(lines) + "\n")


def installed(package):
    return handout.installed_version(package)


def test_a_complete_environment_passes_quietly(tmp_path, capsys):
    write_requirements(tmp_path, [f"numpy=={installed('numpy')}",
                                  f"nbformat=={installed('nbformat')}"])
    assert handout.check_requirements(tmp_path) == []
    assert capsys.readouterr().out == ""


def test_missing_packages_are_named_with_the_one_command_that_installs_them(tmp_path):
    write_requirements(tmp_path, [f"numpy=={installed('numpy')}", "no-such-package-bn==1.0",
                                  "another-missing-bn==2.0 ; python_version >= '3'"])
    with pytest.raises(MissingRequirements) as info:
        handout.check_requirements(tmp_path)
    message = str(info.value)
    assert "lacks 2 of them: no-such-package-bn, another-missing-bn." in message
    assert f'"{sys.executable}" -m pip install -r requirements.txt' in message
    assert "%pip install -r requirements.txt" in message
    assert "restart the kernel" in message and "README.md" in message
    assert str(tmp_path) in message
    # Jupyter shows these lines in place of a traceback.
    assert info.value._render_traceback_() == message.splitlines()


def test_other_versions_are_a_note_not_an_error(tmp_path, capsys):
    write_requirements(tmp_path, ["numpy==0.0.1"])
    notes = handout.check_requirements(tmp_path)
    assert len(notes) == 1 and f"numpy {installed('numpy')} (requirements.txt: 0.0.1)" in notes[0]
    assert notes[0] in capsys.readouterr().out


def test_without_requirements_txt_the_essential_modules_are_checked(tmp_path, monkeypatch):
    monkeypatch.setattr(handout, "ESSENTIAL", {"numpy": "numpy", "no-such-bn": "no_such_bn"})
    with pytest.raises(MissingRequirements, match="lacks 1 of them: no-such-bn"):
        handout.check_requirements(tmp_path)


def test_the_handouts_requirements_are_satisfied_by_the_tested_environment():
    # The committed requirements.txt pins exactly what this (tested) environment has.
    wanted = handout.pinned(paths.STUDENT_TEMPLATE / "requirements.txt")
    assert {name: installed(name) for name in wanted} == wanted


def test_the_first_cell_shows_the_message_and_no_traceback_in_jupyter(tmp_path):
    """Run the handout's first cell in a kernel whose Python lacks a requirement."""
    folder = tmp_path / "handout"
    folder.mkdir()
    (folder / "handout.py").write_text((paths.STUDENT_TEMPLATE / "handout.py").read_text())
    write_requirements(folder, ["no-such-package-bn==1.0"])
    cells = json.loads((paths.STUDENT_TEMPLATE / paths.NOTEBOOK_NAME).read_text())["cells"]
    first = next("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    assert "check_requirements()" in first
    runner = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(first)])
    NotebookClient(runner, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    (error,) = [output for output in runner.cells[0].outputs if output.output_type == "error"]
    shown = "\n".join(error.traceback)
    assert shown.startswith("This notebook needs the packages listed in requirements.txt")
    assert "pip install -r requirements.txt" in shown
    assert "Traceback" not in shown and "handout.py" not in shown and "File " not in shown


def notebook_file(path, assignment="BatchNormalization", age=0.0):
    notebook = nbformat.v4.new_notebook()
    if assignment:
        notebook.metadata["otter"] = {"assignment_name": assignment}
    nbformat.write(notebook, path)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_the_notebook_is_found_under_any_name(tmp_path):
    notebook_file(tmp_path / "BatchNormalization (1).ipynb")
    assert handout.find_notebook({}, tmp_path) == "BatchNormalization (1).ipynb"


def test_among_several_the_notebook_saved_last_is_taken_and_said(tmp_path, capsys):
    notebook_file(tmp_path / "BatchNormalization.ipynb", age=60)
    notebook_file(tmp_path / "BatchNormalization (1).ipynb")
    notebook_file(tmp_path / "scratch.ipynb", assignment=None)  # another notebook: not ours
    assert handout.find_notebook({}, tmp_path) == "BatchNormalization (1).ipynb"
    note = capsys.readouterr().out
    assert "2 notebooks of this assignment" in note and "the one saved last" in note


def test_what_jupyter_or_vscode_says_is_taken_while_the_file_is_there(tmp_path):
    notebook_file(tmp_path / "BatchNormalization.ipynb")
    notebook_file(tmp_path / "mine.ipynb", age=60)
    assert handout.find_notebook({"__session__": str(tmp_path / "mine.ipynb")},
                                 tmp_path) == "mine.ipynb"
    assert handout.find_notebook({"__vsc_ipynb_file__": str(tmp_path / "mine.ipynb")},
                                 tmp_path) == "mine.ipynb"
    # Renamed since the kernel started: the session's name is stale, the folder decides.
    assert handout.find_notebook({"__session__": str(tmp_path / "gone.ipynb")},
                                 tmp_path) == "BatchNormalization.ipynb"


def test_no_notebook_says_where_to_open_it_from(tmp_path):
    with pytest.raises(NotebookNotFound) as info:
        handout.find_notebook({}, tmp_path)
    assert str(tmp_path) in str(info.value) and "folder of the handout" in str(info.value)


def test_the_handout_carries_its_readme_and_requirements():
    for name in ("README.md", "requirements.txt", "handout.py", "written_answers.py"):
        assert (paths.STUDENT_TEMPLATE / name).is_file(), name
    assert ((paths.STUDENT_TEMPLATE / "README.md").read_text()
            == (manifest.current().folder / "README.md").read_text())
    pinned = handout.pinned(paths.STUDENT_TEMPLATE / "requirements.txt")
    for package in assemble.STUDENT_PACKAGES:
        assert package in pinned, package
    assert "pytest" not in pinned and "tqdm" not in pinned  # the course's tools, not a student's
    constraints = pins.pins(paths.ROOT / "constraints.txt")
    assert all(constraints[pins.canonical(name)][1] == version
               for name, version in pinned.items())


def test_no_pin_makes_importing_otter_compile_grammars():
    """jsonschema from 4.25 on brings rfc3987-syntax through the Jupyter stack's extras: 3 s of
    grammar compiling wherever nbformat or otter is imported (each kernel of a student's)."""
    pinned = handout.pinned(paths.STUDENT_TEMPLATE / "requirements.txt")
    assert "rfc3987-syntax" not in pinned and "lark" not in pinned, (
        "the handout pins rfc3987-syntax (or its lark): keep jsonschema below 4.25 in "
        "constraints.txt and run make assign")
    assert "rfc3987-syntax" not in pins.pins(paths.ROOT / "constraints.txt")


def test_requirements_close_over_dependencies_and_extras(tmp_path):
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("# header\nA==1\nb_pkg==2\nC==3\nd==4\ne==5\n")
    requires = {"a": ["b-pkg>=1", "c[x] ; python_version >= '3'", "e ; sys_platform == 'nope'"],
                "b-pkg": [], "c": ["d ; extra == 'x'"], "d": [], "e": []}
    text = assemble.student_requirements(constraints, ["a"],
                                      lambda name: requires[pins.canonical(name)])
    assert text.startswith(assemble.REQUIREMENTS_HEADER)
    assert text[len(assemble.REQUIREMENTS_HEADER):].split() == ["A==1", "b_pkg==2", "C==3", "d==4"]
    constraints.write_text("A==1\n")
    with pytest.raises(assemble.BuildError, match="pins no version of b-pkg, c, d"):
        assemble.student_requirements(constraints, ["a"],
                                   lambda name: requires[pins.canonical(name)])


@pytest.mark.parametrize("version", ["3.11.0", "3.12.0", "3.13.0"])
def test_every_pin_resolves_on_the_first_release(version, tmp_path):
    """The environment (requirements.txt within constraints.txt) and every package each
    handout's requirements.txt lists resolve together, each at its pin, for the first release of
    each Python the handout names (uv's resolver, reading the package index): none needs a later
    patch release. soupsieve 4.1.3 needed 3.11.5, which Debian 12's python3.11 (3.11.2) is
    not."""
    import subprocess

    uv = paths.ROOT / ".venv" / "bin" / "uv"
    if not uv.exists():
        pytest.skip("make venv installed with pip here (uv could not run)")
    handouts = [str(paths.ROOT / "student_template" / name / "requirements.txt")
                for name in manifest.available()]
    resolved = tmp_path / "resolved.txt"
    done = subprocess.run([str(uv), "pip", "compile", "--quiet", "--python-version", version,
                           "requirements.txt", *handouts, "-c", "constraints.txt",
                           "-o", str(resolved)], cwd=paths.ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"Python {version}:\n{done.stderr}"
    got = {name: version for name, (_, version) in pins.pins(resolved).items()}
    pinned = {name: version for name, (_, version) in
              pins.pins(paths.ROOT / "constraints.txt").items()}
    assert got == {name: pinned[name] for name in got}
    for handout_requirements in handouts:
        assert set(pins.pins(Path(handout_requirements))) <= set(got), handout_requirements


def test_every_hint_of_the_handout_names_something_the_student_has():
    """No student-facing file of the handout sends a student to the course's repository."""
    for path in paths.STUDENT_TEMPLATE.rglob("*"):
        if path.is_file() and path.suffix in {".py", ".md", ".ipynb", ".txt"}:
            text = path.read_text(encoding="utf-8")
            if text.startswith("# Generated by `make assign`"):  # the line for the course's staff
                text = text.split("\n", 1)[1]
            if path.name == "written_answers.py":  # its docstring speaks to the graders too
                text = text.split('"""', 2)[2]
            for phrase in ("make data", "make pdf", "course repository", "autograder/"):
                assert phrase not in text, f"{path.relative_to(paths.STUDENT_TEMPLATE)}: {phrase}"


def test_a_notebook_saved_without_outputs_is_noticed(tmp_path):
    empty = notebook_file(tmp_path / "empty.ipynb")
    assert handout.saved_without_outputs(str(empty))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "1", outputs=[nbformat.v4.new_output("execute_result", data={"text/plain": "1"})])])
    nbformat.write(notebook, tmp_path / "run.ipynb")
    assert not handout.saved_without_outputs(str(tmp_path / "run.ipynb"))
    assert not handout.saved_without_outputs(str(tmp_path / "missing.ipynb"))


@pytest.mark.parametrize("version, supported", [
    ((3, 11, 0, "final", 0), True), ((3, 11, 2, "final", 0), True),
    ((3, 11, 9, "final", 0), True), ((3, 12, 1, "final", 0), True),
    ((3, 13, 0, "final", 0), True), ((3, 10, 13, "final", 0), False),
    ((3, 14, 0, "final", 0), False),
])
def test_the_python_note_names_the_versions_requirements_install_on(version, supported):
    """3.11 to 3.13, as measured (tests/test_handout_newer_pythons.py runs 3.12 and 3.13; the
    pins resolve for the first release of each, test_every_pin_resolves_on_the_first_release)."""
    note = handout.python_note(version)
    if supported:
        assert note == ""
    else:
        dotted = ".".join(map(str, version[:3]))
        assert f"This kernel runs Python {dotted}" in note
        assert "installs on Python 3.11 or newer up to 3.13" in note
        assert "python.org" in note and "README.md (section 1)" in note


def test_an_unsupported_python_is_named_where_packages_are_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(handout, "SUPPORTED", ((9, 0), (9, 1)))
    write_requirements(tmp_path, ["no-such-package-bn==1.0"])
    with pytest.raises(MissingRequirements, match="installs on Python 9.0 or newer up to 9.1"):
        handout.check_requirements(tmp_path)
