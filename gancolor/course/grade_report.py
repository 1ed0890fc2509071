"""The grades of :mod:`gancolor.course.grading` as a text report, JSON or CSV.

- :func:`text_report`: per student, every exercise (``pass`` / ``FAIL`` and the check's message)
  and the problems of the run, then one summary table per course notebook (a row per student,
  a column per exercise);
- :func:`json_report`: the same as one JSON document;
- :func:`csv_rows` / :func:`write_csv`: one row per student and exercise, for a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from gancolor.course.grading import GradedSubmission

__all__ = ["CSV_COLUMNS", "text_report", "json_report", "csv_rows", "write_csv"]

#: The columns of the CSV report, in order.
CSV_COLUMNS = ("student", "submission", "notebook", "exercise", "title", "passed", "message", "problems")


def _notebook_label(number: int | None) -> str:
    return "?" if number is None else f"{number:02d}"


def _indented(message: str, prefix: str) -> list[str]:
    return [prefix + line for line in message.splitlines() or [""]]


def _summary_tables(graded: Sequence[GradedSubmission]) -> list[str]:
    """One table per course notebook: student, each exercise's pass/FAIL, score."""
    lines: list[str] = []
    for number in sorted({g.notebook for g in graded}, key=lambda n: -1 if n is None else n):
        group = [g for g in graded if g.notebook == number]
        ids: list[str] = []
        for g in group:
            ids.extend(r.exercise_id for r in g.exercises if r.exercise_id not in ids)
        header = ["student", *ids, "score"]
        rows = []
        for g in group:
            verdicts = {r.exercise_id: ("pass" if r.passed else "FAIL") for r in g.exercises}
            score = f"{g.score}/{g.total}" + (" !" if g.problems else "")
            rows.append([g.student, *(verdicts.get(i, "-") for i in ids), score])
        widths = [max(len(row[col]) for row in [header, *rows]) for col in range(len(header))]
        lines.append(f"notebook {_notebook_label(number)}: {len(group)} submission(s)"
                     + ("  (! = problems, see above)" if any(g.problems for g in group) else ""))
        for row in [header, *rows]:
            lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                         .rstrip())
    return lines


def text_report(graded: Sequence[GradedSubmission]) -> str:
    """The report ``gancolor grade`` prints: each submission in detail, then the summary tables."""
    lines: list[str] = []
    for g in graded:
        lines.append(f"{g.student} ({g.path}, notebook {_notebook_label(g.notebook)}): "
                     f"{g.score}/{g.total} exercises passed")
        for result in g.exercises:
            verdict = "pass" if result.passed else "FAIL"
            lines.append(f"  {verdict}  {result.exercise_id}  {result.title}")
            if not result.passed:
                lines.extend(_indented(result.message, "        "))
        for problem in g.problems:
            lines.append(f"  problem: {problem}")
        lines.append("")
    lines.extend(_summary_tables(graded))
    return "\n".join(lines) + "\n"


def _submission_dict(g: GradedSubmission) -> dict:
    return {
        "student": g.student,
        "submission": str(g.path),
        "notebook": g.notebook,
        "score": g.score,
        "total": g.total,
        "seconds": round(g.seconds, 1),
        "problems": list(g.problems),
        "exercises": [{"exercise": r.exercise_id, "title": r.title, "passed": r.passed, "message": r.message}
                      for r in g.exercises],
    }


def json_report(graded: Sequence[GradedSubmission]) -> str:
    """``{"submissions": [{student, submission, notebook, score, total, seconds, problems,
    exercises: [{exercise, title, passed, message}]}]}`` as indented JSON."""
    return json.dumps({"submissions": [_submission_dict(g) for g in graded]}, indent=2, ensure_ascii=False)


def csv_rows(graded: Sequence[GradedSubmission]) -> list[dict[str, str]]:
    """One row (:data:`CSV_COLUMNS`) per student and exercise; a submission without exercises
    (unreadable, unknown notebook) gets one row with an empty exercise."""
    rows = []
    for g in graded:
        common = {"student": g.student, "submission": str(g.path), "notebook": _notebook_label(g.notebook),
                  "problems": "; ".join(g.problems)}
        if not g.exercises:
            rows.append({**common, "exercise": "", "title": "", "passed": "", "message": ""})
        for r in g.exercises:
            rows.append({**common, "exercise": r.exercise_id, "title": r.title,
                         "passed": "yes" if r.passed else "no", "message": r.message})
    return [{column: row[column] for column in CSV_COLUMNS} for row in rows]


def write_csv(graded: Sequence[GradedSubmission], path: str | Path) -> None:
    """Write :func:`csv_rows` to ``path`` (UTF-8, a header row), atomically."""
    from gancolor.io_utils import atomic_write_text

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(graded))
    atomic_write_text(path, buffer.getvalue())
