"""Build an entity's feature table from its input table; set bad input aside in quarantine.

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/build_features.py --profile cluster --entity recordings
    python -m jobs.build_features --entity recordings

A derived entity first builds its input table from the entity it is derived from.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pyspark.sql import SparkSession

from jobs.runtime.config import AppConfig
from jobs.runtime.job import run_main, stage, start_job
from jobs.stages.features import FeatureResult, build_features

logger = logging.getLogger(__name__)


def run(spark: SparkSession, cfg: AppConfig, *, entity: str, run_id: str) -> FeatureResult:
    with stage(f"features {entity}"):
        result = build_features(spark, cfg, cfg.entity(entity), run_id)
    logger.info(
        "features %s: %d input records -> %d feature rows, %d quarantine rows %s",
        entity,
        result.n_input,
        result.n_features,
        sum(result.quarantine_by_reason.values()),
        result.quarantine_by_reason or "",
    )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    ctx = start_job(__doc__, argv)
    run(ctx.spark, ctx.cfg, entity=ctx.args.entity, run_id=ctx.run_id)


if __name__ == "__main__":
    run_main(main)
