"""Link music videos to recording groups: at most one group per video (Delta tables).

Reads the video feature table, the recording features and groups, scores
video x track candidates with the trained video model, and writes
`video_pairs`, `video_matches` (one row per assigned video, with its primary
flag and explanation) and `unmatched_videos` (with the reason).

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/resolve_videos.py --profile cluster
    python -m jobs.resolve_videos [--model path/to/videos-model.json | 3 | @challenger]

The model is the registry's @champion of videos unless --model (or
lifecycle.models.videos) names another; with nothing registered, the newest JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pyspark.sql import SparkSession

from jobs._runtime import AppConfig, stage, start_job
from jobs._video_pipeline import VideoResolveResult, resolve_videos
from jobs.resolve import MODEL_HELP

logger = logging.getLogger(__name__)


def run(
    spark: SparkSession, cfg: AppConfig, *, run_id: str, model_path: str | None = None
) -> VideoResolveResult:
    with stage("resolve videos"):
        result = resolve_videos(spark, cfg, run_id, model_path)
    logger.info(
        "resolve videos with %s: %d videos, %d candidate pairs, %d assigned, unassigned %s",
        result.model_version,
        result.n_videos,
        result.n_pairs,
        result.n_matched,
        result.unmatched_by_reason or "none",
    )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    ctx = start_job(
        __doc__,
        argv,
        lambda p: p.add_argument("--model", default=None, help=MODEL_HELP),
        entity=False,
    )
    run(ctx.spark, ctx.cfg, run_id=ctx.run_id, model_path=ctx.args.model)


if __name__ == "__main__":
    main()
