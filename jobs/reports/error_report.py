"""The evaluation as one self-contained HTML page: figures, PR curve, the errors and why.

No script, no external file: inline SVG and CSS, so the page opens from disk,
from an MLflow artifact or attached to a ticket. Each error is a pair with
both records as a person reads them and a waterfall of its match weight:
Splink's prior, then each comparison's level and weight, summing to the
pair's match weight; the dashed line is the threshold.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from splink_models.evaluation import ERROR_TYPES
from splink_models.pair_evaluation import probability_to_weight

HEADLINE = (
    ("precision", "Pairwise precision"),
    ("recall", "Pairwise recall"),
    ("f1", "Pairwise F1"),
    ("cluster_precision", "Precision of the pairs the groups imply"),
    ("cluster_recall", "Recall of the pairs the groups imply"),
    ("bcubed_precision", "B-cubed precision"),
    ("bcubed_recall", "B-cubed recall"),
    ("bcubed_f1", "B-cubed F1"),
    ("blocking_recall", "Blocking pair completeness (share of true pairs compared)"),
    ("pair_completeness", "Blocking pair completeness (labelled matches compared)"),
    ("reduction_ratio", "Blocking reduction ratio (share of all pairs never compared)"),
    ("threshold", "Threshold (match probability)"),
    (
        "chosen_threshold_weight",
        "F1-maximising threshold chosen on the choice split (match weight)",
    ),
    ("n_records", "Records"),
    ("n_candidate_pairs", "Candidate pairs scored"),
    ("n_true_pairs", "True pairs in the golden data"),
    ("n_labelled_pairs", "Labelled pairs"),
    ("n_predicted_pairs", "Pairs predicted to match"),
    ("n_groups", "Groups"),
    ("largest_group", "Largest group"),
)

EXPLAIN = {
    "false_positive": "scored at or above the threshold, but the golden data says they differ",
    "false_negative": "the same entity, compared, but scored below the threshold",
    "missed_by_blocking": "the same entity, never compared: no blocking rule generates the pair",
}

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em} h2{margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0} td,th{padding:3px 10px;text-align:left}
tr:nth-child(even){background:#f5f5f5} .num{text-align:right;font-variant-numeric:tabular-nums}
.pair{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}
.rec{font-family:ui-monospace,monospace;font-size:13px}
.meta{color:#555} .fp{color:#b00} .fn{color:#06c}
"""


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(str(value))


def _figures(report: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{label}</td><td class=num>{_fmt(report[key])}</td></tr>"
        for key, label in HEADLINE
        if key in report
    )
    kinds = report.get("false_merges") or {}
    if kinds:
        rows += "".join(
            f"<tr><td>False merges with a {html.escape(k)} recording</td>"
            f"<td class=num>{_fmt(v)}</td></tr>"
            for k, v in sorted(kinds.items())
        )
    return f"<table>{rows}</table>"


def _splits(report: Mapping[str, Any]) -> str:
    splits = {k[len("split_") :]: v for k, v in report.items() if k.startswith("split_")}
    if not splits:
        return ""
    head = "<tr><th>split</th><th>precision</th><th>recall</th><th>F1</th><th>pairs</th><th>matches</th><th>pair completeness</th></tr>"
    body = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(
            f"<td class=num>{_fmt(s.get(k))}</td>"
            for k in ("precision", "recall", "f1", "n_pairs", "n_matches", "pair_completeness")
        )
        + "</tr>"
        for name, s in sorted(splits.items())
    )
    return (
        "<h2>Per split, at the threshold chosen on the choice split</h2>"
        f"<p>The threshold (match weight {_fmt(report.get('chosen_threshold_weight'))}) maximises "
        f"F1 on split <b>{html.escape(str(report.get('choice_split')))}</b>; the other splits "
        "never saw it chosen, so their figures are the honest ones.</p>"
        f"<table>{head}{body}</table>"
    )


def curve_svg(curve: Sequence[Mapping[str, float]], chosen: float | None) -> str:
    """Precision (y) against recall (x), the chosen threshold's point marked."""
    if not curve:
        return ""
    w, h, pad = 420, 300, 40

    def xy(point: Mapping[str, float]) -> tuple[float, float]:
        return pad + point["recall"] * (w - 2 * pad), h - pad - point["precision"] * (h - 2 * pad)

    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in map(xy, curve))
    marks = ""
    if chosen is not None:
        near = min(curve, key=lambda p: abs(p["threshold"] - chosen))
        x, y = xy(near)
        # the label stays inside the plot: left of the point when it sits on the right half
        left = x > w / 2
        marks = (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#b00"/>'
            f'<text x="{x - 8 if left else x + 8:.1f}" y="{y + 18:.1f}" font-size="12" '
            f'text-anchor="{"end" if left else "start"}">chosen: P {near["precision"]:.3f}'
            f" R {near['recall']:.3f}</text>"
        )
    axes = (
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#888"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="#888"/>'
        f'<text x="{w / 2}" y="{h - 8}" font-size="12" text-anchor="middle">recall</text>'
        f'<text x="12" y="{h / 2}" font-size="12" transform="rotate(-90 12 {h / 2})" '
        'text-anchor="middle">precision</text>'
        f'<text x="{pad}" y="{h - pad + 14}" font-size="11">0</text>'
        f'<text x="{w - pad}" y="{h - pad + 14}" font-size="11">1</text>'
        f'<text x="{pad - 12}" y="{pad + 4}" font-size="11">1</text>'
    )
    return (
        f'<svg width="{w}" height="{h}" role="img" aria-label="precision-recall curve">{axes}'
        f'<polyline points="{path}" fill="none" stroke="#06c" stroke-width="2"/>{marks}</svg>'
    )


def waterfall_svg(
    steps: Sequence[tuple[str, float]], threshold_weight: float | None, width: int = 640
) -> str:
    """Horizontal waterfall: each step a bar from the running total before it to after it."""
    totals, running = [], 0.0
    for _, value in steps:
        totals.append((running, running + value))
        running += value
    ends = [t for pair in totals for t in pair] + [0.0]
    if threshold_weight is not None:
        ends.append(threshold_weight)
    lo, hi = min(ends), max(ends)
    span = (hi - lo) or 1.0
    label_w, row_h, bar_w = 360, 18, width - 360 - 70

    def x(v: float) -> float:
        return label_w + (v - lo) / span * bar_w

    rows = []
    for i, ((label, value), (a, b)) in enumerate(zip(steps, totals, strict=True)):
        y = 4 + i * row_h
        colour = "#2a2" if value >= 0 else "#c33"
        rows.append(
            f'<text x="0" y="{y + 12}" font-size="11">{html.escape(label[:64])}</text>'
            f'<rect x="{min(x(a), x(b)):.1f}" y="{y + 2}" width="{max(abs(x(b) - x(a)), 1):.1f}" '
            f'height="{row_h - 5}" fill="{colour}"/>'
            f'<text x="{width - 64}" y="{y + 12}" font-size="11">{value:+.2f}</text>'
        )
    height = 8 + len(steps) * row_h + 16
    y_end = 4 + len(steps) * row_h
    rows.append(
        f'<line x1="{x(0):.1f}" y1="0" x2="{x(0):.1f}" y2="{y_end}" stroke="#888"/>'
        f'<text x="{x(0) - 3:.1f}" y="{y_end + 12}" font-size="10">0</text>'
        f'<text x="0" y="{y_end + 12}" font-size="11"><tspan font-weight="bold">'
        f"match weight {running:+.2f}</tspan></text>"
    )
    if threshold_weight is not None:
        rows.append(
            f'<line x1="{x(threshold_weight):.1f}" y1="0" x2="{x(threshold_weight):.1f}" '
            f'y2="{y_end}" stroke="#000" stroke-dasharray="4 3"/>'
            f'<text x="{x(threshold_weight) + 3:.1f}" y="{y_end + 12}" font-size="10">threshold</text>'
        )
    return f'<svg width="{width}" height="{height}" role="img" aria-label="waterfall">{"".join(rows)}</svg>'


def _steps(
    error: Mapping[str, Any], labels: Mapping[tuple[str, int], str]
) -> list[tuple[str, float]]:
    steps = [("prior (share of pairs that match)", float(error["prior_weight"] or 0.0))]
    for c in error["comparison_levels"] or []:
        level = labels.get((c["comparison"], c["level"]), f"level {c['level']}")
        steps.append((f"{c['comparison']}: {level}", float(c["match_weight"] or 0.0)))
    return steps


def _error(
    error: Mapping[str, Any], labels: Mapping[tuple[str, int], str], threshold_weight: float | None
) -> str:
    css = "fp" if error["error_type"] == "false_positive" else "fn"
    p = error["match_probability"]
    score = (
        f"match probability {p:.4f}, match weight {error['match_weight']:+.2f}"
        if p is not None
        else "never compared: no score"
    )
    kind = f", golden says: {html.escape(error['negative_kind'])}" if error["negative_kind"] else ""
    chart = waterfall_svg(_steps(error, labels), threshold_weight) if p is not None else ""
    return (
        f"<div class=pair><div class='meta {css}'>#{error['rank']} "
        f"{html.escape(error['id_l'])} ~ {html.escape(error['id_r'])}: {score}{kind}</div>"
        f"<div class=rec>L: {html.escape(error['record_l'] or error['id_l'])}</div>"
        f"<div class=rec>R: {html.escape(error['record_r'] or error['id_r'])}</div>{chart}</div>"
    )


def render(
    *,
    entity: str,
    report: Mapping[str, Any],
    errors: Sequence[Mapping[str, Any]],
    labels: Mapping[tuple[str, int], str],
    curve: Sequence[Mapping[str, float]] | None = None,
) -> str:
    """The whole page."""
    threshold_weight = probability_to_weight(report["threshold"])
    sections = []
    for error_type in ERROR_TYPES:
        mine = [e for e in errors if e["error_type"] == error_type]
        title = error_type.replace("_", " ")
        body = "".join(_error(e, labels, threshold_weight) for e in mine) or "<p>None.</p>"
        sections.append(
            f"<h2>{title.capitalize()}s ({len(mine)} shown)</h2>"
            f"<p>Pairs {EXPLAIN[error_type]}; the most confident first.</p>{body}"
        )
    curve_html = (
        f"<h2>Precision-recall curve</h2>{curve_svg(curve, report.get('chosen_threshold_weight'))}"
        if curve
        else ""
    )
    golden = report.get("golden", "clusters")
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>Evaluation: {html.escape(entity)}</title><style>{CSS}</style></head><body>"
        f"<h1>Evaluation of {html.escape(entity)}</h1>"
        f"<p class=meta>run {html.escape(str(report.get('run_id')))}, model "
        f"{html.escape(str(report.get('model_version')))}, golden data: {html.escape(golden)}</p>"
        "<p>Each error below shows both records and how the model scored them: a waterfall "
        "starting from the prior, one bar per comparison (green adds evidence for a match, red "
        "against), ending at the pair's match weight; the dashed line is the threshold. A false "
        "positive's tallest green bars are the comparisons to tighten; a false negative's red "
        "bars the ones that were too strict.</p>"
        f"<h2>Figures</h2>{_figures(report)}{_splits(report)}{curve_html}"
        + "".join(sections)
        + "</body></html>"
    )
