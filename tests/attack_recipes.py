"""Attack recipes for the adversarial suite (tests/test_attacks.py, tests/test_attacks_fallback.py).

The attacks' code lives in tests/attacks/ as plain Python files, one per family, that are read
here as text and never imported: prelude.py (what every attack is told, and shared helpers), and
in each other file one section per attack, after a line `# ---- attack: <name>`. This module
holds what is not code: the attacks' names, bases and summaries, the lists the tests grade
(BIG_BATCH, FALLBACK, DETACHED_DAEMONS), and the builders.

Each attack is a submission made from the template (so an attack that gains nothing scores exactly
0 on what it attacks) or from the reference with one function replaced (so the honest parts still
score and the attacked part must not): its code is appended to `cs231n/layers.py`, where it runs
at import and where the functions it defines replace the stubs (fc_net's `from ..layers import *`
then picks them up too).

Every attack gets a prelude with what the strongest attacker could guess about the machine
(`Intel`: the batch's folders, the repository, a canary folder, listening ports), names its
processes `bnatk<NN><token>` (so the suite can tell its own leftovers from anything else running
on the machine) and marks every file it makes with the suite's token. Attacks report what they
achieved in exception messages of one short line (the judge shows the first line of a student's
exception, numbers of 6+ digits elided): `<KIND> <token> key=value ...`.

Safety belt: the attacks that write, append or signal outside their scratch act only when they
do not run as root (`_ATK_ARMED`, in the prelude). In a working sandbox they run as an
unprivileged uid, so this changes nothing; if the sandbox silently failed, they report `armed=0`
instead of damaging the machine the suite runs on, and the suite fails on that report.
"""

from __future__ import annotations

import ast
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder import paths
from autograder.build import variants
from autograder.settings import Limits, Settings

LAYERS = "cs231n/layers.py"
STUBS = ("batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
         "layernorm_forward", "layernorm_backward")


@dataclass(frozen=True)
class Intel:
    """What an attack knows about the world (everything it could guess, guessed right)."""

    token: str  # marks reports and every file an attack makes
    forged: str  # appears only in forged results and printed fake scores
    root: str  # the suite's folder holding SUBMISSIONS and OUT
    submissions: str
    out: str
    canary: str  # a world-writable folder with files the attacks try to modify
    repo: str
    addresses: tuple[str, ...]  # the machine's addresses (IPv4 and IPv6)
    tcp_port: int
    udp_port: int
    unix_socket: str  # a listening unix socket (in the canary folder)
    abstract_socket: str  # a listening abstract unix socket (its name, without the NUL)
    names: tuple[str, ...] = ()  # the submissions' names (for a forged gradebook)


@dataclass(frozen=True)
class Attack:
    name: str  # the submission's name in the batch
    base: str  # "reference" or "template"
    code: str  # appended to cs231n/layers.py (the prelude is added in front)
    summary: str = ""
    edits: tuple = field(default_factory=tuple)  # variants edits, before the code is appended

    @property
    def source(self) -> Path:
        return paths.SOLUTIONS if self.base == "reference" else paths.STUDENT_TEMPLATE


def label(index: int, token: str) -> str:
    """The process name (comm, at most 15 bytes) of attack number `index`."""
    return f"bnatk{index:02d}{token[:6]}"


# Reading the attacks' code ---------------------------------------------------------------------

FOLDER = Path(__file__).resolve().parent / "attacks"
MARKER = re.compile(r"^# ---- attack: (?P<name>.+?) -*$", re.MULTILINE)


def sections(family: str) -> dict[str, str]:
    """The attacks of tests/attacks/<family>.py by name: the code after each marker line, up
    to the next one (what comes before the first marker, the file's docstring, is no attack)."""
    parts = MARKER.split((FOLDER / f"{family}.py").read_text(encoding="utf-8"))
    return {name: body.strip("\n") + "\n" for name, body in zip(parts[1::2], parts[2::2])}


def code(family: str, name: str) -> str:
    found = sections(family)
    assert name in found, f"no '# ---- attack: {name}' in tests/attacks/{family}.py"
    return found[name]


def with_constants(text: str, **values) -> str:
    """`text` with each module-level statement `NAME = ...` of the given names rewritten as
    `NAME = <repr of the value>` (how the attacks with parameters get them)."""
    lines, missing = text.splitlines(keepends=True), set(values)
    for node in reversed(ast.parse(text).body):  # from the end: earlier line numbers hold
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(target, ast.Name) and target.id in values:
            lines[node.lineno - 1:node.end_lineno] = [f"{target.id} = {values[target.id]!r}\n"]
            missing.discard(target.id)
    assert not missing, f"no statement that sets {sorted(missing)}"
    return "".join(lines)


def _prelude_text() -> str:
    """prelude.py without its docstring."""
    text = (FOLDER / "prelude.py").read_text(encoding="utf-8")
    docstring = ast.parse(text).body[0]
    return "".join(text.splitlines(keepends=True)[docstring.end_lineno:]).strip("\n") + "\n"


PRELUDE = _prelude_text()


# The attacks -----------------------------------------------------------------------------------

TRIVIAL_ZEROS = Attack("zeros everywhere", "template", code("lies", "zeros everywhere"),
                       "not an attack but the control of the lying ones: every layer returns "
                       "zeros of the right shapes (a constant forward, a zero backward), computing "
                       "nothing")

INFINITE_LOOP = Attack("infinite loop in a function", "reference",
                       code("crashes", "infinite loop in a function"),
                       "batchnorm_backward never returns")

HANG_AT_IMPORT = Attack("hang at import", "template", code("crashes", "hang at import"),
                        "the package never finishes importing")

SYS_EXIT_AT_IMPORT = Attack("sys exit at import", "template", code("crashes", "sys exit at import"),
                            "sys.exit(0) while the package is imported")

OS_EXIT_IN_A_FUNCTION = Attack("os exit in a function", "reference",
                               code("crashes", "os exit in a function"),
                               "os._exit(0) inside batchnorm_backward")

MEMORY_BOMB = Attack("memory bomb", "reference", code("crashes", "memory bomb"),
                     "batchnorm_backward allocates 128 MiB blocks until it cannot")


def fork_flood(daemons: int = 5, children: int = 300, name: str = "fork flood") -> Attack:
    """At import: `daemons` detached daemons first (double fork, new session, cwd /, exec'd
    as `sleep` under the attack's name: nothing left that points at the worker), then up to
    `children` children in sessions of their own, ignoring SIGTERM, sleeping 1000 s."""
    text = with_constants(code("processes", "fork flood"),
                          _ATK_DAEMONS=daemons, _ATK_CHILDREN=children)
    return Attack(name, "reference", text,
                  f"{daemons} detached daemons, then {children} children in sessions of their "
                  "own, ignoring SIGTERM, sleeping 1000 s, at import")


FORK_FLOOD = fork_flood()

FILL_SCRATCH = ["cwd", "TMPDIR", "HOME", "stdout"]
FILL_ALL = [*FILL_SCRATCH, "/tmp", "/var/tmp", "/dev/shm", "/", "canary", "out", "submissions",
            "own"]


def disk_filler(name: str = "disk filler", targets: str = "all", cap_mib: int = 2048) -> Attack:
    """Write 1 MiB blocks until it fails to each target (a new file whenever the file size
    limit stops one), at most cap_mib per target; report MiB written and why each stopped.
    targets: "scratch" (its cwd, $TMPDIR, $HOME, stdout) or "all" (also /tmp, /var/tmp,
    /dev/shm, /, the canary, OUT, SUBMISSIONS and its own package)."""
    text = with_constants(code("disk", "disk filler"), _ATK_FILL_CAP=cap_mib,
                          _ATK_FILL_TARGETS=FILL_SCRATCH if targets == "scratch" else FILL_ALL)
    return Attack(name, "template", text,
                  "fills its cwd, $TMPDIR, /tmp, /dev/shm, /var/tmp, the folders it was told of "
                  "and its stdout")


FORGE_RESULTS = Attack("forge results", "template", code("forgery", "forge results"),
                       "writes results.json, grades.csv and feedback.md everywhere it can name "
                       "or find")

FAKE_SCORE = Attack("fake score", "template", code("forgery", "fake score"),
                    "prints fake scores (JSON, 'total 68/68', otter's 'All tests passed!'), "
                    "returns zeros from the forward functions and raises a fake score line from "
                    "the backward ones")

MONKEYPATCH = Attack("monkeypatch numpy judge and clock", "template",
                     code("monkeypatch", "monkeypatch numpy judge and clock"),
                     "patches numpy's comparisons and ndarray methods, the judge's helpers, and "
                     "the clock; returns zeros")

CLOCK_ON_STAGED_ALT = Attack("clock patch on staged alt", "reference",
                             code("speed", "clock patch on staged alt"),
                             "batchnorm_backward_alt is the staged graph, and every clock reads 0")

LYING_SUBCLASSES = Attack("lying ndarray subclasses", "template",
                          code("lies", "lying ndarray subclasses"),
                          "returns ndarray subclasses whose comparisons, arithmetic, ufuncs and "
                          "tolist lie")

MEMOIZING = Attack("memoizing between calls", "reference", code("speed", "memoizing between calls"),
                   "the staged graph as alt, behind a cache keyed on the inputs (ids and bytes)")

# Also graded alone, on the speed question only, by tests/test_speed.py (its code uses nothing
# from the prelude).
PRECOMPUTING = Attack("precomputing in the dout generator", "reference",
                      code("speed", "precomputing in the dout generator"),
                      "the staged graph, computed when the judge's dout is drawn (outside the "
                      "timed calls); alt itself only looks the answer up")

DEFERRING = Attack("deferring the work past the timed calls", "reference",
                   code("speed", "deferring the work past the timed calls"),
                   "the staged graph, but a call made by the worker's timed batch returns a lazy "
                   "object computed only when the judge reads it (only sampled calls are read)")

SEARCH_REFERENCE = Attack("search for the reference", "template",
                          code("snooping", "search for the reference"),
                          "walks / (and every path it can name) for another cs231n package or "
                          "zip, imports it and delegates every stub to it")

SEARCH_HIDDEN_TESTS = Attack("search for the hidden tests", "template",
                             code("snooping", "search for the hidden tests"),
                             "walks / for the hidden checks and otter test files and raises their "
                             "text")

NETWORK = Attack("network", "template", code("network", "network"),
                 "connects (TCP, UDP, unix and abstract sockets) to listeners on every address of "
                 "the machine and sends its code")

SIGNALS = Attack("signals", "template", code("signals", "signals"),
                 "for 2 s at import: SIGKILL to its parent, kill(-1), every pid and process group "
                 "in /proc; then killpg(0)")

APPEND_TO_OTHERS = Attack("append to other submissions", "template",
                          code("others", "append to other submissions"),
                          "appends to every .py, .zip and .ipynb of the submissions folder and of "
                          "whatever it can find, and tampers with a canary folder")


BIG_BATCH = [TRIVIAL_ZEROS, INFINITE_LOOP, HANG_AT_IMPORT, SYS_EXIT_AT_IMPORT,
             OS_EXIT_IN_A_FUNCTION, MEMORY_BOMB, FORK_FLOOD, disk_filler(), FORGE_RESULTS,
             FAKE_SCORE, MONKEYPATCH, CLOCK_ON_STAGED_ALT, LYING_SUBCLASSES, MEMOIZING,
             PRECOMPUTING, DEFERRING, SEARCH_REFERENCE, SEARCH_HIDDEN_TESTS, NETWORK, SIGNALS,
             APPEND_TO_OTHERS]

# Without the namespace sandbox (BN_SANDBOX=off): only what limits and cleanup must still contain.
# Detached daemons have a test of their own there.
FALLBACK = [INFINITE_LOOP, MEMORY_BOMB, fork_flood(daemons=0),
            disk_filler("disk filler", targets="scratch", cap_mib=512)]


DETACHED_DAEMONS = fork_flood(daemons=3, children=0, name="detached daemons")


# Building submissions -------------------------------------------------------------------------

def prelude(intel: Intel, process_label: str) -> str:
    """prelude.py, told `intel` and its process label (in `_ATK`)."""
    config = {name: getattr(intel, name) for name in intel.__dataclass_fields__}
    config["label"] = process_label
    return "\n\n" + with_constants(PRELUDE, _ATK=config) + "\n"


def build(attack: Attack, folder: Path, intel: Intel, index: int) -> Path:
    """folder/cs231n: the attack's package (base + edits + prelude + code); returns folder."""
    variants.make_variant(folder, list(attack.edits), source=attack.source / paths.PACKAGE_NAME)
    variants.append_text(folder, LAYERS, prelude(intel, label(index, intel.token)) + attack.code)
    return folder


def export(path: Path, folder: Path, notebook: Path) -> Path:
    """A zip laid out like the notebook's export cell: the notebook and cs231n/ at the root."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(notebook, paths.NOTEBOOK_NAME)
        for file in sorted((folder / paths.PACKAGE_NAME).rglob("*.py")):
            archive.write(file, file.relative_to(folder).as_posix())
    return path


# The batch's submissions ----------------------------------------------------------------------

REFERENCE, TEMPLATE = "reference", "template"  # their names in the batch, beside the attacks'
# What the attack batches are graded with: short timeouts, and 1 GiB of address space.
SETTINGS = Settings(call_timeout=5.0, import_timeout=12.0, limits=Limits(memory_bytes=1 * 2**30))


def build_submissions(submissions: Path, scratch: Path, intel: Intel,
                      chosen: list[Attack]) -> None:
    """The reference as a folder, the template as a zip, every attack as a zip."""
    shutil.copytree(paths.SOLUTIONS / paths.PACKAGE_NAME, submissions / REFERENCE / "cs231n",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(paths.SOLUTIONS / paths.NOTEBOOK_NAME,
                    submissions / REFERENCE / paths.NOTEBOOK_NAME)
    template = scratch / "template"
    shutil.copytree(paths.STUDENT_TEMPLATE / paths.PACKAGE_NAME, template / "cs231n",
                    ignore=shutil.ignore_patterns("__pycache__"))
    export(submissions / f"{TEMPLATE}.zip", template,
                   paths.STUDENT_TEMPLATE / paths.NOTEBOOK_NAME)
    for index, attack in enumerate(chosen):
        folder = build(attack, scratch / f"attack-{index:02d}", intel, index)
        notebook = (paths.SOLUTIONS if attack.base == "reference" else paths.STUDENT_TEMPLATE)
        export(submissions / f"{attack.name}.zip", folder, notebook / paths.NOTEBOOK_NAME)
