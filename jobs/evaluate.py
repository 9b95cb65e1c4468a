"""Evaluate an entity's published run against its golden data.

Writes the `evaluation` Delta table, an MLflow run and reports/evaluation/<entity>.json;
for clustered entities also the `error_analysis` Delta table (the top false positives
and negatives with each comparison's match weight) and reports/evaluation/<entity>.html.
The golden data is the golden cluster table, or labelled pairs (--golden pairs); a
link entity is judged on its assignments.

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/evaluate.py --profile cluster --entity recordings
    python -m jobs.evaluate --entity recordings
    python -m jobs.evaluate --entity recordings --golden pairs
    python -m jobs.evaluate --entity videos
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pyspark.sql import SparkSession

from jobs.runtime.config import AppConfig
from jobs.runtime.job import run_main, stage, start_job
from jobs.stages.evaluate import GOLDEN_KINDS, evaluate_entity
from jobs.stages.reporting import report_path

logger = logging.getLogger(__name__)


def run(
    spark: SparkSession, cfg: AppConfig, *, entity: str, run_id: str = "", golden: str = "auto"
) -> dict[str, Any]:
    """Evaluate the run that published the entity's tables (``run_id`` is this job's own)."""
    with stage(f"evaluate {entity}"):
        report = evaluate_entity(spark, cfg, cfg.entity(entity), golden)
    logger.info("%s", summary_line(entity, report, str(report_path(cfg, entity, "json"))))
    return report


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def summary_line(entity: str, r: dict[str, Any], path: str) -> str:
    """The evaluation in one line, by golden shape."""
    if r.get("golden") == "labelled pairs":
        return (
            f"evaluate {entity} on {r['n_labelled_pairs']} labelled pairs at p >= "
            f"{r['threshold']:.3f}: P {_f(r['precision'])} R {_f(r['recall'])} F1 {_f(r['f1'])}"
            f" | pair completeness {_f(r['pair_completeness'])} | reduction ratio "
            f"{_f(r['reduction_ratio'])} | report {path}"
        )
    if r.get("golden") == "assignments":
        return (
            f"evaluate {entity} at p >= {r['threshold']:.3f}: {r['n_records']} records, "
            f"P {_f(r['precision'])} R {_f(r['recall'])} F1 {_f(r['f1'])} | report {path}"
        )
    return (
        f"evaluate {entity} at p >= {r['threshold']:.3f}: pairwise P {_f(r['precision'])} "
        f"R {_f(r['recall'])} F1 {_f(r['f1'])} | B-cubed P {_f(r['bcubed_precision'])} "
        f"R {_f(r['bcubed_recall'])} F1 {_f(r['bcubed_f1'])} | blocking recall "
        f"{_f(r['blocking_recall'])} | false merges {r.get('false_merges', {})} | report {path}"
    )


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
    run_main(main)
