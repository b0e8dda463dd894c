"""The instructors' report of a batch: OUT/report.html.

`write_report` builds one self-contained page (plots embedded as PNG, drawn with matplotlib's Agg
backend): score distribution, per-question pass rates, the most common failure messages and the
distribution of what checks measured (each figure against its threshold).

It reads the records that make grade keeps (gradebook.py) in OUT/<submission>/results.json:
Gradescope's schema, with `extra_data["batch"]` holding the gradebook row and the judge's full
grade. With a Gradescope export the students table names the students; with manual scores a
section gives the written questions' figures and lists the CSV's rows that matched no one; the
upload files and the rows they leave out are listed. Its similarity section links
OUT/similarity.html when `make similarity` wrote one into OUT (`refresh_similarity` rewrites that
section of an existing report).
"""

from __future__ import annotations

import base64
import html
import io
import statistics
from collections import Counter
from pathlib import Path

from autograder import manifest
from autograder.course.gradebook import REPORT, SIMILARITY_CSV, SIMILARITY_HTML
from autograder.course.manual_scores import written_questions
from autograder.grading.grades import questions
from autograder.grading.results import write_text_atomic

THRESHOLD_SUFFIX = "_threshold"  # a measurement's threshold: <name>_threshold

TOP_MESSAGES = 15
TOP_PAIRS = 10
SIMILARITY_START, SIMILARITY_END = "<!-- similarity -->", "<!-- /similarity -->"


def new_figure(width: float, height: float):
    """A matplotlib figure drawn by the Agg backend (no display, no pyplot global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def png(figure) -> str:
    """The figure as a data: URI (PNG)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def score_plot(totals: list[float], max_total: float) -> str:
    figure = new_figure(7, 3.2)
    axes = figure.add_subplot()
    step = max(1.0, max_total / 20)
    bins = [i * step for i in range(int(max_total / step) + 2)]
    axes.hist(totals, bins=bins, color="#4c72b0", edgecolor="white")
    axes.set_xlabel(f"auto-graded total (out of {max_total:g})")
    axes.set_ylabel("submissions")
    axes.set_title("Score distribution")
    axes.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    return png(figure)


def pass_rate_plot(rates: list[tuple[str, float, float]]) -> str:
    figure = new_figure(7, 0.45 * len(rates) + 1.2)
    axes = figure.add_subplot()
    names = [name for name, _, _ in rates][::-1]
    axes.barh(names, [100 * full for _, full, _ in rates][::-1], color="#55a868",
              label="full marks")
    axes.barh(names, [100 * mean for _, _, mean in rates][::-1], color="none",
              edgecolor="#333333", label="mean score (% of points)")
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of submissions (bars) / % of points (outlines)")
    axes.set_title("Per-question results")
    axes.legend(loc="lower right", fontsize="small")
    figure.tight_layout()
    return png(figure)


def ratio_plot(ratios: list[float], threshold: float, name: str = "") -> str:
    figure = new_figure(7, 3.2)
    axes = figure.add_subplot()
    top = max(max(ratios), threshold) + 0.2
    width = 0.05 if top <= 4 else top / 60
    axes.hist(ratios, bins=[i * width for i in range(int(top / width) + 2)], color="#c44e52",
              edgecolor="white")
    axes.axvline(threshold, color="black", linestyle="--", label=f"pass threshold ({threshold:g})")
    axes.set_xlabel(name or "measured")
    axes.set_ylabel("submissions")
    axes.set_title(f"Measured {name}" if name else "Measured by the checks")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(fontsize="small")
    figure.tight_layout()
    return png(figure)


def summarize(records: list[dict]) -> dict:
    """The report's figures, from the records (results.json dicts with extra_data.batch)."""
    batches = [record["extra_data"]["batch"] for record in records]
    totals = [float(batch["grade"]["total"]) for batch in batches]
    statuses = Counter(batch["status"] for batch in batches)
    rates = []
    for name, question in questions().items():
        scores = [q["score"] for batch in batches for q in batch["grade"]["questions"]
                  if q["name"] == name]
        if scores:
            rates.append((name, sum(s == question.points for s in scores) / len(scores),
                          statistics.fmean(scores) / question.points))
    failures = Counter()
    for batch in batches:
        if batch["grade"]["status"] != "ok":
            continue  # "not graded: ..." on every check; the status table counts those
        for question in batch["grade"]["questions"]:
            for check in question["checks"]:
                if not check["passed"]:
                    failures[(question["name"], check["title"], check["message"])] += 1
    # A check that measures records each figure `name` with its threshold, `name_threshold`
    # (the same in one batch): {name: ([figures], threshold)}.
    series: dict[str, tuple[list[float], float]] = {}
    for batch in batches:
        measurements = batch["grade"].get("measurements") or {}
        for name, value in measurements.items():
            threshold = measurements.get(f"{name}{THRESHOLD_SUFFIX}")
            if isinstance(value, (int, float)) and isinstance(threshold, (int, float)):
                figures, known = series.get(name, ([], threshold))
                series[name] = ([*figures, value], max(known, threshold))
    graded = {q["name"] for batch in batches for q in batch["grade"]["questions"]}
    max_total = sum(q.points for name, q in questions().items() if name in graded) or sum(
        q.points for q in questions().values())
    reviews = [(batch["row"]["submission"], question["name"], check["review"],
                check["passed"], (batch["grade"].get("measurements") or {}).get(
                    "review_code", {}).get(question["name"], {}))
               for batch in batches for question in batch["grade"]["questions"]
               for check in question["checks"] if check.get("review")]
    return {"count": len(records), "totals": totals, "reviews": sorted(reviews), "statuses": statuses, "rates": rates,
            "failures": failures.most_common(TOP_MESSAGES), "series": series,
            "max_total": max_total,
            "rows": sorted(((b["row"]["submission"], float(b["grade"]["total"]), b["status"])
                            for b in batches), key=lambda row: (row[0].casefold(), row[0]))}


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
td, th { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
td.n { text-align: right; }
img { max-width: 100%; }
table.code td { width: 50%; } pre { font-size: 0.8rem; white-space: pre-wrap; }
"""


def table(header: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{html.escape(str(cell))}</td>"
                         for i, cell in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def review_section(reviews: list) -> str:
    """The checks no rule could decide, each with the student's functions side by side."""
    parts = ["<h2>Flagged for review</h2>"]
    if not reviews:
        parts.append("<p>No check was flagged: every verdict was decided by a rule.</p>")
        return "".join(parts)
    parts.append(f"<p>{len(reviews)} checks no rule could decide; read the code and change the "
                 "score on the platform where needed (points are kept or withheld until then, "
                 "as make grade's REVIEW= said).</p>")
    for submission, question, reason, kept, code in reviews:
        parts.append(f"<h3>{html.escape(submission)}: {html.escape(question)} (points "
                     f"{'kept' if kept else 'withheld'})</h3><p>{html.escape(reason)}</p>")
        if code:
            cells = "".join(f"<td><b>{html.escape(name)}</b><pre>{html.escape(source)}</pre></td>"
                            for name, source in code.items())
            parts.append(f"<table class=code><tr>{cells}</tr></table>")
    return "".join(parts)


def written_section(students: list[dict], people) -> str:
    """The written questions' figures and the manual scores' rows that matched no one."""
    manual = people.manual
    parts = ["<h2>Written questions (graded by hand, MANUAL)</h2>"]
    rows = []
    for question in written_questions():
        scores = [float(row[question]) for row in students if row.get(question, "") != ""]
        rows.append([question, manual.columns.get(question, "-"), len(scores),
                     f"{statistics.fmean(scores):.2f}" if scores else "-"])
    parts.append(table(["question", "column of the CSV", "students scored", "mean"], rows,
                       {2, 3}))
    missing = [row for row in students if "no manual scores" in row["status"]]
    parts.append(f"<p>{len(manual.rows) - len(manual.unmatched)} of {len(manual.rows)} rows of "
                 f"the CSV matched a student; {len(missing)} gradebook rows have no manual "
                 "scores.</p>")
    if manual.notes:
        parts.append("<p>" + html.escape("; ".join(manual.notes)) + "</p>")
    if manual.unmatched:
        parts.append("<p>Rows of the manual scores matching no student (by email or SID):</p>")
        parts.append(table(["line", "name", "email", "SID"],
                           [[r.line, r.name, r.email, r.sid] for r in manual.unmatched], {0}))
    return "\n".join(parts)


def similarity_section(out: Path) -> str:
    """A link to OUT/similarity.html and its top pairs, or how to make it."""
    parts = [SIMILARITY_START, "<h2>Similarity (copied code)</h2>"]
    csv_path = Path(out) / SIMILARITY_CSV
    if (Path(out) / SIMILARITY_HTML).is_file() and csv_path.is_file():
        import csv

        with open(csv_path, encoding="utf-8", newline="") as stream:
            pairs = list(csv.DictReader(stream))
        parts.append(f"<p><a href='{SIMILARITY_HTML}'>The similarity report</a> "
                     f"({len(pairs)} pairs in <a href='{SIMILARITY_CSV}'>{SIMILARITY_CSV}</a>, "
                     "highest first). The highest:</p>")
        parts.append(table(["score", "first", "second"], [
            [pair["score"], pair["first"], pair["second"]] for pair in pairs[:TOP_PAIRS]], {0}))
    else:
        parts.append("<p>Not checked yet: <code>make similarity SUBMISSIONS=&lt;the same "
                     "submissions&gt; OUT=&lt;this folder&gt;</code> writes similarity.html here "
                     "and links it from this page.</p>")
    parts.append(SIMILARITY_END)
    return "\n".join(parts)


def refresh_similarity(out: Path) -> bool:
    """Rewrite the similarity section of OUT/report.html, if there is one; True if done."""
    path = Path(out) / REPORT
    try:
        page = path.read_text(encoding="utf-8")
    except OSError:
        return False
    start, end = page.find(SIMILARITY_START), page.find(SIMILARITY_END)
    if start < 0 or end < start:
        return False
    write_text_atomic(path, page[:start] + similarity_section(out)
                      + page[end + len(SIMILARITY_END):])
    return True


def upload_section(uploaded) -> str:
    """The Canvas file to import, and the students refused, unmatched or left out of it."""
    links = ", ".join(f"<a href='{html.escape(p.name)}'>{html.escape(p.name)}</a>"
                      for p in uploaded.paths)
    parts = ["<h2>Scores to upload</h2>",
             f"<p>{links}: Canvas's gradebook import (*Grades* &rarr; *Import*), on the rows of "
             "Canvas's own export, the programming and written scores in separate columns; see "
             "the README, Instructors.</p>"]
    lines = uploaded.lines()
    parts.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>")
    return "\n".join(parts)


def render(summary: dict, title: str, sandbox: str = "", students: list[dict] | None = None,
           people=None, out: Path | None = None, uploaded=None) -> str:
    totals = summary["totals"]
    parts = [f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
             f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>"]
    if sandbox:
        parts.append(f"<p>Student code ran under {html.escape(sandbox)}.</p>")
    if not totals:
        parts.append("<p>No submissions graded.</p></body></html>")
        return "".join(parts)
    ok = summary["statuses"].get("ok", 0)
    parts.append(
        f"<p>{summary['count']} submissions, {ok} graded without remarks. Auto-graded total out "
        f"of {summary['max_total']:g}: mean {statistics.fmean(totals):.1f}, median "
        f"{statistics.median(totals):.1f}, min {min(totals):g}, max {max(totals):g}. "
        "The written questions are graded by hand and are not included.</p>")
    parts.append("<h2>Score distribution</h2>")
    parts.append(f"<img alt='score distribution' src='{score_plot(totals, summary['max_total'])}'>")
    parts.append("<h2>Statuses</h2>")
    parts.append(table(["status", "submissions"], sorted(
        summary["statuses"].items(), key=lambda item: (-item[1], item[0])), {1}))
    if summary["rates"]:
        parts.append("<h2>Per-question pass rates</h2>")
        parts.append(f"<img alt='pass rates' src='{pass_rate_plot(summary['rates'])}'>")
        parts.append(table(["question", "points", "full marks", "mean score"], [
            [name, f"{questions()[name].points:g}", f"{100 * full:.0f}%", f"{100 * mean:.0f}%"]
            for name, full, mean in summary["rates"]], {1, 2, 3}))
    parts.append("<h2>Most common failure messages</h2>")
    if summary["failures"]:
        parts.append("<p>Among the submissions whose package could be graded.</p>")
        parts.append(table(["submissions", "question", "check", "message"], [
            [count, question, title, message]
            for (question, title, message), count in summary["failures"]], {0}))
    else:
        parts.append("<p>No failing checks.</p>")
    for name, (figures, threshold) in sorted(summary["series"].items()):
        parts.append(f"<h2>Measured: {html.escape(name)}</h2>")
        parts.append(
            f"<p>{len(figures)} measurements; median {statistics.median(figures):.2f}, "
            f"{sum(f <= threshold for f in figures)} at or below the threshold "
            f"{threshold:g}.</p>")
        parts.append(f"<img alt='{html.escape(name)}' src='{ratio_plot(figures, threshold, name)}'>")
    parts.append(review_section(summary["reviews"]))
    if people is not None and people.manual is not None:
        parts.append(written_section(students or [], people))
    if uploaded is not None and uploaded.paths:
        parts.append(upload_section(uploaded))
    if out is not None:
        parts.append(similarity_section(out))
    if students and "name" in students[0]:
        parts.append("<h2>Students</h2>")
        parts.append(table(["name", "email", "SID", "submission", "total", "status"], [
            [row["name"], row["email"], row["sid"], row["submission"], row["total"],
             row["status"]] for row in students], {4}))
    else:
        parts.append("<h2>Submissions</h2>")
        parts.append(table(["submission", "total", "status"],
                           [[name, f"{total:g}", status]
                            for name, total, status in summary["rows"]], {1}))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(records: list[dict], out: Path, title: str | None = None, sandbox: str = "", students: list[dict] | None = None,
                 people=None, uploaded=None) -> Path:
    """Write OUT/report.html (atomically) from the submissions' records; return its path.

    `sandbox` says what student code ran under (sandbox.Protections.summary); `students` are
    grades.csv's rows, `people` the batch's gradebook.Class (roster, manual scores) and
    `uploaded` the upload files written (upload.Upload).
    """
    path = Path(out) / REPORT
    title = title or f"{manifest.current().title}: grading report"
    write_text_atomic(path, render(summarize(records), title, sandbox, students, people, out,
                                   uploaded))
    return path
