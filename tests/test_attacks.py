"""The adversarial suite: hostile submissions gain nothing, harm nothing, leave nothing.

Every attack of attack_recipes.BIG_BATCH (its code in tests/attacks/) is a submission built here
(no committed binaries), graded in ONE batch (`make grade`'s `batch.grade_folder`, four at a
time: more attacks at once than make grade runs on two cores) together with the honest reference
and the untouched template. Each test then checks three things
for its attack:

(a) its score, per question, from grades.csv and its results.json: zero for what it did not
    honestly compute (the honest parts of a reference-based attack keep their points);
(b) the other submissions of the batch are unaffected: the reference still has 68 with status ok,
    the template 0, their records are not forged, every submission's files are byte-identical;
(c) nothing is left behind: no process of a sandbox uid, named like an attack or mentioning the
    batch's folders; no file marked by an attack (or owned by a sandbox uid) in /tmp, /var/tmp,
    /dev/shm or the repository; OUT holds exactly what the batch writes; a world-writable canary
    folder the attacks tamper with is unchanged; listening sockets accepted nothing; the disk did
    not fill (the helpers of tests/forensics.py).

The batch needs the `full` sandbox (root + bubblewrap): several attacks walk `/`, append to files,
forge records and signal every process they can see, which only namespaces make harmless. A root
grader without it is a failure here, not a skip; a non-root one skips (its protections are weaker
by design). tests/test_attacks_fallback.py grades small batches with BN_SANDBOX=off: what limits
and cleanup alone must still contain.

The table "Attacks and their outcomes" of docs/sandbox.md
lists the attacks and what each must come to. Among them: a control (`zeros everywhere`: layers
that return zeros of the right shapes, which the lying attacks build on) and two subtler attacks
on the speed check (precomputing when the judge's dout is drawn; deferring the work past the
timed calls).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest

import attack_recipes as attacks
from attack_recipes import REFERENCE, SETTINGS, TEMPLATE, build_submissions
from autograder import manifest, paths, sandbox
from autograder.course import batch, gradebook
from autograder.grading import otter_tests
from autograder.checks import QUESTIONS

from assignments import batchnorm

speed_check_module = batchnorm("checks.speed")
from forensics import (FULL, TOTAL, Listeners, World, expected_out_files, listing,
                       local_addresses, look_after, open_up, random_word, take_before,
                       tamper_canary)

pytestmark = pytest.mark.alone  # it inspects /tmp and / for what attacks leave behind

BATCH_TIMEOUT = 120.0


# The batch -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world():
    """Every attack of attacks.BIG_BATCH, the reference and the template, graded in one batch."""
    protections = sandbox.protections()
    if protections.level != "full":
        message = (f"the adversarial batch needs the 'full' sandbox; here: {protections.summary}")
        if os.geteuid() == 0:
            pytest.fail("the grader runs as root but " + message)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="bn-attacks-"))
    canary = Path(tempfile.mkdtemp(prefix="bn-canary-"))
    listeners = None
    try:
        submissions, out, scratch = root / "submissions", root / "out", root / "build"
        token, forged = random_word(), "FORGED" + random_word()
        tamper_canary(canary)
        listeners = Listeners(canary / "listener.sock", f"bnatk-listener-{token}")
        names = [REFERENCE, TEMPLATE, *(attack.name for attack in attacks.BIG_BATCH)]
        intel = attacks.Intel(
            token=token, forged=forged, root=str(root), submissions=str(submissions),
            out=str(out), canary=str(canary), repo=str(paths.ROOT),
            addresses=local_addresses(), tcp_port=listeners.tcp_port,
            udp_port=listeners.udp_port, unix_socket=str(canary / "listener.sock"),
            abstract_socket=f"bnatk-listener-{token}", names=tuple(names))
        build_submissions(submissions, scratch, intel, attacks.BIG_BATCH)
        shutil.rmtree(scratch)
        out.mkdir()
        open_up(root)
        before = take_before(submissions, canary)
        start = time.monotonic()
        result = batch.grade_folder(submissions, out, replace(SETTINGS, timeout=BATCH_TIMEOUT),
                                    jobs=4, progress=False, report=False)
        world = World(intel, submissions, out, canary, result, before, time.monotonic() - start)
        look_after(world, [str(root), str(canary)], [token, forged],
                   [str(submissions), str(out), str(canary)], expected_out_files(names, out),
                   listeners)
        if listing(str(root)) != {"submissions", "out"}:
            world.problems.append(f"the suite's folder holds {sorted(listing(str(root)))}")
        yield world
    finally:
        if listeners is not None:
            listeners.close()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(canary, ignore_errors=True)


# The three checks ------------------------------------------------------------------------------

def assert_scores(world: World, name: str, zero: list[str] | str = "all",
                  status: str | re.Pattern = "ok") -> dict[str, float]:
    """(a): `zero` questions score 0 (all of them by default), every other one full points."""
    scores = world.scores(name)
    row = world.row(name)
    zero = list(QUESTIONS) if zero == "all" else zero
    expected = {q: 0.0 if q in zero else float(FULL[q]) for q in QUESTIONS}
    wrong = {q: f"{scores[q]:g} (expected {expected[q]:g})" for q in QUESTIONS
             if abs(scores[q] - expected[q]) > 1e-3}
    assert not wrong, (f"{name!r} scored {row['total']} with status {row['status']!r}; "
                       f"wrong per question: {wrong}")
    if isinstance(status, re.Pattern):
        assert status.search(row["status"]), f"{name!r}: status {row['status']!r}"
    else:
        assert row["status"] == status, f"{name!r}: status {row['status']!r}, expected {status!r}"
    return scores


def assert_others_unaffected(world: World, name: str | None = None) -> None:
    """(b): the reference and the template graded as alone; no record forged; files intact."""
    rows = world.rows()
    assert len(rows) == len(attacks.BIG_BATCH) + 2, f"gradebook rows: {sorted(rows)}"
    assert_scores(world, REFERENCE, zero=[])
    assert_scores(world, TEMPLATE, zero="all")
    for other in (REFERENCE, TEMPLATE):
        record = world.record(other)
        assert record["extra_data"]["batch"]["submission"] == other, record["extra_data"]
        assert record["extra_data"]["batch"]["row"] == rows[other], (
            f"{other}'s record and gradebook row differ: {record['extra_data']['batch']['row']} "
            f"vs {rows[other]}")
        feedback = world.feedback(other)
        expected = TOTAL if other == REFERENCE else 0
        assert f"**Auto-graded score: {expected:g} / {TOTAL:g}**" in feedback, feedback[:400]
    for submission in rows:
        texts = world.student_texts(submission)
        assert world.intel.forged not in texts, (
            f"{submission}'s feedback or record holds the forger's mark {world.intel.forged}")
    table = (world.out / gradebook.GRADEBOOK).read_text(encoding="utf-8")
    assert world.intel.forged not in table, "grades.csv holds a forged row"
    assert world.result.rows == list(rows.values()), "the batch's result and grades.csv differ"


def assert_nothing_left(world: World) -> None:
    """(c): no process, file, connection or change outside OUT's expected contents."""
    assert not world.problems, "\n".join(world.problems)


def report_of(world: World, name: str, kind: str) -> str:
    """The attack's own report (`<KIND> <token> ...`) as the feedback shows it."""
    found = re.search(rf"{kind} {world.intel.token}[^\n|]*", world.feedback(name))
    assert found, (f"{name!r}: no '{kind}' report in its feedback (did the attack run?):\n"
                   + world.feedback(name)[:3000])
    return found.group(0)


def report_field(report: str, key: str) -> str:
    found = re.search(rf"\b{key}=(\S+)", report)
    assert found, f"no {key}= in the attack's report: {report}"
    return found.group(1)


def check_attack(world: World, name: str, zero: list[str] | str = "all",
                 status: str | re.Pattern = "ok") -> dict[str, float]:
    scores = assert_scores(world, name, zero, status)
    assert_others_unaffected(world, name)
    assert_nothing_left(world)
    return scores


# The attacks ----------------------------------------------------------------------------------

def test_honest_submissions_are_graded_normally_beside_the_attacks(world):
    """The reference scores 68 with status ok, the template 0 with status ok; the batch ran
    under the full sandbox and within its time."""
    assert "'full'" in world.result.sandbox, world.result.sandbox
    assert_others_unaffected(world)
    assert_nothing_left(world)
    ratio = world.record(REFERENCE)["extra_data"]["measurements"]["alt_time_ratio"]
    assert ratio < speed_check_module.SETTINGS.max_staged_ratio, (
        f"the reference's own speed ratio is {ratio}")
    print(f"\nthe adversarial batch: {len(world.rows())} submissions in {world.seconds:.1f} s")
    for name, row in world.rows().items():
        ratio = world.record(name)["extra_data"]["measurements"].get("alt_time_ratio", "")
        print(f"  {name:42s} {row['total']:>7s} {ratio!s:>6s}  {row['status'][:80]}")


def gains_nothing_over_zeros(world: World, name: str) -> None:
    """(a) for an attack whose layers return zeros (and lie, print or patch around them): 0
    points. First what its trick adds to plain zeros (the control), which must be nothing, then
    the 0 itself (plain zeros must earn nothing either: test_trivial_outputs_earn_nothing)."""
    scores, zeros = world.scores(name), world.scores(attacks.TRIVIAL_ZEROS.name)
    gained = {q: round(scores[q] - zeros[q], 4) for q in QUESTIONS if scores[q] > zeros[q]}
    assert not gained, f"{name!r}: its trick earns points that plain zeros do not: {gained}"
    check_attack(world, name)


def test_trivial_outputs_earn_nothing(world):
    """Every layer returns zeros of the right shapes (a constant forward that never touches its
    inputs, a zero backward): it computes nothing, so it must score 0. (This is the control of
    the lying attacks: whatever it earns, they earn without lying.)"""
    check_attack(world, attacks.TRIVIAL_ZEROS.name)


def test_infinite_loop_in_a_function(world):
    """batchnorm_backward loops forever: its first call is stopped at the call timeout and it
    is never called again; bn_backward and the speed question (which compares alt with it)
    score 0, every other question full points (54), status ok."""
    check_attack(world, attacks.INFINITE_LOOP.name, zero=["bn_backward", "bn_backward_alt_speed"])
    feedback = world.feedback(attacks.INFINITE_LOOP.name)
    assert "timed out after 5 s" in feedback, feedback[:2000]
    assert "batchnorm_backward was not called again" in feedback, feedback[:2000]


def test_hang_at_import(world):
    """The package never finishes importing: status 'timed out at import', 0 everywhere."""
    check_attack(world, attacks.HANG_AT_IMPORT.name, status="timed out at import")


def test_sys_exit_at_import(world):
    """sys.exit(0) at import: the import fails with SystemExit, 0 everywhere."""
    check_attack(world, attacks.SYS_EXIT_AT_IMPORT.name,
                 status=re.compile(r"^SystemExit at import"))


def test_os_exit_in_a_function(world):
    """os._exit(0) inside batchnorm_backward: the worker dies on each call and is restarted for
    the next check; bn_backward and the speed question (which compares alt with it) score 0,
    everything else full points (54), status ok."""
    check_attack(world, attacks.OS_EXIT_IN_A_FUNCTION.name,
                 zero=["bn_backward", "bn_backward_alt_speed"])
    assert "exited with status 0" in world.feedback(attacks.OS_EXIT_IN_A_FUNCTION.name)


def test_memory_bomb(world):
    """batchnorm_backward allocates until the address-space limit stops it (MemoryError):
    bn_backward and the speed question (which compares alt with it) score 0, everything else
    full points, status ok."""
    check_attack(world, attacks.MEMORY_BOMB.name, zero=["bn_backward", "bn_backward_alt_speed"])
    assert "MemoryError" in world.feedback(attacks.MEMORY_BOMB.name)


def test_fork_flood(world):
    """On the reference, at import: 5 detached daemons (double fork, new session, cwd /,
    exec'd as sleep), then 300 children (own sessions, SIGTERM ignored, sleeping 1000 s): the
    process limit stops the flood, the honest code still scores 68 with status ok, and no child
    or daemon survives the grading."""
    check_attack(world, attacks.FORK_FLOOD.name, zero=[])


def test_disk_filler(world):
    """Writes until it fails to its cwd, $TMPDIR, $HOME, /tmp, /var/tmp, /dev/shm, / and the
    folders it was told of, and to its stdout: only its size-limited scratch takes anything (at
    most Limits.scratch_bytes in total), its stdout at most Limits.file_bytes, the host disk
    does not fill, nothing is left; 0 points."""
    name = attacks.disk_filler().name
    check_attack(world, name)
    report = report_of(world, name, "FILLED")
    total = int(report_field(report, "total_mib"))
    limit = getattr(SETTINGS.limits, "scratch_bytes", 0) // 2**20
    assert 0 < total <= limit + 1, (f"the disk filler wrote {total} MiB in total; the scratch "
                                    f"allows {limit} MiB ({report})")
    assert ":cap" not in report, f"a target took everything the filler offered: {report}"
    logged = int(report_field(report, "where").split("stdout=")[1].split(":")[0])
    assert logged <= SETTINGS.limits.file_bytes // 2**20, (
        f"the filler wrote {logged} MiB to its stdout: {report}")


def test_forging_results_files(world):
    """Writes results.json, grades.csv and feedback.md everywhere it can name or find (walking
    /, OUT-like and writable folders, /autograder/results, paths from /proc and its mount
    table, parents of its cwd), at import and during grading: nothing lands outside its own
    scratch; its score stays 0; every record and the gradebook are the batch's own."""
    name = attacks.FORGE_RESULTS.name
    check_attack(world, name)
    report = report_of(world, name, "FORGE")
    assert report_field(report, "armed") == "1", f"the forger did not run armed: {report}"
    assert report_field(report, "outside") == "0", f"forged files outside scratch: {report}"
    assert "autograder" not in listing("/"), "/autograder was created on the host"


def test_printing_a_fake_score(world):
    """Prints '{"score": 68}', 'total 68/68' and 'All tests passed!' to stdout, stderr and
    fds 1 and 2, returns zeros from its forward functions and raises '**Auto-graded score:
    68 / 68** All tests passed!' from its backward ones: scores 0; the printed text reaches
    neither its feedback nor its record, and the only score line the feedback shows is the
    judge's."""
    name = attacks.FAKE_SCORE.name
    texts = world.student_texts(name)
    for fake in ("total 68/68", '"score": 68, "max_score": 68', "bn_forward_train 10/10"):
        assert fake not in texts, f"printed text {fake!r} reached the student's feedback"
    feedback = world.feedback(name)
    # Its exception text may be quoted in a failure message, but escaped: never as formatting.
    shown = [line.strip() for line in feedback.splitlines() if "**Auto-graded score" in line]
    judged = f"**Auto-graded score: {float(world.row(name)['total']):g} / {TOTAL:g}**"
    assert shown == [judged], (
        "the feedback shows a score line the student wrote (an exception message rendered "
        f"as markdown): {shown}")
    quoted = [line for line in feedback.splitlines() if "Auto-graded score: 68" in line]
    assert quoted and all(r"raised RuntimeError" in line and r"\*\*Auto-graded" in line
                          for line in quoted), quoted
    gains_nothing_over_zeros(world, name)


def test_monkeypatching_numpy_the_judge_and_the_clock(world):
    """Patches np.allclose/isclose/array_equal/testing, abs/max/all/any/linalg.norm, ndarray
    methods (through its type dict), the clock (time.*, os.times, resource.getrusage) and tries
    to import the judge's comparison helpers from everywhere (it must fail); the stubs return
    zeros: 0 points."""
    name = attacks.MONKEYPATCH.name
    report = report_of(world, name, "PATCHED")
    assert report_field(report, "judge_import") == "no", (
        f"student code imported autograder.checks.base: {report}")
    assert int(report_field(report, "patched")) > 10, f"the patches did not apply: {report}"
    gains_nothing_over_zeros(world, name)


def test_clock_patch_on_a_staged_alt_earns_no_speed(world):
    """batchnorm_backward_alt = the staged graph, with every clock the worker can read stopped:
    its values are right (bn_backward_alt 6) but the speed question scores 0 (its algebra is
    the staged graph's, checks/algebra.py; the clocks are tested on a slow closed form in
    tests/test_speed.py); everything else full points."""
    name = attacks.CLOCK_ON_STAGED_ALT.name
    check_attack(world, name, zero=["bn_backward_alt_speed"])
    assert "computes the staged graph's algebra" in world.feedback(name)


def test_lying_ndarray_subclasses(world):
    """Returns ndarray subclasses whose ==, -, abs, ufuncs, array functions, tolist, all, max
    and float lie, holding zeros: the judge reads plain arrays only, 0 points."""
    gains_nothing_over_zeros(world, attacks.LYING_SUBCLASSES.name)


def speed_check(world: World, name: str) -> None:
    ratio = world.record(name)["extra_data"]["measurements"].get("alt_time_ratio")
    reference = world.record(REFERENCE)["extra_data"]["measurements"].get("alt_time_ratio")
    speed = world.scores(name)["bn_backward_alt_speed"]
    assert speed == 0, (f"{name!r} earned the speed question ({speed:g} points) with the staged "
                        f"graph: measured ratio {ratio} (the reference's own: {reference}; at "
                        f"most {speed_check_module.SETTINGS.max_staged_ratio:g} passes)")
    check_attack(world, name, zero=["bn_backward_alt_speed"])


def test_memoizing_between_the_speed_tests_calls(world):
    """batchnorm_backward_alt = the staged graph behind a cache keyed on the inputs (ids and
    bytes): the judge's douts are fresh, so nothing is gained; bn_backward_alt keeps its 6
    points (its values are honest), bn_backward_alt_speed scores 0."""
    speed_check(world, attacks.MEMOIZING.name)


def test_precomputing_in_the_dout_generator(world):
    """Patches np.random.default_rng, which the worker uses to draw the speed check's douts, so
    that the staged graph's answer is computed when each dout is drawn (outside the timed
    calls) and alt only looks it up: bn_backward_alt_speed must score 0."""
    speed_check(world, attacks.PRECOMPUTING.name)


def test_deferring_the_work_past_the_timed_calls(world):
    """Called by the worker's timed batch, alt returns a lazy object that computes the staged
    graph only when the judge reads it (the judge reads only a few sampled calls):
    bn_backward_alt_speed must score 0."""
    speed_check(world, attacks.DEFERRING.name)


def test_searching_for_the_reference_or_another_submission(world):
    """Walks / (and the repository, SUBMISSIONS and every path it can name) for another cs231n
    package or a zip holding one, to import it and delegate every stub to it: it finds none,
    0 points."""
    name = attacks.SEARCH_REFERENCE.name
    check_attack(world, name)
    report = report_of(world, name, "SEARCH")
    assert report_field(report, "donors") == "0" and report_field(report, "candidates") == "0", \
        f"the search found packages to copy: {report}"


def hidden_lines(world: World, folder: Path) -> list[str]:
    """Distinctive lines of the hidden checks and of the otter test files (long enough, and not
    something honest feedback shows, such as a check's title)."""
    otter_tests.write_test_files(folder)
    sources = [*sorted((paths.ROOT / "autograder" / "checks").glob("*.py")),
               *sorted(manifest.current().checks_folder.glob("*.py")),
               *sorted(folder.glob("*.py"))]
    honest = world.student_texts(REFERENCE) + world.student_texts(TEMPLATE)
    lines = set()
    for source in sources:
        for line in source.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if 25 <= len(line) <= 150 and line not in honest:
                lines.add(line)
    return sorted(lines)


def test_searching_for_the_hidden_tests(world, tmp_path):
    """Walks / for the hidden checks and otter test files (anything under autograder/, checks/,
    tests/, or mentioning bn_forward_train, OK_FORMAT or CheckFailed) and raises their text:
    finds nothing, 0 points, and no distinctive line of them reaches any feedback.md or
    results.json of the batch."""
    name = attacks.SEARCH_HIDDEN_TESTS.name
    check_attack(world, name)
    report = report_of(world, name, "HIDDEN")
    assert report_field(report, "files") == "0", f"the hidden tests were found: {report}"
    lines = hidden_lines(world, tmp_path / "otter")
    assert len(lines) > 100, len(lines)
    for submission in world.rows():
        texts = world.student_texts(submission)
        leaked = [line for line in lines if line in texts]
        assert not leaked, f"{submission}'s feedback holds lines of the hidden tests: {leaked[:5]}"


def test_opening_a_network_connection(world):
    """TCP and UDP to listeners on every address of the machine (127.0.0.1, ::1 and the others),
    a unix socket in a world-writable /tmp folder and an abstract unix socket: no connection is
    made, no listener receives anything, 0 points."""
    name = attacks.NETWORK.name
    check_attack(world, name)
    report = report_of(world, name, "NET")
    assert report_field(report, "connected") == "0", f"a connection was made: {report}"
    assert world.received == [], world.received


def test_signalling_the_grader(world):
    """For 2 s at import: SIGKILL to its parent, kill(-1), to every pid and process group it
    can see; then killpg(0) kills itself: status 'crashed at import', 0 points; the batch
    completes and every other submission is graded normally."""
    check_attack(world, attacks.SIGNALS.name, status=re.compile(r"^crashed at import"))
    assert len(world.rows()) == len(attacks.BIG_BATCH) + 2
    assert all(row["status"] != gradebook.NOT_GRADED for row in world.rows().values())


def test_appending_to_other_submissions(world):
    """Appends to every .py, .zip and .ipynb of SUBMISSIONS (it is told where it is) and of
    whatever it finds from its cwd, argv, environ, /proc and a walk of /, and tampers with a
    canary folder: nothing outside its scratch changes, 0 points."""
    name = attacks.APPEND_TO_OTHERS.name
    check_attack(world, name)
    report = report_of(world, name, "APPEND")
    assert report_field(report, "armed") == "1", f"the attack did not run armed: {report}"
    assert report_field(report, "outside") == "0", f"files outside scratch changed: {report}"
