"""Generate the sample catalog: tracks (input) and their golden truth, as Delta tables.

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/generate_sample.py --profile local --set sample.n_tracks=20000
    python -m jobs.generate_sample --set sample.n_tracks=20000
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pyspark.sql import SparkSession

from features.schemas import TRACK_GOLDEN, TRACK_INPUT
from jobs._runtime import AppConfig, stage, start_job, write_table
from jobs._samplegen import generate_catalog, inject_bad_rows

logger = logging.getLogger(__name__)


def run(spark: SparkSession, cfg: AppConfig, entity: str = "recordings") -> dict[str, int]:
    e = cfg.entity(entity)
    with stage(f"generate {cfg.sample.n_tracks} tracks (seed {cfg.sample.seed})"):
        tracks, golden = generate_catalog(cfg.sample.n_tracks, seed=cfg.sample.seed)
        tracks, spoiled = inject_bad_rows(tracks, cfg.sample.bad_row_rate, seed=cfg.sample.seed)
    with stage("write sample tables"):
        write_table(
            spark.createDataFrame(tracks, TRACK_INPUT), cfg.table_path(e.input_table), TRACK_INPUT
        )
        write_table(
            spark.createDataFrame(golden, TRACK_GOLDEN),
            cfg.table_path(e.golden_table),
            TRACK_GOLDEN,
        )
    summary = {
        "tracks": len(golden),
        "spoiled_rows": sum(spoiled.values()),
        "recordings": int(golden["recording_id"].nunique()),
        "works": int(golden["work_id"].nunique()),
    }
    logger.info(
        "sample catalog: %(tracks)d tracks of %(recordings)d recordings of %(works)d works, "
        "%(spoiled_rows)d rows spoiled on purpose",
        summary,
    )
    logger.info("tables: %s, %s", cfg.table_path(e.input_table), cfg.table_path(e.golden_table))
    return summary


def main(argv: Sequence[str] | None = None) -> None:
    ctx = start_job(__doc__, argv)
    run(ctx.spark, ctx.cfg, ctx.args.entity)


if __name__ == "__main__":
    main()
