"""Stage timings and peak memory of the whole chain at a given catalog size, Spark vs DuckDB.

Runs generate -> features -> train (on a sample) -> resolve -> evaluate in one
Spark session and records, per stage: wall seconds, pairs scored, peak RSS of
the driver JVM and of Python. Then the same trained model, converted to DuckDB
SQL (splink_models.dialect), resolves the same feature table with Splink on
DuckDB: the Delta feature table is exported to Parquet once (Spark, stage
"export", not part of DuckDB's time), then DuckDB's predict + cluster + Parquet
write is timed as engine "duckdb", stage "resolve", against Spark's predict +
cluster + Delta write. DuckDB runs inside this Python process, so its peak RSS
is this process's (the high-water mark is reset before the stage where Linux
allows it). The pair sets and match probabilities of the two engines are
compared and a mismatch is logged as a warning.

Appends to reports/benchmarks/perf.json (a list of {engine, n_tracks, stage,
seconds, pairs, peak_rss_mb}) and prints a table with the Spark/DuckDB ratio.
Figures are for comparing ratios within one run: the machines are shared.

    python -m jobs.benchmark --n-tracks 100000
"""

from __future__ import annotations

import json
import logging
import resource
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs import build_features, evaluate, generate_sample, resolve, train
from jobs._runtime import AppConfig, ConfigError, read_table, start_job, write_json_atomic
from splink_models.dialect import to_dialect
from splink_models.duckdb_engine import resolve_duckdb
from splink_models.engine import TrainedModel

logger = logging.getLogger(__name__)


def _jvm_peak_rss_mb(spark: SparkSession) -> float:
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _python_peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_python_peak_rss() -> bool:
    """Start a new high-water mark, so that a stage's peak is its own (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        logger.warning("cannot reset the peak RSS: DuckDB's peak includes the earlier stages'")
        return False
    return True


def run(spark: SparkSession, cfg: AppConfig, *, entity: str, run_id: str) -> list[dict[str, Any]]:
    rows = run_spark(spark, cfg, entity=entity, run_id=run_id)
    rows += run_duckdb(spark, cfg, entity=entity, run_id=run_id)
    return rows


def run_spark(
    spark: SparkSession, cfg: AppConfig, *, entity: str, run_id: str
) -> list[dict[str, Any]]:
    n = cfg.sample.n_tracks
    rows: list[dict[str, Any]] = []
    stages = [
        ("generate", lambda: generate_sample.run(spark, cfg, entity)),
        ("features", lambda: build_features.run(spark, cfg, entity=entity, run_id=run_id)),
        ("train", lambda: train.run(spark, cfg, entity=entity, run_id=run_id)),
        ("resolve", lambda: resolve.run(spark, cfg, entity=entity, run_id=run_id)),
        ("evaluate", lambda: evaluate.run(spark, cfg, entity=entity, run_id=run_id)),
    ]
    for name, fn in stages:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
        pairs = getattr(result, "n_pairs", None)
        rows.append(
            {
                "engine": "spark",
                "n_tracks": n,
                "stage": name,
                "seconds": round(seconds, 1),
                "pairs": pairs,
                "peak_rss_mb": round(max(_jvm_peak_rss_mb(spark), 0), 0),
                "python_peak_rss_mb": round(_python_peak_rss_mb(), 0),
                "tracks_per_s": round(n / seconds, 0) if seconds else None,
            }
        )
        logger.info("benchmark %s: %.1fs", name, seconds)
        if name == "evaluate":
            rows[-1]["quality"] = {k: result[k] for k in ("f1", "bcubed_f1", "precision", "recall")}
    total = sum(r["seconds"] for r in rows)
    rows.append(
        {
            "engine": "spark",
            "n_tracks": n,
            "stage": "total",
            "seconds": round(total, 1),
            "pairs": rows[3]["pairs"],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in rows),
        }
    )
    return rows


def run_duckdb(
    spark: SparkSession, cfg: AppConfig, *, entity: str, run_id: str
) -> list[dict[str, Any]]:
    """The resolve stage again, on DuckDB, with the model and feature table Spark just used."""
    e = cfg.entity(entity)
    n = cfg.sample.n_tracks
    if "://" in cfg.paths.warehouse:
        raise ConfigError(
            f"paths.warehouse={cfg.paths.warehouse!r}: the DuckDB benchmark reads and writes "
            "Parquet with local file I/O; benchmark with a local warehouse"
        )
    work = Path(cfg.paths.warehouse) / "_duckdb_benchmark" / entity
    features_parquet = str(work / f"{e.features_table}.parquet")

    start = time.perf_counter()
    read_table(spark, cfg.table_path(e.features_table)).write.mode("overwrite").parquet(
        features_parquet
    )
    export = {
        "engine": "spark",
        "n_tracks": n,
        "stage": "export",
        "seconds": round(time.perf_counter() - start, 1),
        "pairs": None,
        "peak_rss_mb": round(max(_jvm_peak_rss_mb(spark), 0), 0),
    }
    model = to_dialect(
        TrainedModel.load(entity, cfg.paths.models_dir), "duckdb", module=e.model_module
    )
    c = e.clustering
    _reset_python_peak_rss()
    start = time.perf_counter()
    result = resolve_duckdb(
        features_parquet,
        model,
        out_dir=work / "resolved",
        id_column=e.id_column,
        group_column=e.group_column,
        group_id_prefix=e.group_id_prefix,
        threshold=c.threshold,
        max_group_size=c.max_group_size,
        step=c.strict_threshold_step,
        run_id=run_id,
    )
    seconds = time.perf_counter() - start
    logger.info("benchmark duckdb resolve: %.1fs", seconds)
    peak = round(_python_peak_rss_mb(), 0)
    resolved = {
        "engine": "duckdb",
        "n_tracks": n,
        "stage": "resolve",
        "seconds": round(seconds, 1),
        "pairs": result.n_pairs,
        "peak_rss_mb": peak,
        "python_peak_rss_mb": peak,
        "tracks_per_s": round(n / seconds, 0) if seconds else None,
        "agreement": agreement(spark, cfg, entity, result.pairs_path, result.groups_path),
    }
    return [export, resolved]


def agreement(
    spark: SparkSession, cfg: AppConfig, entity: str, pairs_path: Path, groups_path: Path
) -> dict[str, Any]:
    """How far DuckDB's pairs and groups are from Spark's: both should be identical."""
    e = cfg.entity(entity)
    idc = e.id_column
    keys = [f"{idc}_l", f"{idc}_r"]
    spark_pairs = read_table(spark, cfg.table_path(e.pairs_table)).select(
        *keys,
        F.col("match_probability").alias("p_spark"),
        F.col("comparison_levels").alias("levels_spark"),
    )
    duckdb_pairs = spark.read.parquet(str(pairs_path)).select(
        *keys,
        F.col("match_probability").alias("p_duckdb"),
        F.col("comparison_levels").alias("levels_duckdb"),
    )
    joined = spark_pairs.join(duckdb_pairs, keys, "full_outer").cache()
    # which comparisons put a pair in another level (both sides list them in model order)
    n_comparisons = joined.select(F.max(F.size("levels_spark"))).first()[0] or 0
    names = joined.where(F.col("levels_spark").isNotNull()).first()
    level_counts = joined.agg(
        *[
            F.sum(
                (F.col("levels_spark")[i]["level"] != F.col("levels_duckdb")[i]["level"]).cast(
                    "int"
                )
            ).alias(str(i))
            for i in range(n_comparisons)
        ]
    ).first()
    other_level = {
        names["levels_spark"][i]["comparison"]: int(level_counts[str(i)] or 0)
        for i in range(n_comparisons)
        if level_counts[str(i)]
    }
    spark_groups = read_table(spark, cfg.table_path(e.groups_table)).select(
        idc, F.col(e.group_column).alias("g_spark")
    )
    duckdb_groups = spark.read.parquet(str(groups_path)).select(
        idc, F.col(e.group_column).alias("g_duckdb")
    )
    pairs_row = joined.agg(
        F.count("p_spark").alias("spark"),
        F.count("p_duckdb").alias("duckdb"),
        F.sum(F.col("p_duckdb").isNull().cast("int")).alias("only_spark"),
        F.sum(F.col("p_spark").isNull().cast("int")).alias("only_duckdb"),
        F.max(F.abs(F.col("p_spark") - F.col("p_duckdb"))).alias("max_diff"),
        F.sum((F.abs(F.col("p_spark") - F.col("p_duckdb")) > 1e-9).cast("int")).alias("p_differs"),
    ).first()
    joined.unpersist()
    groups_differ = (
        spark_groups.join(duckdb_groups, idc, "full_outer")
        .where(~F.col("g_spark").eqNullSafe(F.col("g_duckdb")))
        .count()
    )
    result = {
        "pairs_spark": int(pairs_row["spark"]),
        "pairs_duckdb": int(pairs_row["duckdb"]),
        "pairs_only_spark": int(pairs_row["only_spark"] or 0),
        "pairs_only_duckdb": int(pairs_row["only_duckdb"] or 0),
        "max_abs_probability_diff": pairs_row["max_diff"] or 0.0,
        "pairs_probability_differs": int(pairs_row["p_differs"] or 0),
        # Jaro-Winkler is each backend's own function and they differ slightly
        "pairs_in_another_level": other_level,
        "records_in_another_group": groups_differ,
    }
    if result["pairs_only_spark"] or result["pairs_only_duckdb"]:
        logger.warning(
            "DuckDB and Spark scored different pair sets with the same model and blocking "
            "rules: %d pairs only on Spark, %d only on DuckDB",
            result["pairs_only_spark"],
            result["pairs_only_duckdb"],
        )
    if result["pairs_probability_differs"]:
        logger.warning(
            "%d pairs have another match probability on DuckDB (up to %.3g); comparisons "
            "that put them in another level: %s (Jaro-Winkler is each backend's own "
            "function: DuckDB's counts transpositions differently from Splink's Spark jar)",
            result["pairs_probability_differs"],
            result["max_abs_probability_diff"],
            other_level,
        )
    if groups_differ:
        logger.warning("%d records are in another group on DuckDB than on Spark", groups_differ)
    logger.info("Spark vs DuckDB agreement: %s", result)
    return result


def record(rows: list[dict[str, Any]], reports_dir: str) -> Path:
    path = Path(reports_dir) / "benchmarks" / "perf.json"
    existing = json.loads(path.read_text()) if path.exists() else []
    keep = [
        r
        for r in existing
        if (r["engine"], r["n_tracks"]) not in {(x["engine"], x["n_tracks"]) for x in rows}
    ]
    return write_json_atomic(path, keep + rows)


def table(rows: list[dict[str, Any]]) -> str:
    """The rows, then Spark's resolve time over DuckDB's. Peak MB: JVM for Spark, Python
    (DuckDB runs in process) for DuckDB."""
    header = f"{'engine':<7} {'tracks':>9} {'stage':<9} {'seconds':>8} {'pairs':>10} {'peak MB':>12} {'py peak MB':>11}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['engine']:<7} {r['n_tracks']:>9,} {r['stage']:<9} {r['seconds']:>8.1f} "
            f"{(r['pairs'] or 0):>10,} {r['peak_rss_mb']:>12,.0f} {r.get('python_peak_rss_mb') or 0:>11,.0f}"
        )
    resolve = {r["engine"]: r for r in rows if r["stage"] == "resolve"}
    if {"spark", "duckdb"} <= resolve.keys():
        spark_s, duckdb_s = resolve["spark"]["seconds"], resolve["duckdb"]["seconds"]
        ratio = f"{spark_s / duckdb_s:.1f}x" if duckdb_s else "n/a"
        lines.append(
            f"resolve (predict + cluster + write): spark {spark_s:.1f}s, duckdb {duckdb_s:.1f}s, "
            f"spark/duckdb = {ratio}"
        )
        if agreed := resolve["duckdb"].get("agreement"):
            lines.append(
                "agreement: pairs spark {pairs_spark:,} / duckdb {pairs_duckdb:,} "
                "(only spark {pairs_only_spark}, only duckdb {pairs_only_duckdb}), "
                "max |p_spark - p_duckdb| {max_abs_probability_diff:.3g} "
                "({pairs_probability_differs} pairs > 1e-9; in another level: "
                "{pairs_in_another_level}), "
                "records in another group {records_in_another_group}".format(**agreed)
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    def extra(parser) -> None:
        parser.add_argument("--n-tracks", type=int, default=100_000)

    ctx = start_job(__doc__, argv, extra)
    cfg = replace(ctx.cfg, sample=replace(ctx.cfg.sample, n_tracks=ctx.args.n_tracks))
    rows = run(ctx.spark, cfg, entity=ctx.args.entity, run_id=ctx.run_id)
    path = record(rows, cfg.paths.reports_dir)
    logger.info("\n%s\nwritten to %s", table(rows), path)


if __name__ == "__main__":
    main()
