"""The demo submissions as Gradescope would export them, to try the instructor's loop offline.

`python -m autograder.build.demo_export DEMO DIR` (`make demo-export`) writes, from the demo zips of
DEMO (`make demo`), DIR/submissions.zip laid out as Gradescope's "Export Submissions"
(`assignment_4242_export/submission_metadata.yml` and one `submission_<id>/` folder each: half
hold the student's zip, half its unzipped files) and DIR/written_scores.csv in the columns of
Gradescope's "Download Grades" of a written assignment. Invented students; on purpose, one group
of two, names beyond ASCII, a folder the metadata does not name, a student named without a
folder, and a row of written scores that matches no one.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import zipfile
from pathlib import Path

from autograder import manifest, paths
from autograder.build.demo import write_zip

TOP = "assignment_4242_export"
STUDENTS = [  # (name, SID, email), one per demo submission in sorted order, then extras
    ("Zoë Dupont", "2024001", "zoe.dupont@example.edu"),
    ("Ana Lima", "2024002", "ana.lima@example.edu"),
    ("Björn Ångström", "2024003", "bjorn@example.edu"),
    ("Chidi Okafor", "2024004", "chidi@example.edu"),
    ("Dana Cohen", "2024005", "dana@example.edu"),
    ("Eve Martin", "2024006", "eve@example.edu"),
    ("Farah Khan", "2024007", "farah@example.edu"),
    ("Gus Li", "2024008", "gus@example.edu"),
    ("Hana Sato", "2024009", "hana@example.edu"),  # her folder is not in the metadata
    ("Ian Novák", "2024010", "ian@example.edu"),
]
PARTNER = ("王小明", "2024011", "wang@example.edu")  # in a group with the second student
LATE = ("Late Larry", "2024012", "larry@example.edu")  # in the metadata, no folder
DROPPED = ("Drop Ped", "2024099", "dropped@example.edu")  # written scores only


def submitters_yaml(students: list[tuple[str, str, str]]) -> str:
    return "  :submitters:\n" + "".join(
        f"  - :name: {name}\n    :sid: '{sid}'\n    :email: {email}\n"
        for name, sid, email in students)


def export_files(demo: Path) -> tuple[dict[str, bytes], list[tuple[str, str, str]]]:
    """{name in the export zip: content}, and every student the written scores list."""
    zips = sorted(Path(demo).glob("*.zip"), key=lambda p: p.name.casefold())
    files, metadata, students = {}, [], []
    for number, (path, student) in enumerate(zip(zips, STUDENTS)):
        folder = f"{TOP}/submission_{5000 + number}"
        if number % 2 == 0:
            files[f"{folder}/{path.name}"] = path.read_bytes()
        else:
            with zipfile.ZipFile(path) as archive:
                for entry in archive.infolist():
                    if not entry.is_dir():
                        files[f"{folder}/{entry.filename}"] = archive.read(entry)
        members = [student] + ([PARTNER] if number == 1 else [])
        students += members
        if student[0] == "Hana Sato":
            continue
        metadata.append(f"submission_{5000 + number}:\n" + submitters_yaml(members)
                        + "  :created_at: 2026-03-01 10:00:00.000000000 -08:00\n"
                        + "  :score: !ruby/object:BigDecimal 18:0.0\n"
                        + "  :status: processed\n  :results: {}\n  :history: []\n")
    metadata.append("submission_5999:\n" + submitters_yaml([LATE]) + "  :status: processed\n")
    files[f"{TOP}/submission_metadata.yml"] = "".join(metadata).encode("utf-8")
    return files, students + [LATE, DROPPED]


def demo_score(question: int, student: int, points: float) -> float:
    """A varied, reproducible score of `points` for the demo's written grades."""
    return [points, points - 0.25 * points * (student % 3), points * (student % 4 != 3),
            points / 2 * (1 + student % 2)][question % 4]


def written_scores_csv(students: list[tuple[str, str, str]]) -> str:
    """Gradescope's grades CSV of the written assignment: one question per written question of
    the manifest, headed as Gradescope heads them."""
    written = list(manifest.current().written.values())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["First Name", "Last Name", "SID", "Email", "Sections", "Total Score",
                     "Max Points", "Status", "Submission ID", "Submission Time",
                     "Lateness (H:M:S)", "View Count", "Submission Count",
                     *(f"{n}: {question.title} ({question.points:.1f} pts)"
                       for n, question in enumerate(written, start=1))])
    maximum = sum(question.points for question in written)
    for number, (name, sid, email) in enumerate(students):
        first, _, last = name.partition(" ")
        scores = [demo_score(k, number, question.points) for k, question in enumerate(written)]
        writer.writerow([first, last, sid, email, "", f"{sum(scores):g}", f"{maximum:.1f}",
                         "Graded",
                         str(9000 + number), "2026-03-02 10:00:00 -0800", "0:00:00", "1", "1",
                         *(f"{score:g}" for score in scores)])
    return buffer.getvalue()


def build(demo: Path, destination: Path) -> tuple[Path, Path]:
    files, students = export_files(demo)
    export, written = Path(destination) / "submissions.zip", Path(destination) / "written_scores.csv"
    write_zip(export, files)
    from autograder.grading.results import write_text_atomic

    write_text_atomic(written, written_scores_csv(students))
    return export, written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    name = manifest.current().name
    parser.add_argument("demo", type=Path, nargs="?", default=paths.DIST / name / "demo",
                        help="the demo submissions (default: %(default)s, made by make demo)")
    parser.add_argument("destination", type=Path, nargs="?", default=paths.DIST / name / "demo-export",
                        help="where submissions.zip and written_scores.csv go "
                             "(default: %(default)s)")
    args = parser.parse_args(argv)
    export, written = build(args.demo, args.destination)
    print(f"wrote {export} (Gradescope's export of the demo) and {written} (written scores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
