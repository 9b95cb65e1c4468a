"""Evaluate an entity's pairs and groups against its golden table.

Writes the `evaluation` Delta table, an MLflow run and reports/evaluation/<entity>.json;
for recordings also the `error_analysis` Delta table (the top false positives and
negatives with each comparison's match weight) and reports/evaluation/<entity>.html.
The golden data is the golden cluster table, or labelled pairs (--golden pairs).

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/evaluate.py --profile cluster --entity recordings
    python -m jobs.evaluate --entity recordings
    python -m jobs.evaluate --entity recordings --golden pairs
    python -m jobs.evaluate --entity videos
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from jobs._pipeline import GOLDEN_KINDS, evaluate_entity
from jobs._runtime import AppConfig, stage, start_job

logger = logging.getLogger(__name__)


def run(
    spark: SparkSession, cfg: AppConfig, *, entity: str, run_id: str, golden: str = "auto"
) -> dict[str, Any]:
    if entity == "videos":
        return run_videos(spark, cfg)
    with stage(f"evaluate {entity}"):
        report = evaluate_entity(spark, cfg, cfg.entity(entity), run_id, golden)
    if report["golden"] == "labelled pairs":
        logger.info(
            "evaluate %s on %d labelled pairs at p >= %.3f: P %.4f R %.4f F1 %.4f | pair "
            "completeness %.4f | reduction ratio %.6f | report %s",
            entity,
            report["n_labelled_pairs"],
            report["threshold"],
            report["precision"],
            report["recall"],
            report["f1"],
            report["pair_completeness"] or 0,
            report["reduction_ratio"] or 0,
            Path(cfg.paths.reports_dir) / "evaluation" / f"{entity}.html",
        )
        return report
    logger.info(
        "evaluate %s at p >= %.3f: pairwise P %.4f R %.4f F1 %.4f | B-cubed P %.4f R %.4f F1 %.4f"
        " | blocking recall %.4f | false merges %s",
        entity,
        report["threshold"],
        report["precision"] or 0,
        report["recall"] or 0,
        report["f1"] or 0,
        report["bcubed_precision"],
        report["bcubed_recall"],
        report["bcubed_f1"] or 0,
        report["blocking_recall"] or 0,
        report.get("false_merges", {}),
    )
    return report


def run_videos(spark: SparkSession, cfg: AppConfig) -> dict[str, Any]:
    from jobs._video_pipeline import evaluate_videos

    with stage("evaluate videos"):
        report = evaluate_videos(spark, cfg)
    logger.info(
        "evaluate videos at p >= %.3f: %d videos, P %.4f R %.4f F1 %.4f | covers P %.4f, "
        "live P %.4f, live videos on studio groups %d",
        report["threshold"],
        report["n_videos"],
        report["precision"] or 0,
        report["recall"] or 0,
        report["f1"] or 0,
        report["cover_precision"],
        report["live_precision"],
        report["live_assigned_to_studio"],
    )
    return report


def main(argv: Sequence[str] | None = None) -> None:
    def extra(parser) -> None:
        parser.add_argument(
            "--golden",
            choices=GOLDEN_KINDS,
            default="auto",
            help="golden clusters (the golden table), labelled pairs, or auto: clusters "
            "when that table exists",
        )

    ctx = start_job(__doc__, argv, extra)
    run(ctx.spark, ctx.cfg, entity=ctx.args.entity, run_id=ctx.run_id, golden=ctx.args.golden)


if __name__ == "__main__":
    main()
