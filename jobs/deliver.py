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
    delivery: str,
    run_id: str,
    model_path: str | None = None,
) -> DeliveryResult:
    with stage(f"deliver {entity}"):
        result = deliver(spark, cfg, cfg.entity(entity), delivery, run_id, model_path)
    n = result.counts
    logger.info(
        "delivery %s to %s with %s: %d rows (%d new, %d changed, %d deleted, %d rejected, "
        "%d excluded); pairs -%d +%d, %d rescored; %d records re-clustered into %d groups; ids: %s",
        delivery,
        entity,
        result.model_version,
        n["rows"],
        n["new"],
        n["changed"],
        n["deleted"],
        n["rejected"],
        n["excluded"],
        n["pairs_removed"],
        n["pairs_added"],
        n["pairs_rescored"],
        n["touched_records"],
        n["groups_after"],
        ", ".join(f"{k} {event}" for event, k in result.id_events.items()) or "unchanged",
    )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    def options(p):
        p.add_argument("--delivery", required=True, help="table name, or Delta / Parquet path")
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
