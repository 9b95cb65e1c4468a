"""The whole chain on the bundled sample catalog, in one Spark session.

generate sample -> build features -> train -> resolve -> evaluate (Recording
Groups), then the same for videos linked to those groups (Music Video
Resolution), then a short human summary. `make demo` runs this.

    python -m jobs.demo [--set sample.n_tracks=20000]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from jobs import build_features, evaluate, generate_sample, resolve, resolve_videos, train
from jobs._runtime import AppConfig, stage, start_job

logger = logging.getLogger(__name__)


def run(spark: SparkSession, cfg: AppConfig, *, entity: str, run_id: str) -> dict[str, Any]:
    timings: dict[str, float] = {}
    with stage("generate sample", timings):
        sample = generate_sample.run(spark, cfg, entity)
    with stage("build features", timings):
        feats = build_features.run(spark, cfg, entity=entity, run_id=run_id)
    with stage("train", timings):
        model_path = train.run(spark, cfg, entity=entity, run_id=run_id)
    # The demo shows what it just trained; scheduled runs resolve with @champion.
    with stage("resolve", timings):
        resolved = resolve.run(spark, cfg, entity=entity, run_id=run_id, model_path=str(model_path))
    with stage("evaluate", timings):
        report = evaluate.run(spark, cfg, entity=entity, run_id=run_id)
    videos = None
    if cfg.videos is not None and cfg.videos.linked_entity == entity:
        with stage("video features", timings):
            video_feats = build_features.run(spark, cfg, entity="videos", run_id=run_id)
        with stage("train videos", timings):
            video_model = train.run(spark, cfg, entity="videos", run_id=run_id)
        with stage("resolve videos", timings):
            video_result = resolve_videos.run(
                spark, cfg, run_id=run_id, model_path=str(video_model)
            )
        with stage("evaluate videos", timings):
            videos = evaluate.run(spark, cfg, entity="videos", run_id=run_id)
    e = cfg.entity(entity)
    lines = [
        "",
        f"Recording Groups demo, run {run_id}",
        f"  tracks            {sample['tracks']:>9,} ({sample['recordings']:,} true recordings)",
        f"  quarantined       {sum(feats.quarantine_by_reason.values()):>9,}",
        f"  candidate pairs   {resolved.n_pairs:>9,} ({resolved.n_accepted:,} at p >= {e.clustering.threshold})",
        f"  groups            {resolved.n_groups:>9,} (largest {resolved.largest_groups[0][1] if resolved.largest_groups else 0})",
        f"  pairwise          P {_fmt(report['precision'])}  R {_fmt(report['recall'])}  F1 {_fmt(report['f1'])}",
        f"  B-cubed           P {_fmt(report['bcubed_precision'])}  R {_fmt(report['bcubed_recall'])}  F1 {_fmt(report['bcubed_f1'])}",
        f"  blocking recall   {_fmt(report['blocking_recall'])} (reduction ratio {_fmt(report.get('reduction_ratio'))})",
        f"  false merges      {report.get('false_merges', {})}",
        f"  model             {resolved.model_version}",
        *(_video_lines(cfg, video_feats, video_result, videos) if videos else []),
        "  tables            "
        + ", ".join(
            cfg.table_path(t)
            for t in (
                e.pairs_table,
                e.groups_table,
                cfg.quarantine_table,
                cfg.evaluation_table,
                cfg.error_analysis_table,
            )
            if t
        ),
        f"  report            {Path(cfg.paths.reports_dir) / 'evaluation' / (entity + '.json')}",
        f"  errors            {Path(cfg.paths.reports_dir) / 'evaluation' / (entity + '.html')}"
        " (top false positives/negatives with waterfalls)",
        f"  MLflow            mlflow ui --backend-store-uri {cfg.mlflow.tracking_uri}",
        "  stage seconds     " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()),
    ]
    logger.info("\n".join(lines))
    return {"report": report, "videos": videos, "timings": timings}


def _video_lines(cfg: AppConfig, feats, result, report: dict[str, Any]) -> list[str]:
    v = cfg.video()
    return [
        f"  videos            {result.n_videos:>9,} ({sum(feats.quarantine_by_reason.values()):,} quarantine rows)",
        f"  assigned          {result.n_matched:>9,} at p >= {v.assignment.threshold}; unassigned {result.unmatched_by_reason}",
        f"  video assignment  P {_fmt(report['precision'])}  R {_fmt(report['recall'])}  F1 {_fmt(report['f1'])}",
        f"  covers / live     P {_fmt(report['cover_precision'])} / {_fmt(report['live_precision'])}; live videos on studio groups {report['live_assigned_to_studio']}",
        f"  video model       {result.model_version}",
        "  video tables      "
        + ", ".join(cfg.table_path(t) for t in (v.matches_table, v.unmatched_table)),
    ]


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def main(argv: Sequence[str] | None = None) -> None:
    ctx = start_job(__doc__, argv)
    run(ctx.spark, ctx.cfg, entity=ctx.args.entity, run_id=ctx.run_id)


if __name__ == "__main__":
    main()
