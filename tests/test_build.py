"""Tests of autograder.build.assemble and regions: solution stripping, the generated folders, the handout zip."""

import ast
import filecmp
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import pytest

from autograder import manifest, paths
from autograder.build import assemble, notebooks, regions

SAMPLE = textwrap.dedent(
    '''\
    class Net:
        def loss(self, x):
            """Docstring stays."""
            y = x + 1
            # TODO: double y.
            # BEGIN SOLUTION
            y = 2 * y
            # END SOLUTION
            return y


    def helper(x):
        return x
    '''
)

# The functions a student must write, and nothing else (the assignment issues' lists).
# What each assignment's student writes: {assignment: {file: functions holding its regions}}.
NAME = "batchnorm"  # the assignment these tests build
EXPECTED_STUBS = {"batchnorm": {
    "cs231n/layers.py": {
        "batchnorm_forward",
        "batchnorm_backward",
        "batchnorm_backward_alt",
        "layernorm_forward",
        "layernorm_backward",
    },
    "cs231n/classifiers/fc_net.py": {
        "FullyConnectedNet.__init__",  # the gamma/beta parameters
        "FullyConnectedNet._normalize_forward",  # the normalization step of loss()'s forward
        "FullyConnectedNet._normalize_backward",  # ... and of its backward
    },
}, "dropout": {
    "cs231n/layers.py": {"dropout_forward", "dropout_backward"},
    "cs231n/classifiers/fc_net.py": {
        "FullyConnectedNet.__init__",  # the shared dropout_param
        "FullyConnectedNet.loss",  # its mode switch
        "FullyConnectedNet._dropout_forward",
        "FullyConnectedNet._dropout_backward",
    },
}}


def test_template_replaces_region_with_named_stub():
    out = regions.make_template_source(SAMPLE, "pkg/net.py")
    assert "y = 2 * y" not in out and "SOLUTION" not in out
    assert "# TODO: double y." in out and "Docstring stays." in out
    namespace = {}
    exec(out, namespace)
    with pytest.raises(NotImplementedError, match=r"Net\.loss in pkg/net\.py is not implemented"):
        namespace["Net"]().loss(1)
    assert namespace["helper"](3) == 3


def test_solution_keeps_code_and_drops_markers():
    out = regions.make_solution_source(SAMPLE, "pkg/net.py")
    assert "SOLUTION" not in out
    namespace = {}
    exec(out, namespace)
    assert namespace["Net"]().loss(1) == 4


@pytest.mark.parametrize(
    "source, complaint",
    [
        ("def f():\n    # BEGIN SOLUTION\n    pass\n", "never closed"),
        ("def f():\n    pass\n    # END SOLUTION\n", "without a BEGIN"),
        ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    pass\n", "inside the region"),
        ("def f():\n    # BEGIN SOLUTION\n    pass\n  # END SOLUTION\n", "indented differently"),
        ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "inside a function"),
        ("def f():\n    x = 1  # BEGIN SOLUTION\n", "stand alone"),
        ("def f(:\n", "1:"),
    ],
)
def test_malformed_regions_are_reported_with_their_line(source, complaint):
    with pytest.raises(assemble.BuildError, match=complaint):
        regions.find_regions(source, "bad.py")


@pytest.mark.parametrize("assignment", sorted(EXPECTED_STUBS))
def test_exactly_the_student_functions_are_stubbed(assignment):
    package = paths.ASSIGNMENT
    expected = EXPECTED_STUBS[assignment]
    found = {
        relative: regions.stubbed_functions((package / relative).read_text(), relative, assignment)
        for relative in expected
    }
    assert found == expected
    others = [
        path.relative_to(package).as_posix()
        for path in (package / "cs231n").rglob("*.py")
        if path.relative_to(package).as_posix() not in expected
    ]
    for relative in others:
        assert not regions.find_regions((package / relative).read_text(), relative), relative


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("build")
    assemble.build(manifest.current(), root)
    return root


def _comparable(notebook_path):
    """A notebook's content with what execution adds (outputs, counts, the stamp) left out."""
    return notebooks.comparable(json.loads(notebook_path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("folder", ["student_template", "solutions"])
def test_generated_folders_are_fresh(fresh_build, folder):
    committed, rebuilt = paths.ROOT / folder / NAME, fresh_build / folder / NAME
    assert committed.is_dir(), f"{folder}/ is missing: run `make assign`"

    def files(root):
        return sorted(
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts
        )

    assert files(committed) == files(rebuilt), f"{folder}/ is stale: run `make assign`"
    for relative in files(rebuilt):
        if relative.endswith(".ipynb"):
            same = _comparable(committed / relative) == _comparable(rebuilt / relative)
        else:
            same = filecmp.cmp(committed / relative, rebuilt / relative, shallow=False)
        assert same, f"{folder}/{relative} is stale: run `make assign` (never edit it by hand)"


def test_build_is_deterministic(fresh_build, tmp_path):
    assemble.build(manifest.current(), tmp_path)
    for folder in ("student_template", "solutions"):
        for path in (fresh_build / folder / NAME).rglob("*"):
            if path.is_file():
                twin = tmp_path / folder / NAME / path.relative_to(fresh_build / folder / NAME)
                assert path.read_bytes() == twin.read_bytes(), path


def test_template_package_works_except_the_stubs(fresh_build):
    script = textwrap.dedent(
        """
        import numpy as np
        from cs231n.classifiers.fc_net import FullyConnectedNet
        from cs231n import layers
        x = np.random.randn(4, 6)
        model = FullyConnectedNet([5, 5], input_dim=6, num_classes=3, seed=1, dtype=np.float64)
        loss, grads = model.loss(x, np.array([0, 1, 2, 0]))
        assert set(grads) == set(model.params)
        for call in [
            lambda: layers.batchnorm_forward(x, np.ones(6), np.zeros(6), {"mode": "train"}),
            lambda: layers.batchnorm_forward(x, np.ones(6), np.zeros(6), {"mode": "test"}),
            lambda: layers.batchnorm_backward(x, None),
            lambda: layers.batchnorm_backward_alt(x, None),
            lambda: layers.layernorm_forward(x, np.ones(6), np.zeros(6), {}),
            lambda: layers.layernorm_backward(x, None),
            lambda: FullyConnectedNet([5], input_dim=6, normalization="batchnorm"),
        ]:
            try:
                call()
            except NotImplementedError as error:
                assert "is not implemented yet" in str(error), error
            else:
                raise AssertionError("a stub did not raise")
        try:
            layers.batchnorm_forward(x, np.ones(6), np.zeros(6), {"mode": "bogus"})
        except ValueError:
            pass
        else:
            raise AssertionError("a bad mode must raise ValueError in the template too")
        for call in [  # the Dropout assignment's code: not this handout's to give away
            lambda: layers.dropout_forward(x, {"mode": "train", "p": 0.5}),
            lambda: FullyConnectedNet([5], input_dim=6, dropout_keep_ratio=0.5),
        ]:
            try:
                call()
            except NotImplementedError as error:
                assert "part of the Dropout assignment" in str(error), error
            else:
                raise AssertionError("another assignment's code is not a stub")
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=fresh_build / "student_template" / NAME,
                          capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr


def test_handout_zip_is_reproducible_and_complete(fresh_build, tmp_path):
    first = assemble.zip_folder(fresh_build / "student_template" / NAME, tmp_path / "a.zip", "Top")
    second = assemble.zip_folder(fresh_build / "student_template" / NAME, tmp_path / "b.zip", "Top")
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(first).namelist()
    assert "Top/BatchNormalization.ipynb" in names
    assert "Top/cs231n/layers.py" in names
    assert any(name.startswith("Top/tests/") for name in names)


def test_solutions_show_each_reference_answer_without_the_empty_prompt(fresh_build):
    solved = json.loads((fresh_build / "solutions" / NAME / paths.NOTEBOOK_NAME).read_text())
    sources = ["".join(cell["source"]) for cell in solved["cells"]]
    assert not any("Type your answer here" in source for source in sources)
    assert sum(source.startswith("**Your answer:**") for source in sources) == 4
    student = json.loads((fresh_build / "student_template" / NAME / paths.NOTEBOOK_NAME).read_text())
    prompts = ["".join(cell["source"]) for cell in student["cells"]
               if "otter_answer_cell" in cell["metadata"].get("tags", [])]
    assert len(prompts) == 4 and all("Type your answer here" in p for p in prompts)


def test_the_notebook_gets_a_generated_copy_of_written_answers_that_needs_no_autograder(
        fresh_build):
    source = (paths.ROOT / "autograder" / "build" / "written_answers.py").read_text(encoding="utf-8")
    for folder in ("student_template", "solutions"):
        first, rest = (fresh_build / folder / NAME / "written_answers.py").read_text(
            encoding="utf-8").split("\n", 1)
        assert first.startswith("# Generated by `make assign` from autograder/build/written_answers.py")
        assert rest == source
    probe = ("import sys, written_answers; "
             "print('autograder' in sys.modules, hasattr(written_answers, 'render'))")
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=fresh_build / "student_template" / NAME,
                          capture_output=True, text=True, env=environment)
    assert done.stdout.split() == ["False", "True"], done.stderr


def project_imports(source: str) -> list[str]:
    """Every import of `source` that names the project's package (or is relative), anywhere."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ["." * node.level + (node.module or "")]
        else:
            continue
        found += [f"line {node.lineno}: {name}" for name in names
                  if name.startswith(".") or name.split(".")[0] == "autograder"]
    return found


def test_the_handouts_tools_import_nothing_of_the_autograder():
    for folder in (paths.STUDENT_TEMPLATE, paths.SOLUTIONS):
        for name in assemble.NOTEBOOK_TOOLS:
            copy = folder / name
            assert project_imports(copy.read_text(encoding="utf-8")) == [], copy
    assert project_imports("from autograder.course.batch import x\nimport os, autograder.grading.extract\n"
                           "def f():\n    from . import paths\n") == [
        "line 1: autograder.course.batch", "line 2: autograder.grading.extract", "line 4: ."]


def test_handout_py_imports_only_the_standard_library_at_import_time():
    """The first cell imports it on a Python that may lack every requirement."""
    tree = ast.parse((paths.ROOT / "autograder" / "build" / "handout.py").read_text(encoding="utf-8"))
    top = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    names = {alias.name.split(".")[0] for node in top if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {(node.module or "").split(".")[0] for node in top
              if isinstance(node, ast.ImportFrom)}
    assert names <= set(sys.stdlib_module_names) | {"__future__"}, names


def test_an_executed_notebook_survives_a_rebuild_that_changes_only_outputs(tmp_path):
    executed = (paths.SOLUTIONS / paths.NOTEBOOK_NAME).read_bytes()
    (tmp_path / "solutions" / NAME).mkdir(parents=True)
    (tmp_path / "solutions" / NAME / paths.NOTEBOOK_NAME).write_bytes(executed)
    assemble.build(manifest.current(), tmp_path)
    assert (tmp_path / "solutions" / NAME / paths.NOTEBOOK_NAME).read_bytes() == executed
    # A notebook whose cells differ is replaced by the fresh (unexecuted) build.
    changed = json.loads(executed)
    changed["cells"][1]["source"] = ["# edited\n"]
    assert not notebooks.same_but_for_execution(json.dumps(changed).encode(),
                                            tmp_path / "solutions" / NAME / paths.NOTEBOOK_NAME)
    assert not notebooks.same_but_for_execution(b"not json", tmp_path / "solutions" / NAME /
                                            paths.NOTEBOOK_NAME)


def test_the_solved_notebook_was_executed_from_what_it_is_now():
    from autograder.build import notebooks
    assert notebooks.is_current(paths.SOLUTIONS / paths.NOTEBOOK_NAME), (
        "solutions/ changed since its notebook was executed: run `make solutions`")
