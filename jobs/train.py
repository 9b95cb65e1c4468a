"""Train an entity's Splink model on its feature table; save the JSON and log it to MLflow.

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/train.py --profile cluster --entity recordings
    python -m jobs.train --entity recordings
    python -m jobs.train --entity videos      # after recordings are resolved
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import SparkSession

from jobs._pipeline import train
from jobs._runtime import AppConfig, stage, start_job

logger = logging.getLogger(__name__)


def run(spark: SparkSession, cfg: AppConfig, *, entity: str, run_id: str) -> Path:
    with stage(f"train {entity}"):
        if entity == "videos":
            from jobs._video_pipeline import train_videos

            model, path = train_videos(spark, cfg, run_id)
        else:
            model, path = train(spark, cfg, cfg.entity(entity), run_id)
    logger.info("model %s saved to %s", model.version, path)
    return path


def main(argv: Sequence[str] | None = None) -> None:
    ctx = start_job(__doc__, argv)
    run(ctx.spark, ctx.cfg, entity=ctx.args.entity, run_id=ctx.run_id)


if __name__ == "__main__":
    main()
