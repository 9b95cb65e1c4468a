"""Score candidate pairs with a trained model and cluster them into groups (Delta tables).

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/resolve.py --profile cluster --entity recordings
    python -m jobs.resolve --entity recordings [--model path/to/model.json | 3 | @challenger]

The model is the registry's @champion unless --model (or lifecycle.models.<entity>)
names another (see jobs._registry); with nothing registered, the newest JSON in
paths.models_dir.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pyspark.sql import SparkSession

from jobs._pipeline import ResolveResult, resolve
from jobs._runtime import AppConfig, stage, start_job

logger = logging.getLogger(__name__)

MODEL_HELP = (
    "model JSON, models folder, registry version (3) or alias (@challenger); default @champion"
)


def run(
    spark: SparkSession, cfg: AppConfig, *, entity: str, run_id: str, model_path: str | None = None
) -> ResolveResult:
    e = cfg.entity(entity)
    with stage(f"resolve {entity}"):
        result = resolve(spark, cfg, e, run_id, model_path)
    logger.info(
        "resolve %s with %s: %d candidate pairs, %d above p >= %.3f, %d groups; largest: %s",
        entity,
        result.model_version,
        result.n_pairs,
        result.n_accepted,
        e.clustering.threshold,
        result.n_groups,
        ", ".join(f"{gid} ({n})" for gid, n in result.largest_groups),
    )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    ctx = start_job(
        __doc__, argv, lambda p: p.add_argument("--model", default=None, help=MODEL_HELP)
    )
    run(ctx.spark, ctx.cfg, entity=ctx.args.entity, run_id=ctx.run_id, model_path=ctx.args.model)


if __name__ == "__main__":
    main()
