"""The handout READMEs' install and run instructions, read as text: on Windows every command works
in a default PowerShell (no script execution, so no Activate.ps1) and in cmd.exe; on macOS and
Linux every command names the environment's Python by its path; activation is only ever the
stated alternative, with the execution-policy change it needs; the zip is extracted first; the
Python versions are the measured ones; what the assignments share reads the same in each."""

import re

import pytest

from autograder import manifest, paths
from autograder.build import assemble, handout

ASSIGNMENTS = sorted(path.parent.name for path in paths.ROOT.glob(f"assignment/*/{manifest.FILE}"))
# The commands a student types, in each system's form: no activation needed.
WINDOWS = [r".venv\Scripts\python -m pip install -r requirements.txt",
           r".venv\Scripts\python -m jupyter lab",
           r".venv\Scripts\python -m cs231n.data_utils --download"]
POSIX = [".venv/bin/python -m pip install -r requirements.txt",
         ".venv/bin/python -m jupyter lab",
         ".venv/bin/python -m cs231n.data_utils --download"]
# How each line of a code block may start: the environment's Python by its path, the Pythons
# that make the environment, or a notebook cell's %env.
COMMAND_STARTS = (".venv\\Scripts\\python ", ".venv/bin/python ", "py -3.", "python3.",
                  "%env CHROMIUM=")


def readme(name: str, generated: bool = False) -> str:
    folder = paths.ROOT / ("student_template" if generated else "assignment") / name
    return (folder / "README.md").read_text(encoding="utf-8")


def code_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.S | re.M)


def paragraphs(text: str) -> list[str]:
    return [part for part in re.split(r"\n\s*\n", text) if part.strip()]


def section(text: str, number: int) -> str:
    start = text.index(f"\n## {number}. ")
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else None]


def test_every_assignment_has_a_readme():
    assert len(ASSIGNMENTS) >= 2
    for name in ASSIGNMENTS:
        assert readme(name).startswith("# ")


@pytest.mark.parametrize("name", ASSIGNMENTS)
@pytest.mark.parametrize("generated", [False, True], ids=["source", "handout"])
def test_every_command_is_shown_in_its_windows_and_posix_form(name, generated):
    text = readme(name, generated)
    commands = "\n".join(code_blocks(text)).splitlines()
    for command in WINDOWS + POSIX:
        assert command in commands, command
    assert "py -3.11 -m venv .venv" in text and "python3.11 -m venv .venv" in text
    # Windows' commands are said to work in PowerShell as it opens and in cmd.exe.
    assert "PowerShell as it opens, with no setting changed" in text and "cmd.exe" in text


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_code_blocks_hold_only_commands_that_need_no_activation(name):
    for block in code_blocks(readme(name)):
        for line in block.splitlines():
            assert line.startswith(COMMAND_STARTS), line
            assert "activate" not in line.lower(), line
            # cmd.exe reads # as an argument, not a comment: no trailing comments to copy.
            assert " #" not in line, line
            if line.startswith(".venv\\"):
                assert "/" not in line, line  # one system's separators per command
            if line.startswith(".venv/"):
                assert "\\" not in line, line


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_activation_is_only_the_alternative_with_the_execution_policy_stated(name):
    text = readme(name)
    mentions = [part for part in paragraphs(text) if "activate" in part.lower()]
    assert mentions, "the alternative of activating is stated"
    for part in mentions:
        assert "If you prefer to activate" in part, part
        for form in (r".venv\Scripts\Activate.ps1", r".venv\Scripts\activate.bat",
                     "source .venv/bin/activate",
                     "Set-ExecutionPolicy -Scope CurrentUser RemoteSigned"):
            assert form in part, form
        assert "Nothing below needs it" in part
    # No bare `.venv\Scripts\activate` (which PowerShell runs as the blocked Activate.ps1).
    assert not re.search(r"\\Scripts\\activate(?!\.bat|\.ps1)", text, flags=re.I)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_zip_is_extracted_first(name):
    install = section(readme(name), 1)
    assert "**Extract the zip first.**" in install and "Extract All" in install
    assert install.index("Extract the zip first") < install.index("-m venv .venv")


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_python_versions_are_the_measured_ones(name):
    install = section(readme(name), 1)
    oldest, newest = handout.SUPPORTED
    assert oldest == (3, 11) and newest == (3, 13)
    assert "You need Python 3.11, 3.12 or 3.13:" in install
    assert "they install and the notebook's checks pass on 3.12 and 3.13 too" in " ".join(
        install.split())
    assert "exactly" not in install


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_mac_certificates_and_the_export_without_chromium_are_explained(name):
    text = " ".join(readme(name).split())
    assert "Install Certificates.command" in text and "CERTIFICATE_VERIFY_FAILED" in text
    assert "written_answers.html" in text and "File > Export as PDF..." in text
    assert "no Chromium-family browser was found" in text


def test_what_the_assignments_share_reads_the_same():
    """Sections 1 to 3 and 5 (install, Jupyter, data, export) differ only by the notebook's name
    and the experiment's number."""
    def shared(name):
        text = readme(name)
        notebook = manifest.load(name).notebook
        parts = [section(text, number) for number in (1, 2, 3, 5)]
        joined = "\n".join(parts).replace(notebook, "NOTEBOOK")
        joined = joined.replace(notebook.removesuffix(".ipynb"), "NOTEBOOK")
        words = " ".join(joined.split())
        # The one assignment has experiments, the other an experiment.
        for plural, singular in (("The experiments train", "The experiment trains"),
                                 ("experiments' figures", "experiment's figure"),
                                 ("of the experiments", "of the experiment")):
            words = words.replace(plural, singular)
        # What the zip holds is said per assignment.
        return re.sub(r"- `NOTEBOOK_<date and time>.zip`:.*?the PDF;", "ZIP", words)
    first, *others = ASSIGNMENTS
    for other in others:
        assert shared(other) == shared(first), other


def test_the_requirements_header_shows_both_forms():
    header = assemble.REQUIREMENTS_HEADER
    assert WINDOWS[0] in header and POSIX[0] in header
    for name in ASSIGNMENTS:
        text = (paths.ROOT / "student_template" / name / "requirements.txt").read_text()
        assert text.startswith(header), name
