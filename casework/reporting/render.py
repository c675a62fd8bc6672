"""Render a :class:`~casework.reporting.build.Report` as HTML, CSV and JSON files.

The HTML is self-contained: inline CSS and inline SVG charts, no scripts, no CDN,
so it can be mailed or opened from a file share as it is.
"""

from __future__ import annotations

import csv
import io
from html import escape
from pathlib import Path

from casework.reporting._format import change, fmt, fmt_measure, measure_kind
from casework.reporting._svg import bar_chart, line_chart
from casework.reporting.build import Report, Section
from casework.reporting.kpis import KPIS, KpiResult

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1a202c;
margin:0 auto;max-width:980px;padding:24px;line-height:1.4}
header{border-bottom:3px solid #2b6cb0;margin-bottom:16px}
h1{margin:0 0 4px;font-size:26px}h2{margin-top:32px;border-bottom:1px solid #e2e8f0}
h3{margin:20px 0 6px;font-size:16px}.meta{color:#4a5568;margin:0 0 12px}
.note{background:#fffbea;border:1px solid #f6e05e;padding:10px 14px;border-radius:6px}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid #e2e8f0;border-radius:8px;padding:10px 12px;min-width:150px;flex:1}
.card .t{font-size:12px;color:#4a5568}.card .v{font-size:22px;font-weight:600}
.good{color:#276749}.bad{color:#c53030}.flat{color:#718096}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{border-bottom:1px solid #e2e8f0;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f7fafc}
.legend{font-size:12px;color:#4a5568}.sw{display:inline-block;width:10px;height:10px;margin:0 4px}
dl{font-size:13px}dt{font-weight:600;margin-top:8px}dd{margin-left:16px;white-space:pre-line}
footer{margin-top:40px;color:#4a5568;font-size:12px}.wide{overflow-x:auto}
"""

#: File names written for every report.
HTML_NAME, CSV_NAME, JSON_NAME, BREACHES_NAME = (
    "report.html",
    "report.csv",
    "report.json",
    "breaches.csv",
)


#: Measures kept in CSV/JSON but left out of the HTML tables (too wide).
_HIDDEN = frozenset(
    {"first_response_met", "first_response_breached", "resolution_met", "resolution_breached"}
)
_LABELS = {
    "first_response_compliance": "first response",
    "resolution_compliance": "resolution",
    "age_lt_1d": "< 1 d",
    "age_1_3d": "1-3 d",
    "age_3_7d": "3-7 d",
    "age_gt_7d": "> 7 d",
}


def _label(measure: str) -> str:
    return _LABELS.get(measure, measure.replace("_", " "))


def _groups(kpi: KpiResult) -> list[str]:
    return sorted(kpi.current, key=lambda g: (g != "all", g))


def _card(kpi: KpiResult) -> str:
    kind = measure_kind(kpi.headline)
    current, previous = kpi.value(), kpi.value(previous=True)
    text, tone = change(current, previous, kind, kpi.better)
    n = kpi.current.get("all", {}).get(kpi.count)
    return (
        f'<div class="card"><div class="t">{escape(kpi.title)}</div>'
        f'<div class="v">{escape(fmt(current, kind))}</div>'
        f'<div class="{tone}">{escape(text)}</div>'
        f'<div class="t">{escape(kpi.count)}: {escape(fmt_measure(kpi.count, n))}</div></div>'
    )


def _kpi_table(kpi: KpiResult) -> str:
    groups = _groups(kpi)
    if not groups:
        return '<p class="flat">No data in this period.</p>'
    measures: list[str] = []
    for g in groups:
        measures += [m for m in kpi.current[g] if m not in measures and m not in _HIDDEN]
    head = "".join(f"<th>{escape(_label(m))}</th>" for m in measures)
    label = escape(kpi.by or "")
    rows = []
    for g in groups:
        cells = "".join(
            f"<td>{escape(fmt_measure(m, kpi.current[g].get(m)))}</td>" for m in measures
        )
        prev = (kpi.previous or {}).get(g, {}).get(kpi.headline)
        text, tone = change(
            kpi.current[g].get(kpi.headline), prev, measure_kind(kpi.headline), kpi.better
        )
        cmp = f'<td class="{tone}">{escape(fmt_measure(kpi.headline, prev))} ({escape(text)})</td>'
        rows.append(f"<tr><td>{escape(g)}</td>{cells}{cmp}</tr>")
    return (
        f'<div class="wide"><table><tr><th>{label}</th>{head}'
        f"<th>previous {escape(_label(kpi.headline))}</th></tr>" + "".join(rows) + "</table></div>"
    )


def _section(section: Section) -> str:
    out = [f"<h2>{escape(section.title)}</h2>"]
    if section.trend:
        for name in section.trend[0].values:
            spec = KPIS[name]
            kind = measure_kind(spec.headline)
            points = [(p.label, p.values.get(name)) for p in section.trend]
            out.append(f"<h3>{escape(spec.title)} ({escape(spec.headline)}), week by week</h3>")
            out.append(line_chart(f"{spec.title} by week", points, kind))
        return "".join(out)
    for kpi in section.kpis:
        out.append(f"<h3>{escape(kpi.title)}</h3>")
        if kpi.by:
            rows = [
                (
                    g,
                    kpi.current[g].get(kpi.headline),
                    (kpi.previous or {}).get(g, {}).get(kpi.headline),
                )
                for g in _groups(kpi)
            ]
            out.append(bar_chart(f"{kpi.title} by {kpi.by}", rows, measure_kind(kpi.headline)))
        out.append(_kpi_table(kpi))
    return "".join(out)


def _breaches(report: Report) -> str:
    if not report.breaches:
        return ""
    cols = [
        "case_id",
        "process",
        "priority",
        "region",
        "team",
        "assignee",
        "clock",
        "sla",
        "deadline",
    ]
    head = "".join(f"<th>{c}</th>" for c in cols)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(str(b.get(c) or '-'))}</td>" for c in cols) + "</tr>"
        for b in report.breaches
    )
    return f"<h2>Breached and at-risk cases</h2><table><tr>{head}</tr>{rows}</table>"


def render_html(report: Report) -> str:
    """Return the report as one self-contained HTML page."""
    meta = f"{report.period_label}"
    if report.region:
        meta += f" · region {report.region}"
    meta += (
        f" · generated {report.generated_at.strftime('%Y-%m-%d %H:%M')} UTC · run {report.run_id}"
    )
    body = [
        f"<header><h1>{escape(report.title)}</h1>"
        f'<p class="meta">{escape(meta)}</p>'
        f'<p class="meta">{escape(report.description)}</p></header>'
    ]
    if report.message:
        body.append(f'<p class="note">{escape(report.message)}</p>')
    cards = [k for s in report.sections if s.by is None for k in s.kpis]
    if cards:
        body.append('<div class="cards">' + "".join(_card(k) for k in cards) + "</div>")
        body.append(
            '<p class="legend">Changes compare with the previous period of the same length. '
            'Charts: <span class="sw" style="background:#2b6cb0"></span>this period '
            '<span class="sw" style="background:#b9cde5"></span>previous period.</p>'
        )
    body.append(_breaches(report))
    body.extend(_section(s) for s in report.sections)
    used = sorted(
        {k.name for s in report.sections for k in s.kpis}
        | {n for s in report.sections for p in s.trend[:1] for n in p.values}
    )
    if used:
        defs = "".join(
            f"<dt>{escape(KPIS[n].title)}</dt><dd>{escape(KPIS[n].definition)}</dd>" for n in used
        )
        body.append(f"<h2>Definitions</h2><dl>{defs}</dl>")
    body.append(
        f"<footer>casework · {escape(report.report)} · SQL {report.sql_seconds:.2f} s of "
        f"{report.total_seconds:.2f} s</footer>"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(report.title)} · {escape(report.period_label)}</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )


def render_csv(report: Report) -> str:
    """Return one row per (section, KPI, group, measure) with this and the previous value."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["section", "kpi", "by", "group", "measure", "current", "previous"])
    for section in report.sections:
        for kpi in section.kpis:
            for g in _groups(kpi):
                for m, v in kpi.current[g].items():
                    prev = (kpi.previous or {}).get(g, {}).get(m)
                    out.writerow(
                        [section.title, kpi.name, kpi.by or "", g, m, _cell(v), _cell(prev)]
                    )
        for point in section.trend:
            for name, v in point.values.items():
                out.writerow(
                    [section.title, name, "week", point.label, KPIS[name].headline, _cell(v), ""]
                )
    return buf.getvalue()


def render_breaches_csv(report: Report) -> str:
    """Return the digest's breached/at-risk case list as CSV."""
    buf = io.StringIO()
    cols = ["case_id", "process", "title", "priority", "region", "team", "assignee", "clock",
            "sla", "deadline", "breached_at"]  # fmt: skip
    out = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    out.writeheader()
    out.writerows(report.breaches)
    return buf.getvalue()


def _cell(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.1f}"
    return str(value)


def write_files(report: Report, directory: Path) -> list[Path]:
    """Write ``report.html``, ``report.csv``, ``report.json`` (and ``breaches.csv``).

    Returns:
        The paths written, HTML first.
    """
    directory.mkdir(parents=True, exist_ok=True)
    files = [
        (HTML_NAME, render_html(report)),
        (CSV_NAME, render_csv(report)),
        (JSON_NAME, report.model_dump_json(indent=2) + "\n"),
    ]
    if report.breaches:
        files.append((BREACHES_NAME, render_breaches_csv(report)))
    written = []
    for name, text in files:
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
