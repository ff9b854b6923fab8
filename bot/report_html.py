"""The report as one self-contained HTML page: matplotlib charts inlined as
SVG (text kept as text), every chart backed by a table of its numbers, no
scripts, fonts or anything else fetched from anywhere.

Colours are the Okabe-Ito palette (safe for colour-blind readers); declined
bars are also hatched so the charts read in black-and-white print.
matplotlib is imported here only (the `report` extra), never by the bot.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any

BLUE = "#0072B2"  # answered, helpful
ORANGE = "#E69F00"  # declined
GREY = "#999999"  # built-ins
VERMILION = "#D55E00"  # not helpful
MAX_BARS = 25  # entries in the helpfulness chart


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _num(value: int) -> str:
    return f"{value:,}"


def _figure(**kwargs: Any) -> Any:
    """A matplotlib Figure on the SVG canvas: no pyplot, no GUI backend, no
    global figure registry (cheaper to import, nothing to close)."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",  # text stays text: searchable, selectable, small
            "svg.hashsalt": "role-diff",  # stable element ids
            "font.family": "sans-serif",
            "font.sans-serif": ["DejaVu Sans"],  # ships with matplotlib
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 11,
            "hatch.linewidth": 0.6,
        }
    )
    fig = Figure(**kwargs)
    FigureCanvasSVG(fig)
    return fig


def _svg(fig: Any, chart_id: str, label: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    # Inline SVG: no fixed size (the CSS scales it), an accessible name, unique ids.
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", text, count=1)
    text = text.replace("<svg", f'<svg id="{chart_id}" role="img" aria-label="{_esc(label)}"', 1)
    return text


def _left_margin(labels: list[str], width_in: float = 9.0) -> float:
    """Room for the y tick labels (about 0.075 inch a character at 10 pt)."""
    longest = max((len(label) for label in labels), default=4)
    return min(0.45, (0.075 * longest + 0.25) / width_in)


def _days_chart(days: list[dict[str, Any]]) -> str:
    # Fixed margins rather than a layout engine: one drawing pass, not several.
    fig = _figure(figsize=(9, 4.6))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.4])
    fig.subplots_adjust(left=0.08, right=0.99, top=0.93, bottom=0.07, hspace=0.1)
    xs = list(range(len(days)))
    answered = [d["answered"] for d in days]
    declined = [d["declined"] for d in days]
    builtin = [d["builtin"] for d in days]
    below = [a + d for a, d in zip(answered, declined, strict=True)]
    if len(days) <= 45:
        top.bar(xs, answered, color=BLUE, label="answered", width=0.85)
        top.bar(
            xs, declined, bottom=answered, color=ORANGE, hatch="///", edgecolor="white", label="declined", width=0.85
        )
        top.bar(xs, builtin, bottom=below, color=GREY, label="built-ins", width=0.85)
    else:  # many days: three stacked step areas draw far faster than a bar per day and outcome
        edges = [x - 0.5 for x in xs] + [xs[-1] + 0.5]
        top.stairs(answered, edges, baseline=0, fill=True, color=BLUE, label="answered")
        top.stairs(
            below,
            edges,
            baseline=answered,
            fill=True,
            facecolor=ORANGE,
            hatch="///",
            edgecolor="white",
            linewidth=0,
            label="declined",
        )
        top.stairs(
            [b + c for b, c in zip(below, builtin, strict=True)],
            edges,
            baseline=below,
            fill=True,
            color=GREY,
            label="built-ins",
        )
    top.set_ylabel("questions")
    top.set_title("Questions per day")
    top.legend(loc="upper left", ncols=3, frameon=False, bbox_to_anchor=(0, 1.0))
    top.margins(y=0.18)
    rates = [100 * d["answer_rate"] if d["answer_rate"] is not None else float("nan") for d in days]
    bottom.plot(xs, rates, color=BLUE, marker="o" if len(xs) <= 45 else None, markersize=3, linewidth=1.6)
    bottom.set_ylim(0, 100)
    bottom.set_ylabel("answer rate %")
    bottom.grid(axis="y", color="#dddddd", linewidth=0.6)
    step = max(1, len(days) // 12)
    bottom.set_xticks(xs[::step], [d["day"][5:] for d in days][::step])
    if len(days) <= 1:
        bottom.set_xlim(-1, 1)
    return _svg(fig, "chart-days", "Questions per day, answered, declined and built-ins, and the answer rate")


def _helpfulness_chart(rows: list[dict[str, Any]]) -> str:
    rows = rows[:MAX_BARS]
    height = 0.32 * len(rows) + 1.5
    fig = _figure(figsize=(9, height))
    ax = fig.subplots()
    fig.subplots_adjust(
        left=_left_margin([r["entry_id"] for r in rows]), right=0.97, top=1 - 0.75 / height, bottom=0.55 / height
    )
    ys = list(range(len(rows)))[::-1]  # the worst at the top
    up = [r["helpful"] for r in rows]
    down = [r["unhelpful"] for r in rows]
    ax.barh(ys, down, color=VERMILION, hatch="\\\\\\", edgecolor="white", label="not helpful")
    ax.barh(ys, up, left=down, color=BLUE, label="helpful")
    ax.set_yticks(ys, [r["entry_id"] for r in rows])
    for y, r in zip(ys, rows, strict=True):
        ax.text(r["helpful"] + r["unhelpful"], y, f"  {_pct(r['ratio'])}", va="center", fontsize=9)
    ax.set_xlabel("votes (the last vote per person and entry)")
    ax.set_title("Helpfulness per entry, the worst first (% = helpful share)", pad=24)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False, borderaxespad=1.2)
    ax.margins(x=0.12, y=0.01)
    return _svg(fig, "chart-helpfulness", "Helpful and not helpful votes per entry, the worst first")


def _platform_chart(rows: list[dict[str, Any]]) -> str:
    height = 0.45 * len(rows) + 1.1
    fig = _figure(figsize=(9, height))
    ax = fig.subplots()
    fig.subplots_adjust(
        left=_left_margin([r["platform"] for r in rows]), right=0.97, top=1 - 0.4 / height, bottom=0.55 / height
    )
    ys = list(range(len(rows)))[::-1]
    left = [0] * len(rows)
    for key, colour, hatch in (("answered", BLUE, None), ("declined", ORANGE, "///"), ("builtin", GREY, None)):
        values = [r[key] for r in rows]
        label = "built-ins" if key == "builtin" else key
        ax.barh(ys, values, left=left, color=colour, hatch=hatch, edgecolor="white", label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(ys, [r["platform"] for r in rows])
    ax.set_xlabel("questions")
    ax.set_title("Questions per platform")
    ax.legend(loc="lower right", frameon=False, ncols=3)
    return _svg(fig, "chart-platforms", "Questions per platform, answered, declined and built-ins")


CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       max-width: 64rem; margin: 1.5rem auto; padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.25rem; margin-top: 2rem;
     border-bottom: 2px solid #0072B2; padding-bottom: .2rem; }
.meta { color: #555; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; }
.card { border: 1px solid #ccc; border-radius: .4rem; padding: .5rem .9rem; min-width: 8rem; }
.card b { display: block; font-size: 1.5rem; }
figure { margin: 1rem 0; break-inside: avoid; }
figure svg { width: 100%; height: auto; max-width: 60rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .92rem; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .6rem; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.near { color: #005a8c; } .gap { color: #a33c00; } .now { color: #1b6e3a; }
details summary { cursor: pointer; color: #333; }
.variants { color: #555; font-size: .85rem; margin: .2rem 0 0; padding-left: 1rem; }
@media print { body { max-width: none; margin: 0; } h2 { break-after: avoid; } tr { break-inside: avoid; }
               details { display: block; } }
"""


def render_html(fig: dict[str, Any]) -> str:
    """The whole report page for `figures()`' output."""
    t = fig["totals"]
    period = fig["period"]
    scope = f"since {period['since'][:10]}" if period["since"] else "all recorded time"
    if period["platform"]:
        scope += f", platform {period['platform']}"
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>role-diff report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>role-diff: how the bot is doing</h1>",
        f'<p class="meta">{_esc(scope)}; generated {_esc(fig["generated_at"])}</p>',
        '<div class="cards" id="totals">',
    ]
    for key, label, value in (
        ("questions", "questions", _num(t["questions"])),
        ("answered", "answered", _num(t["answered"])),
        ("declined", "declined", _num(t["declined"])),
        ("builtin", "built-ins", _num(t["builtin"])),
        ("answer_rate", "answer rate", _pct(t["answer_rate"])),
    ):
        parts.append(f'<div class="card" data-figure="{key}"><b>{value}</b>{label}</div>')
    parts.append("</div>")
    parts.append(
        "<p>The answer rate is answered / (answered + declined): built-ins (help, topics, compare, sources) are "
        "neither.</p>"
    )

    parts.append('<h2 id="per-day">Questions per day</h2>')
    days = fig["days"]
    if days:
        parts.append(f"<figure>{_days_chart(days)}</figure>")
        parts.append("<details><summary>The numbers per day</summary>")
        parts.append(
            _table(
                ["day", "answered", "declined", "built-ins", "answer rate"],
                [
                    [d["day"], _num(d["answered"]), _num(d["declined"]), _num(d["builtin"]), _pct(d["answer_rate"])]
                    for d in days
                ],
                table_id="table-days",
            )
        )
        parts.append("</details>")
    else:
        parts.append("<p>No questions in this period.</p>")

    un = fig["unanswered"]
    parts.append('<h2 id="unanswered">Unanswered questions</h2>')
    note = f"{_num(un['distinct_questions'])} distinct declined questions"
    if un["clustered_questions"] < un["distinct_questions"]:
        note += f"; the {_num(un['clustered_questions'])} most frequent are grouped"
    parts.append(
        f"<p>{note} into {_num(un['clusters_total'])} clusters of near-identical questions, most frequent first. "
        "<span class='near'>Near</span>: an entry came close, add the phrasing to it "
        "(<code>role-diff add-phrasing ENTRY \"question\"</code>). <span class='gap'>Gap</span>: no entry covers "
        "it, write one (<code>role-diff new ENTRY --from-unanswered N</code>). "
        "<span class='now'>Answered now</span>: today's knowledge answers it.</p>"
    )
    if un["clusters"]:
        rows = []
        for c in un["clusters"]:
            close = c["closest"]
            kind = close["kind"]
            if kind == "answered-now":
                what = f"<span class='now'>answered now by <b>{_esc(close['entry_id'])}</b></span>"
            elif kind == "near":
                what = (
                    f"<span class='near'>add this phrasing to <b>{_esc(close['entry_id'])}</b></span>"
                    " <small>(if that entry answers it)</small>"
                )
            else:
                what = "<span class='gap'>no entry covers this</span>"
                if close["entry_id"]:
                    what += f" (closest: {_esc(close['entry_id'])})"
            variants = ""
            others = [v for v in c["variants"] if v != c["question"]]
            if others:
                items = [f"<li>{_esc(v)}</li>" for v in others[:3]]
                if len(others) > 3:
                    items.append(f"<li>and {len(others) - 3} more wordings</li>")
                variants = "<ul class='variants'>" + "".join(items) + "</ul>"
            rows.append(
                [
                    str(c["rank"]),
                    _num(c["count"]),
                    f"{_esc(c['question'])}{variants}",
                    what,
                    f"{close['score']:.1f}",
                ]
            )
        parts.append(
            _table(
                ["#", "times", "question", "what to do", "closest score"],
                rows,
                table_id="table-unanswered",
                raw=True,
                numeric=(0, 1, 4),
            )
        )
    else:
        parts.append("<p>No declined questions in this period.</p>")

    parts.append('<h2 id="helpfulness">Helpfulness per entry</h2>')
    helpful = fig["helpfulness"]
    if helpful:
        parts.append(
            "<p>Helpful and not helpful votes per entry, the worst first; each person's last vote on "
            "an entry counts once. The percentage is the helpful share.</p>"
        )
        parts.append(f"<figure>{_helpfulness_chart(helpful)}</figure>")
        rows = []
        for h in helpful:
            qs = "".join(f"<li>{_esc(q)}</li>" for q in h["unhelpful_questions"])
            rows.append(
                [
                    f"<b>{_esc(h['entry_id'])}</b>" + (f"<br><small>{_esc(h['title'])}</small>" if h["title"] else ""),
                    _num(h["helpful"]),
                    _num(h["unhelpful"]),
                    _pct(h["ratio"]),
                    f"<ul class='variants'>{qs}</ul>" if qs else "",
                ]
            )
        parts.append(
            _table(
                ["entry", "helpful", "not helpful", "helpful share", "asked before a not helpful vote"],
                rows,
                table_id="table-helpfulness",
                raw=True,
                numeric=(1, 2, 3),
            )
        )
    else:
        parts.append("<p>No feedback in this period.</p>")

    parts.append('<h2 id="never-matched">Entries never matched</h2>')
    never = fig["never_matched"]
    if never:
        parts.append(
            f"<p>{len(never)} entries answered no question in this period: their phrasings may not be how people "
            "ask, or nobody needs them.</p>"
        )
        parts.append('<ul id="list-never-matched">' + "".join(f"<li>{_esc(e)}</li>" for e in never) + "</ul>")
    else:
        parts.append("<p>Every entry answered at least one question.</p>")

    parts.append('<h2 id="platforms">Platforms</h2>')
    platforms = fig["platforms"]
    if platforms:
        parts.append(f"<figure>{_platform_chart(platforms)}</figure>")
        parts.append(
            _table(
                ["platform", "questions", "answered", "declined", "built-ins", "answer rate"],
                [
                    [
                        p["platform"],
                        _num(p["questions"]),
                        _num(p["answered"]),
                        _num(p["declined"]),
                        _num(p["builtin"]),
                        _pct(p["answer_rate"]),
                    ]
                    for p in platforms
                ],
                table_id="table-platforms",
            )
        )
    else:
        parts.append("<p>No questions in this period.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _table(
    head: list[str],
    rows: list[list[str]],
    *,
    table_id: str,
    raw: bool = False,
    numeric: tuple[int, ...] | None = None,
) -> str:
    if numeric is None:
        numeric = tuple(range(1, len(head)))
    out = [f'<table id="{table_id}"><thead><tr>']
    out += [f'<th{" class=n" if i in numeric else ""} scope="col">{_esc(h)}</th>' for i, h in enumerate(head)]
    out.append("</tr></thead><tbody>")
    for row in rows:
        cells = [
            f"<td{' class=n' if i in numeric else ''}>{cell if raw else _esc(cell)}</td>" for i, cell in enumerate(row)
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)
