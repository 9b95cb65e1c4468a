"""The demo's summary: one block of lines per entity, by kind (jobs.demo prints them)."""

from __future__ import annotations

from pyspark.sql import SparkSession

from jobs.runtime.config import AppConfig, EntityConfig
from jobs.stages.clustered import product_outputs
from jobs.stages.common import import_named, read_features, read_groups
from jobs.stages.reporting import report_path


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _n(value: float | int | None) -> str:
    """A figure: counts as whole numbers, shares to four places."""
    return f"{value:,}" if isinstance(value, int) else _f(value)


def example_lines(spark: SparkSession, cfg: AppConfig, e: EntityConfig) -> list[str]:
    """What the entity's products show of one of its clusters (config ``products.show``)."""
    assert e.products is not None and e.products.show
    outputs = {"groups": read_groups(spark, cfg, e), **product_outputs(spark, cfg, e)}
    show = import_named(e.products.show)
    return show(
        outputs, read_features(spark, cfg, e), id_column=e.id_column, group_column=e.group_column
    )


def entity_lines(
    spark: SparkSession,
    cfg: AppConfig,
    e: EntityConfig,
    generated: dict[str, int],
    feats,
    resolved,
    report,
) -> list[str]:
    """One entity's block of the summary, by kind."""
    s = resolved.summary
    quarantined = sum(feats.quarantine_by_reason.values())
    head = [
        f"{e.name} ({e.kind}{', links to ' + e.builds_on if e.kind == 'link' else ''})",
        f"  records           {feats.n_input:>9,} ("
        + (f"{generated['truths']:,} true; " if generated.get("truths") else "")
        + f"{quarantined:,} quarantine rows)",
    ]
    if e.clustered:
        largest = s["largest_groups"][0][1] if s["largest_groups"] else 0
        body = [
            f"  candidate pairs   {s['n_pairs']:>9,} ({s['n_accepted']:,} at p >= {e.threshold})",
            f"  groups            {s['n_groups']:>9,} (largest {largest}; ids: "
            + (", ".join(f"{n:,} {ev}" for ev, n in s.get("id_events", {}).items()) or "unchanged")
            + ")",
            f"  pairwise          P {_f(report['precision'])}  R {_f(report['recall'])}  "
            f"F1 {_f(report['f1'])}",
            f"  B-cubed           P {_f(report.get('bcubed_precision'))}  "
            f"R {_f(report.get('bcubed_recall'))}  F1 {_f(report.get('bcubed_f1'))}",
            f"  blocking recall   {_f(report.get('blocking_recall'))} "
            f"(reduction ratio {_f(report.get('reduction_ratio'))})",
        ]
        if report.get("false_merges"):
            body.append(f"  false merges      {report['false_merges']}")
        if report.get("product_figures"):
            body.append(
                "  products          "
                + ", ".join(f"{k} {_n(report.get(k))}" for k in report["product_figures"])
            )
        if e.products is not None and e.products.show:
            body += example_lines(spark, cfg, e)
    else:
        body = [
            f"  assigned          {s['n_matched']:>9,} at p >= {e.threshold}; "
            f"unassigned {s['unmatched_by_reason']}",
            f"  assignment        P {_f(report['precision'])}  R {_f(report['recall'])}  "
            f"F1 {_f(report['f1'])}",
            "  precision by kind "
            + ", ".join(
                f"{key[: -len('_precision')]} {_f(value)}"
                for key, value in sorted(report.items())
                if key.endswith("_precision") and key != "precision"
            ),
            "  wrong kind        "
            + (
                ", ".join(
                    f"{key.split('_assigned_to_')[0]} {value}"
                    for key, value in sorted(report.items())
                    if "_assigned_to_" in key
                )
                or "n/a"
            )
            + " (assigned to a group of the base kind)",
        ]
    paths = [f"  model             {resolved.model_version}"]
    paths.append(f"  report            {report_path(cfg, e.name, 'json')}")
    if e.clustered:
        paths.append(
            f"  errors            {report_path(cfg, e.name, 'html')} "
            "(top false positives/negatives with waterfalls)"
        )
    return head + body + paths
