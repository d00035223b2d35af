"""Charts drawn on the server as SVG: a provider's grades over time, a group's count by grade.

Readable without colour: every grade has its own marker shape and its words on the axis, each
point carries a text title, and the page beside the chart lists the same data as text. The
geometry is computed here; ``templates/charts/*.svg`` draws it (autoescaped like every page).
"""
from __future__ import annotations

from datetime import date

from . import words

#: Marker shape per rank on a scale (1 = best): circle, square, diamond, triangle, cross.
SHAPES = ("circle", "square", "diamond", "triangle", "cross")

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 200, 24, 20, 36


def _day(iso: str | None) -> date | None:
    try:
        return date.fromisoformat((iso or "")[:10])
    except ValueError:
        return None


def scale_rows(scale: str) -> list[tuple[int, str]]:
    """(rank, words) for each rank of a scale, best first; synonyms of a rank share a row."""
    rows: dict[int, list[str]] = {}
    for token, (name, rank) in words.SCALES.items():
        if name == scale:
            rows.setdefault(rank, []).append(token)
    out = []
    for rank in sorted(rows):
        tokens = rows[rank]
        if "requires_improvement" in tokens:
            label = "requires improvement"
        else:
            label = words.short_grade(tokens[0])
        out.append((rank, label))
    return out


def grade_chart(reports: list[dict]) -> dict | None:
    """Geometry for a grade-over-time chart of the headline grade, or None with < 1 point.

    Plots the scale most of the provider's graded reports use (the four-point scale for most).
    """
    points = []
    for report in reports:
        found = words.grade_rank(report.get("overall"))
        day = _day(report.get("inspection_date") or report.get("publication_date"))
        if found and day:
            points.append((day, report["overall"], found[0], found[1]))
    if not points:
        return None
    scales: dict[str, int] = {}
    for _, _, scale, _ in points:
        scales[scale] = scales.get(scale, 0) + 1
    scale = max(scales, key=lambda s: (scales[s], s == "four_point"))
    points = [p for p in points if p[2] == scale]
    rows = scale_rows(scale)
    ranks = [rank for rank, _ in rows]
    plot_h = HEIGHT - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT
    step = plot_h / max(len(rows) - 1, 1)
    y_of = {rank: TOP + i * step for i, rank in enumerate(ranks)}
    first, last = min(p[0] for p in points), max(p[0] for p in points)
    start = date(first.year, 1, 1)
    end = date(last.year + 1, 1, 1)
    span = (end - start).days or 1

    def x_of(day: date) -> float:
        return LEFT + plot_w * (day - start).days / span

    marks = []
    for day, token, _, rank in sorted(points):
        marks.append({"x": round(x_of(day), 1), "y": round(y_of[rank], 1),
                      "shape": SHAPES[min(ranks.index(rank), len(SHAPES) - 1)],
                      "grade": words.grade_words(token), "date": words.long_date(day.isoformat()),
                      "css": words.grade_class(token)})
    years = list(range(start.year, end.year + 1))
    every = max(1, len(years) // 8)
    ticks = [{"x": round(x_of(date(y, 1, 1)), 1), "label": str(y)} for y in years[::every]]
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "rows": [{"y": round(y_of[rank], 1), "label": label,
                  "shape": SHAPES[min(i, len(SHAPES) - 1)]}
                 for i, (rank, label) in enumerate(rows)],
        "marks": marks, "line": " ".join(f"{m['x']},{m['y']}" for m in marks), "ticks": ticks,
        "summary": "; ".join(f"{m['date']}: {m['grade']}" for m in marks),
    }


def count_chart(counts: list[tuple[str, str, int]]) -> dict | None:
    """Geometry for a bar chart of providers by current grade: [(token, words, n), ...]."""
    total = sum(n for _, _, n in counts)
    if not total:
        return None
    biggest = max(n for _, _, n in counts)
    bar_h, gap, left, width = 22, 10, 190, 560
    plot_w = width - left - 60
    bars = []
    for i, (token, label, n) in enumerate(counts):
        y = 10 + i * (bar_h + gap)
        bars.append({"y": y, "h": bar_h, "w": round(plot_w * n / biggest, 1) if n else 0,
                     "label": label, "n": n, "css": words.grade_class(token),
                     "text_y": y + bar_h * 0.7})
    height = 10 + len(counts) * (bar_h + gap)
    return {"width": width, "height": height, "left": left, "bars": bars,
            "summary": "; ".join(f"{b['label']}: {b['n']}" for b in bars)}
