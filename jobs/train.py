"""Train an entity's Splink model; save the JSON, log it to MLflow, register it as @challenger.

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/train.py --profile cluster --entity recordings
    python -m jobs.train --entity recordings
    python -m jobs.train --entity videos      # a link entity: after the entity it links to
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import SparkSession

from jobs.runtime.config import AppConfig
from jobs.runtime.job import run_main, stage, start_job
from jobs.stages.train import train

logger = logging.getLogger(__name__)


def run(spark: SparkSession, cfg: AppConfig, *, entity: str, run_id: str) -> Path:
    with stage(f"train {entity}"):
        model, path = train(spark, cfg, cfg.entity(entity), run_id)
    logger.info("model %s saved to %s", model.version, path)
    return path


def main(argv: Sequence[str] | None = None) -> None:
    ctx = start_job(__doc__, argv)
    run(ctx.spark, ctx.cfg, entity=ctx.args.entity, run_id=ctx.run_id)


if __name__ == "__main__":
    run_main(main)
