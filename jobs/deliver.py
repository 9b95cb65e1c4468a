"""Link a delivery of new, changed and deleted records into a resolved catalog, without re-scoring it.

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/deliver.py --profile cluster --entity recordings --delivery s3://feeds/2026-12-05
    python -m jobs.deliver --entity recordings --delivery tracks_delivery

The delivery (a warehouse table name, or a Delta or Parquet path) holds rows
in the entity's input contract plus a ``change`` column: new, changed or
deleted. Only the pairs with a delivered record on one side are scored, with
the model that scored the catalog; only the groups the delivery touches are
clustered again, and they keep their ids by the stable-id rules. The input,
features, quarantine, pairs and groups tables are MERGEd; the id events go
to the entity's id history.

    python -m jobs.deliver --entity videos [--delivery videos_delivery]
    python -m jobs.deliver --entity works

A link entity (videos) takes its own delivery or none, and follows what
changed in the entity it links to since its last run: its records whose
pairs changed are assigned again (matches and unmatched MERGEd). A derived
entity (works, contributors) takes none: its delivery is its input rows
built from its source now, against its input table.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pyspark.sql import SparkSession

from jobs.runtime.config import AppConfig
from jobs.runtime.job import run_main, stage, start_job
from jobs.stages.deliver import DeliveryResult, deliver

logger = logging.getLogger(__name__)


def run(
    spark: SparkSession,
    cfg: AppConfig,
    *,
    entity: str,
    delivery: str | None,
    run_id: str,
    model_path: str | None = None,
) -> DeliveryResult:
    with stage(f"deliver {entity}"):
        result = deliver(spark, cfg, cfg.entity(entity), delivery, run_id, model_path)
    n = result.counts
    rows = (
        f"{n['rows']:.0f} rows ({n['new']:.0f} new, {n['changed']:.0f} changed, "
        f"{n['deleted']:.0f} deleted, {n['rejected']:.0f} rejected, {n['excluded']:.0f} excluded)"
    )
    pairs = (
        f"pairs -{n['pairs_removed']:.0f} +{n['pairs_added']:.0f}, "
        f"{n['pairs_rescored']:.0f} rescored"
    )
    if "records_reassigned" in n:  # a link entity
        logger.info(
            "delivery %s to %s with %s: %s; %.0f target members changed, %.0f gone; %s; "
            "%.0f records assigned again, %.0f matched",
            delivery or "(none: its target's changes)",
            entity,
            result.model_version,
            rows,
            n["members_changed"],
            n["members_gone"],
            pairs,
            n["records_reassigned"],
            n["matched_after"],
        )
        return result
    logger.info(
        "delivery %s to %s with %s: %s; %s; %.0f records re-clustered into %.0f groups; ids: %s",
        delivery or "(what changed in its source)",
        entity,
        result.model_version,
        rows,
        pairs,
        n["touched_records"],
        n["groups_after"],
        ", ".join(f"{k} {event}" for event, k in result.id_events.items()) or "unchanged",
    )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    def options(p):
        p.add_argument(
            "--delivery",
            default=None,
            help="table name, or Delta / Parquet path (a link entity may take none: it then "
            "follows the entity it links to; a derived entity takes none: its source says "
            "what changed)",
        )
        p.add_argument("--model", default=None, help="default: the model that scored the catalog")

    ctx = start_job(__doc__, argv, options)
    run(
        ctx.spark,
        ctx.cfg,
        entity=ctx.args.entity,
        delivery=ctx.args.delivery,
        run_id=ctx.run_id,
        model_path=ctx.args.model,
    )


if __name__ == "__main__":
    run_main(main)
