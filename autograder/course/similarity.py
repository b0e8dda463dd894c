"""`make similarity`: which students' code looks copied, by copydetect (winnowing).

For every submission of a folder or a Gradescope export (found and taken out exactly as `make
grade` does: submissions.py, roster.py, extract.py), the files students edit (the manifest's
student_files) are put end to end into one text per submission. copydetect (MOSS's winnowing, on Pygments tokens with names, strings and comments abstracted away, so that
renamed identifiers, new comments and other spacing change nothing) compares every pair; the
handout's own files are its boilerplate, so the starter code and the stubs are never evidence
(two untouched templates share nothing). An optional folder of known public solutions (zips or
folders, any layout `make grade` accepts) is compared with every student too. Student code is
only read as text, never imported or run.

OUT/similarity.csv lists every pair that shares code, highest score first: `score` (the larger of
the two shares), each side's label and share of its own code found in the other, and the matched
tokens. OUT/similarity.html is copydetect's report (the pairs above THRESHOLD, at most the MOST
highest, the matched regions side by side), with the roster's names in place of file names and a style that shows the code
side by side without a network. An existing OUT/report.html gets a link to it.

    python -m autograder.course.similarity SUBMISSIONS OUT [--reference DIR] [--threshold 0.3]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import html
import io
import logging
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder import paths
from autograder.grading import extract
from autograder.course import roster
from autograder.course.gradebook import SIMILARITY_CSV, SIMILARITY_HTML
from autograder.grading.results import write_text_atomic
from autograder.course.submissions import Submission, SubmissionsError, find_submissions

# copydetect's k-gram length (characters of the abstracted token stream) and its guarantee
# threshold (equal: every shared k-gram is a fingerprint). Calibrated in tests/test_similarity.py.
NOISE = 25
GUARANTEE = 25
THRESHOLD = 0.3  # pairs above this score are shown in the HTML report ...
MOST = 100  # ... the highest this many at the most (similarity.csv lists them all)
OFFLINE_STYLE = """<style>
.row { display: flex; gap: 1em; } .col { flex: 1 1 0; min-width: 0; overflow-x: auto; }
.collapse:not(.show) { display: block; } pre { font-size: 0.8em; }
</style>
</head>"""


class SimilarityError(Exception):
    """The submissions or the output folder cannot be used at all."""


@dataclass
class Entry:
    """One text compared: a student's submission, or a known public solution."""

    label: str
    kind: str  # "student" or "reference"
    code: str | None  # None: nothing to compare (the reason is `problem`)
    problem: str = ""


def student_files(source: Path, scratch: Path) -> tuple[str | None, str]:
    """The text of the files students edit, put end to end, or (None, why not)."""
    prepared = extract.prepare(source, scratch)
    extract.complete_from_loose_files(prepared, paths.HANDOUT_PACKAGE)
    if prepared.problem:
        return None, prepared.problem
    root = prepared.package_root()
    first = next(iter(paths.STUDENT_FILES.values()))
    if root is None:
        return None, f"no {first}"
    parts = []
    for relative in paths.STUDENT_FILES.values():
        file = root / relative
        if file.is_file():
            parts.append(f"# {relative}\n" + file.read_bytes().decode("utf-8", "replace"))
    return ("\n".join(parts), "") if parts else (None, f"no {first}")


def handout_code() -> str:
    """The starter code of the files students edit: copydetect's boilerplate."""
    return "\n".join(f"# {relative}\n" + (paths.STUDENT_TEMPLATE / relative).read_text("utf-8")
                     for relative in paths.STUDENT_FILES.values())


def label_of(submission: Submission, export: roster.Export | None) -> str:
    if export is None:
        return submission.name
    students = export.roster.students(submission.name)
    names = " & ".join(s.name or s.email or s.sid for s in students if s.name or s.email or s.sid)
    return f"{names} ({submission.name})" if names else submission.name


def entries_of(found: list[Submission], export, kind: str, scratch: Path) -> list[Entry]:
    entries = []
    for number, submission in enumerate(found):
        code, problem = student_files(submission.path, scratch / f"{kind}-{number:05d}")
        label = label_of(submission, export) if kind == "student" else f"public: {submission.name}"
        entries.append(Entry(label, kind, code, problem))
    return entries


@dataclass
class Pair:
    first: Entry
    second: Entry
    first_share: float  # of the first's code, the part found in the second
    second_share: float
    tokens: int

    @property
    def score(self) -> float:
        return max(self.first_share, self.second_share)


def compare(entries: list[Entry], threshold: float = THRESHOLD, most: int = MOST,
            noise: int = NOISE, guarantee: int = GUARANTEE) -> tuple[list[Pair], str]:
    """Every pair (student-student, student-reference) sharing code, highest first, and
    copydetect's HTML report with the labels in place of file names."""
    from copydetect import CopyDetector

    compared = [entry for entry in entries if entry.code is not None]
    with tempfile.TemporaryDirectory(prefix="bn-similarity-") as scratch:
        folder = Path(scratch)
        detector = CopyDetector(noise_t=noise, guarantee_t=guarantee, display_t=threshold,
                                extensions=["py"], autoopen=False, silent=True, truncate=True,
                                out_file=str(folder / "report.html"))
        boilerplate = folder / "handout.py"
        boilerplate.write_text(handout_code(), encoding="utf-8")
        detector.add_file(str(boilerplate), "boilerplate")
        files = {}
        for number, entry in enumerate(compared):
            file = folder / f"{entry.kind[0]}{number:06d}.py"
            file.write_text(entry.code, encoding="utf-8")
            files[str(file)] = entry
            detector.add_file(str(file), "testref" if entry.kind == "student" else "ref")
        pairs = []
        if len([e for e in compared if e.kind == "student"]) >= 1 and len(compared) >= 2:
            with contextlib.redirect_stdout(io.StringIO()):
                detector.run()
            seen = set()
            for i, test in enumerate(detector.test_files):
                for j, ref in enumerate(detector.ref_files):
                    if test == ref or (ref, test) in seen:
                        continue
                    seen.add((test, ref))
                    share_test, share_ref = detector.similarity_matrix[i, j]
                    tokens = int(detector.token_overlap_matrix[i, j])
                    if share_test > 0 or share_ref > 0:
                        pairs.append(Pair(files[test], files[ref], float(share_test),
                                          float(share_ref), tokens))
            scores = sorted((pair.score for pair in pairs), reverse=True)
            if len(scores) > most:  # copydetect shows the pairs strictly above display_t
                detector.conf.display_t = max(threshold, scores[most])
            with contextlib.redirect_stdout(io.StringIO()):
                page = detector.generate_html_report(output_mode="return") or ""
        else:
            page = ""
        for file, entry in sorted(files.items(), key=lambda item: -len(item[0])):
            page = page.replace(file, html.escape(entry.label))
        page = page.replace(str(folder / "report.html"), SIMILARITY_HTML)
        page = page.replace(str(boilerplate), "the handout (boilerplate)")
    page = page.replace("</head>", OFFLINE_STYLE, 1)
    pairs.sort(key=lambda pair: (-pair.score, pair.first.label, pair.second.label))
    return pairs, page


def csv_text(pairs: list[Pair]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["score", "first", "second", "first_share", "second_share", "tokens",
                     "kind"])
    for pair in pairs:
        writer.writerow([f"{pair.score:.3f}", pair.first.label, pair.second.label,
                         f"{pair.first_share:.3f}", f"{pair.second_share:.3f}", pair.tokens,
                         f"{pair.first.kind}-{pair.second.kind}"])
    return buffer.getvalue()


def not_compared_html(entries: list[Entry]) -> str:
    missing = [entry for entry in entries if entry.code is None]
    if not missing:
        return ""
    items = "".join(f"<li>{html.escape(e.label)}: {html.escape(e.problem)}</li>" for e in missing)
    return (f"<div class='container'><h2>Not compared</h2><p>{len(missing)} submissions had no "
            f"code to compare:</p><ul>{items}</ul></div>")


def run(submissions: Path, out: Path, reference: Path | None = None,
        threshold: float = THRESHOLD, most: int = MOST) -> list[Pair]:
    """Write OUT/similarity.csv and OUT/similarity.html; return the pairs, highest first."""
    out = Path(out)
    try:
        with roster.submissions_at(Path(submissions), exclude=out) as (found, export), \
                tempfile.TemporaryDirectory(prefix="bn-similarity-take-") as scratch:
            entries = entries_of(found, export, "student", Path(scratch))
            if reference is not None:
                entries += entries_of(find_submissions(Path(reference)), None, "reference",
                                      Path(scratch))
    except (roster.ExportError, SubmissionsError) as error:
        raise SimilarityError(str(error)) from None
    pairs, page = compare(entries, threshold, most)
    page = page.replace("</body>", not_compared_html(entries) + "</body>", 1) if page else (
        "<!DOCTYPE html><html><body><p>Nothing to compare: fewer than two submissions with "
        f"code.</p>{not_compared_html(entries)}</body></html>")
    write_text_atomic(out / SIMILARITY_CSV, csv_text(pairs))
    write_text_atomic(out / SIMILARITY_HTML, page)
    from autograder.course.report import refresh_similarity

    refresh_similarity(out)
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.course.similarity",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path,
                        help="a folder of submissions or a Gradescope export (zip or folder)")
    parser.add_argument("out", type=Path, help="where similarity.csv and similarity.html go")
    parser.add_argument("--reference", type=Path, default=None,
                        help="a folder of known public solutions (zips or folders) compared "
                             "with every student")
    parser.add_argument("--threshold", type=float, default=THRESHOLD,
                        help="the score above which a pair is shown in similarity.html "
                             "(default: %(default)g; similarity.csv lists every pair)")
    parser.add_argument("--most", type=int, default=MOST,
                        help="the most pairs shown in similarity.html, the highest "
                             "(default: %(default)d)")
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.ERROR)
    try:
        pairs = run(args.submissions, args.out, args.reference, args.threshold, args.most)
    except SimilarityError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    above = sum(pair.score > args.threshold for pair in pairs)
    print(f"{len(pairs)} pairs share code; {above} above {args.threshold:g}"
          + (f" (the highest {args.most} shown in {SIMILARITY_HTML})" if above > args.most else "")
          + "".join(f"\n  {pair.score:.2f}  {pair.first.label}  <->  {pair.second.label}"
                    for pair in pairs[:10]))
    print(f"wrote {args.out / SIMILARITY_CSV} and {args.out / SIMILARITY_HTML}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
