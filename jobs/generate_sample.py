"""Generate the sample catalog: tracks and videos (inputs) and their golden truth, as Delta tables.

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/generate_sample.py --profile local --set sample.n_tracks=20000
    python -m jobs.generate_sample --set sample.n_tracks=20000
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pyspark.sql import SparkSession

from features.schemas import TRACK_GOLDEN, TRACK_INPUT, VIDEO_GOLDEN, VIDEO_INPUT
from jobs._runtime import AppConfig, stage, start_job, write_table
from jobs._samplegen import generate_catalog, inject_bad_rows
from jobs._videogen import generate_videos, inject_bad_videos

logger = logging.getLogger(__name__)


def run(spark: SparkSession, cfg: AppConfig, entity: str = "recordings") -> dict[str, int]:
    e = cfg.entity(entity)
    with stage(f"generate {cfg.sample.n_tracks} tracks (seed {cfg.sample.seed})"):
        tracks, golden = generate_catalog(cfg.sample.n_tracks, seed=cfg.sample.seed)
        videos = None
        if cfg.videos is not None and e.name == cfg.videos.linked_entity:
            # from the clean tracks: a video shows a recording, not a feed's typo
            videos, video_golden = generate_videos(
                tracks, golden, seed=cfg.sample.seed, video_rate=cfg.videos.sample_video_rate
            )
            videos, spoiled_videos = inject_bad_videos(
                videos, cfg.sample.bad_row_rate, seed=cfg.sample.seed
            )
        tracks, spoiled = inject_bad_rows(tracks, cfg.sample.bad_row_rate, seed=cfg.sample.seed)
        tracks = tracks.assign(genre=None)  # the generator invents no genres
    with stage("write sample tables"):
        write_table(
            spark.createDataFrame(tracks, TRACK_INPUT), cfg.table_path(e.input_table), TRACK_INPUT
        )
        write_table(
            spark.createDataFrame(golden, TRACK_GOLDEN),
            cfg.table_path(e.golden_table),
            TRACK_GOLDEN,
        )
        if videos is not None:
            v = cfg.video()
            write_table(
                spark.createDataFrame(videos, VIDEO_INPUT),
                cfg.table_path(v.input_table),
                VIDEO_INPUT,
            )
            write_table(
                spark.createDataFrame(video_golden, VIDEO_GOLDEN),
                cfg.table_path(v.golden_table),
                VIDEO_GOLDEN,
            )
    summary = {
        "tracks": len(golden),
        "spoiled_rows": sum(spoiled.values()),
        "recordings": int(golden["recording_id"].nunique()),
        "works": int(golden["work_id"].nunique()),
        "videos": 0 if videos is None else len(video_golden),
        "spoiled_videos": 0 if videos is None else sum(spoiled_videos.values()),
    }
    logger.info(
        "sample catalog: %(tracks)d tracks of %(recordings)d recordings of %(works)d works, "
        "%(spoiled_rows)d rows spoiled on purpose; %(videos)d videos "
        "(%(spoiled_videos)d spoiled)",
        summary,
    )
    logger.info("tables: %s, %s", cfg.table_path(e.input_table), cfg.table_path(e.golden_table))
    return summary


def main(argv: Sequence[str] | None = None) -> None:
    ctx = start_job(__doc__, argv)
    run(ctx.spark, ctx.cfg, ctx.args.entity)


if __name__ == "__main__":
    main()
