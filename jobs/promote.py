"""Move an entity's `champion` alias to the challenger when it passes the gate on the golden data.

Both models score the same feature tables (nothing is published) and are
evaluated against the golden data at the entity's threshold; the gate
(``lifecycle.gate``) compares the two. The decision is printed, tagged on the
challenger's model version (``gate.*``) and recorded as an MLflow run.

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/promote.py --profile cluster --entity recordings
    python -m jobs.promote --entity recordings [--challenger @challenger | 3]
    python -m jobs.promote --entity videos
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pyspark.sql import SparkSession

from jobs.runtime.config import AppConfig
from jobs.runtime.job import run_main, start_job
from jobs.stages.promote import Promotion, promote

logger = logging.getLogger(__name__)


def run(
    spark: SparkSession,
    cfg: AppConfig,
    *,
    entity: str,
    run_id: str,
    challenger: str | None = None,
) -> Promotion:
    """Gate ``challenger`` (a registry version or alias; default @challenger) against @champion."""
    result = promote(spark, cfg, entity=entity, run_id=run_id, challenger=challenger)
    logger.info("\n".join(["", *result.summary]))
    return result


def main(argv: Sequence[str] | None = None) -> None:
    ctx = start_job(
        __doc__,
        argv,
        lambda p: p.add_argument(
            "--challenger",
            default=None,
            help="registry version or alias to gate (default: @challenger)",
        ),
    )
    run(
        ctx.spark,
        ctx.cfg,
        entity=ctx.args.entity,
        run_id=ctx.run_id,
        challenger=ctx.args.challenger,
    )


if __name__ == "__main__":
    run_main(main)
