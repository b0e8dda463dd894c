"""The build's stamp (autograder/build/built_from.py), as `make template` uses it, in a project of
its own holding only the tiny assignment: a second build is skipped, a generated file edited by
hand or a source edited builds again, executing the solved notebook changes nothing, FORCE=1
always builds."""

import json

import tiny_assignment as tiny
from test_new_assignment import make

WROTE, UP_TO_DATE = "wrote ", "are up to date"


def make_template(root, **variables):
    return make(root, "template", **variables)


def test_make_template_builds_only_when_a_source_or_a_generated_file_changed(tmp_path):
    root = tiny.write_project(tmp_path)
    solution = root / "solutions" / tiny.NAME / tiny.PACKAGE / "ops.py"
    assert WROTE in make_template(root)
    assert (root / "solutions" / tiny.NAME / ".built-from").is_file()
    built = {path: path.stat().st_mtime_ns for path in (root / "solutions").rglob("*")}

    assert UP_TO_DATE in make_template(root)
    assert {path: path.stat().st_mtime_ns for path in (root / "solutions").rglob("*")} == built

    # The solved notebook executed (outputs and counts added): still up to date.
    notebook_path = root / "solutions" / tiny.NAME / "Tiny.ipynb"
    notebook = json.loads(notebook_path.read_text())
    code = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    code["execution_count"] = 1
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["executed\n"]}]
    notebook_path.write_text(json.dumps(notebook, indent=1))
    assert UP_TO_DATE in make_template(root)

    # A generated file edited by hand: built again, the edit undone.
    honest = solution.read_text()
    solution.write_text(honest + "\n# edited by hand\n")
    assert WROTE in make_template(root)
    assert solution.read_text() == honest

    # A source edited: built again, with the edit.
    source = root / "assignment" / tiny.PACKAGE / "ops.py"
    source.write_text(source.read_text().replace("return x * x", "return x * x  # squared"))
    assert WROTE in make_template(root)
    assert "return x * x  # squared" in solution.read_text()
    assert UP_TO_DATE in make_template(root)

    assert WROTE in make_template(root, FORCE=1)
