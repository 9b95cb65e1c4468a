"""A day-2 delivery against a full rebuild at one catalog size: time, partition, ids.

    python -m jobs.bench_incremental --n-tracks 1000000     # make bench-incremental

(jobs.bench_incremental is the entry point; this module is the benchmark.)
Under ``--scratch-dir``/<size> (emptied first): generate the sample with its
day-2 delivery (``sample.delivery_rate``), then features -> train -> resolve:
day 1. Day 1's tables are copied; on the copy, the day-2 catalog (the input
table as the delivery leaves it) is rebuilt in full: features + resolve with
the same model, timed as ``full_seconds``. On day 1's own tables the delivery
goes through jobs.deliver, timed as ``delivery_seconds``. Then the two are
compared: the same partition of records (``same_partition_as_rebuild``), and
of the groups whose members the delivery left as they were on day 1, the share
that kept their day-1 id (``unchanged_ids_share``) and the share with the
rebuild's id; the candidate pairs on one side only, and how far the scores of
the pairs the delivery kept (day 1's term frequencies) are from the rebuild's. Writes reports/benchmarks/incremental.json and prints a table.
Both runs are in one session, one after the other: compare the ratio, not the
seconds across runs.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs import build_features, deliver, generate_sample, resolve, train
from jobs.bench.perf import DEFAULT_TRAIN_SAMPLE_ROWS, scratch_root, size_config
from jobs.runtime.config import AppConfig, load_config, scratch_overrides
from jobs.runtime.delta import read_table, write_table
from jobs.runtime.job import common_args, new_run_id, setup_logging
from jobs.runtime.output import text_table, write_json_atomic
from jobs.runtime.session import build_spark
from jobs.stages.common import contracts
from jobs.stages.delivery_input import input_after_delivery

logger = logging.getLogger(__name__)

DEFAULT_SCRATCH_DIR = "data/bench/incremental"
REPORT = Path("benchmarks") / "incremental.json"  # under paths.reports_dir


def membership(groups: DataFrame, id_column: str, group_column: str) -> DataFrame:
    """(group id, members): each group with a key of its sorted member ids."""
    return groups.groupBy(group_column).agg(
        F.sha2(F.concat_ws("\u0001", F.array_sort(F.collect_list(id_column))), 256).alias(
            "members"
        )
    )


def compare_outcomes(
    spark: SparkSession, entity: str, day1: DataFrame, delivered: AppConfig, rebuilt: AppConfig
) -> dict[str, Any]:
    """The delivery's groups against the rebuild's and against day 1's (``membership`` frame).

    ``same_partition_as_rebuild``: every group of one is a group of the other.
    ``unchanged_ids_share``: of the delivery's groups whose members are a day-1
    group's, the share with that group's id; ``same_ids_as_rebuild_share``: of
    those, the share the rebuild gave the same id too.
    """
    e = delivered.entity(entity)

    def groups_of(cfg: AppConfig) -> DataFrame:
        g = read_table(spark, cfg.table_path(e.groups_table))
        return membership(g, e.id_column, e.group_column).localCheckpoint()

    a, b = groups_of(delivered), groups_of(rebuilt)
    only_a = a.select("members").exceptAll(b.select("members")).count()
    only_b = b.select("members").exceptAll(a.select("members")).count()
    gc = e.group_column
    kept = (
        a.join(day1.withColumnRenamed(gc, "day1_id"), "members")
        .join(b.withColumnRenamed(gc, "rebuilt_id"), "members", "left")
        .agg(
            F.count("*").alias("unchanged"),
            F.sum((F.col(gc) == F.col("day1_id")).cast("long")).alias("same_as_day1"),
            F.sum((F.col(gc) == F.col("rebuilt_id")).cast("long")).alias("same_as_rebuild"),
        )
        .first()
    )
    unchanged = int(kept["unchanged"])
    idc = e.id_column
    keys = [f"{idc}_l", f"{idc}_r"]

    def pairs_of(cfg: AppConfig, side: str) -> DataFrame:
        return read_table(spark, cfg.table_path(e.pairs_table)).select(
            *keys,
            F.col("match_probability").alias(f"p_{side}"),
            F.col("above_threshold").alias(f"accepted_{side}"),
            F.col("run_id").alias(f"run_{side}"),
        )

    # every pair against the rebuild: the ones a delivery did not rescore moved by less
    # than its term-frequency totals can move a pair, and crossed no clustering level
    drift = (
        pairs_of(delivered, "a")
        .join(pairs_of(rebuilt, "b"), keys, "full")
        .agg(
            F.sum((F.col("p_a").isNull() | F.col("p_b").isNull()).cast("long")).alias("unmatched"),
            F.max(F.abs(F.col("p_a") - F.col("p_b"))).alias("max_shift"),
            F.sum((F.col("accepted_a") != F.col("accepted_b")).cast("long")).alias("flipped"),
        )
        .first()
    )
    return {
        "pairs_only_on_one_side": int(drift["unmatched"] or 0),
        "max_probability_shift_vs_rebuild": drift["max_shift"],
        "pairs_accepted_differently": int(drift["flipped"] or 0),
        "groups": a.count(),
        "groups_only_in_delivery": only_a,
        "groups_only_in_rebuild": only_b,
        "same_partition_as_rebuild": only_a == 0 and only_b == 0,
        "unchanged_groups": unchanged,
        "unchanged_ids_share": (int(kept["same_as_day1"] or 0) / unchanged) if unchanged else None,
        "same_ids_as_rebuild_share": (int(kept["same_as_rebuild"] or 0) / unchanged)
        if unchanged
        else None,
    }


def rebuild(
    spark: SparkSession, cfg: AppConfig, entity: str, delivery: str, run_id: str, model: str
) -> float:
    """The day-2 catalog resolved in full with ``model``: seconds of features + resolve."""
    e = cfg.entity(entity)
    contract = contracts(e).input
    catalog = input_after_delivery(spark, cfg, e, delivery).localCheckpoint()
    write_table(catalog, cfg.table_path(e.input_table), contract)
    start = time.perf_counter()
    build_features.run(spark, cfg, entity=entity, run_id=run_id)
    resolve.run(spark, cfg, entity=entity, run_id=run_id, model_path=model)
    return time.perf_counter() - start


def run(
    spark: SparkSession,
    n_tracks: int,
    *,
    entity: str,
    run_id: str,
    scratch_dir: str = DEFAULT_SCRATCH_DIR,
    train_sample_rows: int = DEFAULT_TRAIN_SAMPLE_ROWS,
    profile: str = "local",
    overrides: Sequence[str] = (),
) -> dict[str, Any]:
    root = scratch_root(scratch_dir, n_tracks)
    if root.exists():
        shutil.rmtree(root)
    day1 = size_config(
        n_tracks,
        entity=entity,
        scratch_dir=scratch_dir,
        train_sample_rows=train_sample_rows,
        profile=profile,
        overrides=overrides,
    )
    spark.sparkContext.setCheckpointDir(day1.paths.checkpoint_dir)
    e = day1.entity(entity)
    delivery = day1.sample.delivery_table
    if not delivery or not day1.sample.delivery_rate:
        raise ValueError("sample.delivery_rate and sample.delivery_table must be set")
    generate_sample.run(spark, day1)
    build_features.run(spark, day1, entity=entity, run_id=f"{run_id}-day1")
    model = str(train.run(spark, day1, entity=entity, run_id=f"{run_id}-day1"))
    start = time.perf_counter()
    resolve.run(spark, day1, entity=entity, run_id=f"{run_id}-day1", model_path=model)
    day1_resolve = time.perf_counter() - start
    groups = read_table(spark, day1.table_path(e.groups_table))
    day1_groups = membership(groups, e.id_column, e.group_column).localCheckpoint()
    copy = root.parent / f"{root.name}-rebuild"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(root, copy)
    rebuilt = size_config(
        n_tracks,
        entity=entity,
        scratch_dir=scratch_dir,
        train_sample_rows=train_sample_rows,
        profile=profile,
        overrides=[*overrides, *scratch_overrides(str(copy.parent), copy.name)],
    )
    full_seconds = rebuild(spark, rebuilt, entity, delivery, f"{run_id}-rebuild", model)
    start = time.perf_counter()
    delivered = deliver.run(spark, day1, entity=entity, delivery=delivery, run_id=f"{run_id}-day2")
    delivery_seconds = time.perf_counter() - start
    outcome = compare_outcomes(spark, entity, day1_groups, day1, rebuilt)
    return {
        "n_tracks": n_tracks,
        "delivery_rows": delivered.counts["rows"],
        "delivery_counts": delivered.counts,
        "id_events": delivered.id_events,
        "day1_resolve_seconds": round(day1_resolve, 1),
        "full_seconds": round(full_seconds, 1),
        "delivery_seconds": round(delivery_seconds, 1),
        "speedup": round(full_seconds / delivery_seconds, 2),
        **outcome,
    }


def main(argv: Sequence[str] | None = None) -> None:
    def extra(parser) -> None:
        parser.add_argument("--entity", default="recordings", help="a dedupe entity (the tracks')")
        parser.add_argument("--n-tracks", type=int, default=100_000, help="catalog size")
        parser.add_argument(
            "--train-sample-rows", type=int, default=DEFAULT_TRAIN_SAMPLE_ROWS,
            help="train on about this many rows",
        )
        parser.add_argument("--scratch-dir", default=DEFAULT_SCRATCH_DIR)

    setup_logging()
    args = common_args(__doc__.strip().splitlines()[0], argv, extra)
    base = size_config(
        args.n_tracks,
        entity=args.entity,
        scratch_dir=args.scratch_dir,
        train_sample_rows=args.train_sample_rows,
        profile=args.profile,
        overrides=[*scratch_overrides(args.scratch_dir, "session"), *args.overrides],
    )
    spark = build_spark(base)
    try:
        row = run(
            spark,
            args.n_tracks,
            entity=args.entity,
            run_id=args.run_id or new_run_id(),
            scratch_dir=args.scratch_dir,
            train_sample_rows=args.train_sample_rows,
            profile=args.profile,
            overrides=tuple(args.overrides),
        )
    finally:
        spark.stop()
    # the report goes where the profile puts reports, not under the scratch folder
    reports_dir = load_config(args.profile, conf_dir=args.config_dir, overrides=args.overrides)
    reports_dir = reports_dir.paths.reports_dir
    path = write_json_atomic(Path(reports_dir) / REPORT, row)
    shown = [{"measure": k, "value": str(v)} for k, v in row.items()]
    logger.info("\n%s\nwritten to %s", text_table(shown, ("measure", "value")), path)
