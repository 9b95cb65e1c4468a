"""Score candidate pairs with a trained model, then cluster them (dedupe, derived) or assign (link).

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/resolve.py --profile cluster --entity recordings
    python -m jobs.resolve --entity recordings [--model path/to/model.json | 3 | @challenger]
    python -m jobs.resolve --entity videos    # each video to at most one recording group

Writes the entity's pairs table and its groups (clustered kinds) or its
matches and unmatched tables (link kind). The model is the registry's
@champion unless --model (or lifecycle.models.<entity>) names another; with
nothing registered, the newest JSON in paths.models_dir.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pyspark.sql import SparkSession

from jobs.runtime.config import AppConfig
from jobs.runtime.job import run_main, stage, start_job
from jobs.stages.resolve import ResolveResult, resolve

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
    s = result.summary
    if e.clustered:
        logger.info(
            "resolve %s with %s: %d candidate pairs, %d above p >= %.3f, %d groups; largest: %s; "
            "ids: %s",
            entity,
            result.model_version,
            s["n_pairs"],
            s["n_accepted"],
            e.threshold,
            s["n_groups"],
            ", ".join(f"{gid} ({n})" for gid, n in s["largest_groups"]),
            ", ".join(f"{n} {event}" for event, n in s.get("id_events", {}).items()) or "unchanged",
        )
    else:
        logger.info(
            "resolve %s with %s: %d records, %d candidate pairs, %d assigned, unassigned %s",
            entity,
            result.model_version,
            s["n_records"],
            s["n_pairs"],
            s["n_matched"],
            s["unmatched_by_reason"] or "none",
        )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    ctx = start_job(
        __doc__, argv, lambda p: p.add_argument("--model", default=None, help=MODEL_HELP)
    )
    run(ctx.spark, ctx.cfg, entity=ctx.args.entity, run_id=ctx.run_id, model_path=ctx.args.model)


if __name__ == "__main__":
    run_main(main)
