"""Generate the sample catalog's data sets (tracks, videos, releases) and their truth as Delta tables.

Each data set fills the input and golden tables of the entity that
``sample.entities`` names for it.

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/generate_sample.py --profile local --set sample.n_tracks=20000
    python -m jobs.generate_sample --set sample.n_tracks=20000
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pyspark.sql import SparkSession

from jobs.runtime.config import AppConfig
from jobs.runtime.delta import write_table
from jobs.runtime.job import run_main, stage, start_job
from jobs.samples.datasets import SampleDataset, generate_datasets
from jobs.stages.common import contracts, entity_table

logger = logging.getLogger(__name__)


def run(spark: SparkSession, cfg: AppConfig) -> dict[str, dict[str, int]]:
    """Write every configured data set; returns rows, truths and spoiled rows per data set."""
    s = cfg.sample
    with stage(f"generate {s.n_tracks} tracks (seed {s.seed})"):
        datasets = generate_datasets(s)
    summary: dict[str, dict[str, int]] = {}
    with stage("write sample tables"):
        for name, data in datasets.items():
            e = cfg.entity(cfg.sample.entities[name].partition(".")[0])
            table, contract = entity_table(
                e, cfg.sample.entities[name].partition(".")[2] or "input"
            )
            rows = data.rows[contract.fieldNames()]  # by name: createDataFrame goes by position
            write_table(spark.createDataFrame(rows, contract), cfg.table_path(table), contract)
            c = contracts(e)
            truth = e.golden.truth_column if e.golden and data.golden is not None else None
            if truth and e.golden_table and c.golden is not None:
                write_table(
                    spark.createDataFrame(data.golden, c.golden),
                    cfg.table_path(e.golden_table),
                    c.golden,
                )
            summary[name] = {
                "rows": len(data.rows),
                "truths": int(data.golden[truth].nunique()) if truth else 0,
                "spoiled": sum(data.spoiled.values()),
            }
        delivered = ""
        if s.delivery_rate and "tracks" in datasets:
            summary["delivery"] = d = write_delivery(spark, cfg, datasets["tracks"])
            delivered = (
                f"; day-2 delivery {d['rows']:,} rows ({d.get('new', 0)} new, "
                f"{d.get('changed', 0)} changed, {d.get('deleted', 0)} deleted) -> "
                f"{s.delivery_table}"
            )
    logger.info(
        "sample: %s%s",
        "; ".join(
            f"{name} {n['rows']:,} rows ({n['truths']:,} true, {n['spoiled']} spoiled) -> "
            f"{cfg.sample.entities[name]}"
            for name, n in summary.items()
            if name in datasets
        ),
        delivered,
    )
    return summary


def write_delivery(spark: SparkSession, cfg: AppConfig, tracks: SampleDataset) -> dict[str, int]:
    """The tracks' day-2 delivery (jobs.samples.delivery) to ``sample.delivery_table``."""
    from features.schemas import CHANGE_COLUMN
    from jobs.samples.delivery import generate_delivery
    from jobs.stages.delivery_input import delivery_contract

    s = cfg.sample
    delivery = generate_delivery(tracks.rows, tracks.golden, rate=s.delivery_rate, seed=s.seed)
    contract = delivery_contract(cfg.entity(s.entities["tracks"].partition(".")[0]))
    assert s.delivery_table is not None  # the config requires it with a rate
    write_table(
        spark.createDataFrame(delivery.rows, contract), cfg.table_path(s.delivery_table), contract
    )
    kinds = delivery.rows[CHANGE_COLUMN].value_counts()
    return {"rows": len(delivery.rows), **{str(k): int(n) for k, n in kinds.items()}}


def main(argv: Sequence[str] | None = None) -> None:
    ctx = start_job(__doc__, argv, entity=False)
    run(ctx.spark, ctx.cfg)


if __name__ == "__main__":
    run_main(main)
