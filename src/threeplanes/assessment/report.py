"""The scorecard as one self-contained HTML page: a bar per level and per plane, then every exercise.

Plain HTML and CSS (no script, no external file), so the page opens from disk in any browser.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from threeplanes.assessment.progress import Changes
from threeplanes.assessment.scorecard import FAIL, NOT_ATTEMPTED, PASS, Scorecard, Tally

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #0f172a; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.chart { display: grid; grid-template-columns: 11rem 1fr 12rem; gap: .4rem 1rem; align-items: center; }
.bar { display: flex; height: 1.2rem; background: #f1f5f9; border-radius: 4px; overflow: hidden; }
.bar span { display: block; height: 100%; }
.bar .pass { background: #16a34a; } .bar .fail { background: #dc2626; } .bar .not-attempted { background: #cbd5e1; }
.legend span { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 1rem; vertical-align: middle; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; border-bottom: 1px solid #e2e8f0; padding: .3rem .5rem; vertical-align: top; }
td.pass { color: #166534; } td.fail { color: #991b1b; } td.not-attempted { color: #64748b; }
.next { background: #fef9c3; padding: .6rem 1rem; border-radius: 6px; }
.hint { color: #334155; font-size: .85rem; }
"""
CSS_CLASS = {PASS: "pass", FAIL: "fail", NOT_ATTEMPTED: "not-attempted"}


def _bar_row(label: str, tally: Tally, kind: str = "") -> str:
    """One labelled bar; ``kind`` (``mission``) is added to its class, to tell the missions' chart apart."""
    bar_css = f"bar {kind}" if kind else "bar"
    if tally.total == 0:
        return f'<div class="label">{escape(label)}</div><div class="bar empty"></div><div>no exercise yet</div>'
    segments = "".join(
        f'<span class="{css}" style="width:{100 * count / tally.total:.1f}%" title="{count} {status}"></span>'
        for status, css, count in (
            (PASS, "pass", tally.passed),
            (FAIL, "fail", tally.failed),
            (NOT_ATTEMPTED, "not-attempted", tally.not_attempted),
        )
        if count
    )
    summary = f"{tally.passed} of {tally.total} pass"
    return (
        f'<div class="label">{escape(label)}</div>'
        f'<div class="{bar_css}" data-passed="{tally.passed}" data-total="{tally.total}">{segments}</div>'
        f"<div>{summary}</div>"
    )


def render(scorecard: Scorecard, changes: Changes | None = None) -> str:
    when = scorecard.checked_at.strftime("%Y-%m-%d %H:%M UTC")
    levels = "".join(_bar_row(f"Level {level}", tally) for level, tally in scorecard.by_level("exercise").items())
    missions = "".join(_bar_row(f"Level {level}", t, "mission") for level, t in scorecard.missions_by_level().items())
    mission_chart = (
        f'<h2>Missions (break and fix), by level</h2><div class="chart" id="missions">{missions}</div>'
        if missions
        else ""
    )
    planes = "".join(_bar_row(f"{plane.capitalize()} plane", t) for plane, t in scorecard.by_plane().items())
    rows = []
    for o in scorecard.ordered():
        hint = f'<div class="hint">{escape(o.hint)}</div>' if o.hint else ""
        note = f'<div class="hint">{escape(o.note)}</div>' if o.note else ""
        result = {PASS: "✓ pass", FAIL: f"✗ {o.met} of {o.criteria} criteria met", NOT_ATTEMPTED: "– not attempted"}
        rows.append(
            f'<tr data-exercise="{escape(o.exercise.id)}">'
            f"<td>{o.exercise.level}</td><td>{escape(o.exercise.plane)}</td>"
            f"<td><b>{escape(o.exercise.id)}</b><br>{escape(o.exercise.title)}</td>"
            f'<td class="{CSS_CLASS[o.status]}">{result[o.status]}{hint}{note}</td>'
            f"<td>{escape(o.namespace or '') if o.status != NOT_ATTEMPTED else ''}</td></tr>"
        )
    upcoming = scorecard.next_outcome
    next_line = (
        "Every exercise passes."
        if upcoming is None
        else f"Next: <b>{escape(upcoming.exercise.id)}</b> (level {upcoming.exercise.level}): "
        f"{escape(upcoming.exercise.title)}. Its page: <code>{escape(str(upcoming.exercise.page))}</code>"
    )
    change_line = f"<p>{escape(str(changes))}</p>" if changes else ""
    warnings = "".join(f"<p>Warning: {escape(w)}</p>" for w in scorecard.warnings)
    legend = (
        '<p class="legend"><span style="background:#16a34a"></span>pass'
        '<span style="background:#dc2626"></span>failing<span style="background:#cbd5e1"></span>not attempted</p>'
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Where you stand</title><style>{STYLE}</style></head>
<body>
<h1>Where you stand</h1>
<p>{escape(scorecard.counted())}, checked {when}.</p>
<p class="verdict" id="verdict"><b>{escape(scorecard.verdict())}</b></p>
{change_line}
<p class="next">{next_line}</p>
{legend}
<h2>By level</h2><div class="chart" id="levels">{levels}</div>
{mission_chart}
<h2>By plane</h2><div class="chart" id="planes">{planes}</div>
<h2>Every exercise</h2>
<table id="exercises"><thead><tr>
<th>Level</th><th>Plane</th><th>Exercise</th><th>Result</th><th>Namespace</th>
</tr></thead>
<tbody>{"".join(rows)}</tbody></table>
{warnings}
</body></html>
"""


def write(path: Path, scorecard: Scorecard, changes: Changes | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(scorecard, changes))
    return path
