"""Stage timings and peak memory of the whole chain at several catalog sizes, Spark vs DuckDB.

    python -m jobs.benchmark --sizes 10000,100000,1000000      # make bench
    python -m jobs.benchmark --n-tracks 100000                  # make bench-100k

(jobs.benchmark is the entry point; this module is the benchmark.)

Each size runs in turn, in a process and so a Spark driver JVM of its own (as
a spark-submit per job would: no heap, cache or JIT warm-up carried from one
size to the next, so each size's peak memory is its own), under a scratch
folder of its own (``--scratch-dir``/<size>: Delta tables, models, MLflow
store, evaluation report; never the demo's data/), emptied before the size
starts. Per size:
generate -> features -> train -> resolve -> evaluate on Spark, recording per
stage wall seconds, pairs scored and the peak RSS of the driver JVM and of
Python. Training uses at most ``--train-sample-rows`` rows: the entity's
``training.sample_fraction`` is set to min(1, rows / size) through a config
override, and the train row records the fraction and the rows it got. The
model trained there, converted to DuckDB SQL (splink_models.dialect), then
resolves the same feature table with Splink on DuckDB: the Delta feature table
is exported to Parquet once (Spark, stage "export", not part of DuckDB's time),
then DuckDB's predict + cluster + Parquet write is timed as engine "duckdb",
stage "resolve", against Spark's predict + cluster + Delta write (Spark's
"resolve", repeated as "predict_cluster_write" with the Spark/DuckDB ratio).
DuckDB runs inside this Python process, so its peak RSS is this process's. The
pair sets and match probabilities of the two engines are compared and a
mismatch is logged as a warning.

Spark's "total" is the chain a catalog pays for every night: features + train
(on a sample) + resolve (predict, cluster, Delta writes). Generate only makes
the synthetic input, and evaluate needs golden data a catalog does not have:
both are timed, neither is in the total. The perf.json rows of each
size are written as soon as it is done, so a size that fails keeps the earlier
ones.

Replaces the rows of the sizes it ran in reports/benchmarks/perf.json (a list
of {engine, n_tracks, stage, seconds, pairs, peak_rss_mb, ...}; other sizes'
rows are kept), draws reports/benchmarks/perf.png from all of them
(jobs.reports.perf_plot) and prints a table with the Spark/DuckDB ratio per size.
Figures are for comparing ratios within one run: the machines are shared.
"""

from __future__ import annotations

import json
import logging
import resource
import shutil
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

from features.errors import ConfigError
from jobs import build_features, evaluate, generate_sample, resolve, train
from jobs.reports.perf_plot import TOTAL_STAGES  # the nightly chain: no generate, no evaluate
from jobs.runtime.config import (
    PROJECT_ROOT,
    AppConfig,
    load_config,
    scratch_overrides,
)
from jobs.runtime.delta import read_table
from jobs.runtime.job import common_args, new_run_id, setup_logging
from jobs.runtime.output import text_table, write_json_atomic
from jobs.runtime.session import build_spark
from splink_models.dialect import to_dialect
from splink_models.duckdb_backend import resolve_duckdb
from splink_models.model import TrainedModel

logger = logging.getLogger(__name__)

DEFAULT_SCRATCH_DIR = "data/bench/perf"
DEFAULT_TRAIN_SAMPLE_ROWS = 200_000
SPARK_STAGES = ("generate", "features", "train", "resolve", "evaluate")
PERF_REPORT = Path("benchmarks") / "perf.json"  # under paths.reports_dir
PERF_PLOT = Path("benchmarks") / "perf.png"


# --- peak memory ------------------------------------------------------------------


def _peak_rss_mb(pid: int | str = "self") -> float:
    """A process's peak resident memory (VmHWM) in MB; NaN where /proc does not say."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid == "self":  # no /proc: the kernel's own peak (kB on Linux)
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return float("nan")


def _jvm_pid(spark: SparkSession) -> int:
    return spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()


def _reset_peak_rss(pid: int | str = "self") -> bool:
    """Start a new high-water mark, so that a peak is the part's own (Linux >= 4.0)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        logger.warning("cannot reset the peak RSS of process %s: it includes earlier work", pid)
        return False
    return True


def _mb(value: float) -> float | None:
    return None if value != value else round(value, 0)  # NaN -> None


# --- config per size ----------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    """``"10000,100000,1e6"`` -> [10000, 100000, 1000000]; every size a positive integer."""
    sizes = []
    for part in text.split(","):
        part = part.strip().replace("_", "")
        try:
            value = float(part)
        except ValueError:
            raise ConfigError(f"--sizes: {part!r} is not a number of tracks") from None
        if value < 1 or value != int(value):
            raise ConfigError(f"--sizes: {part!r} is not a positive whole number of tracks")
        sizes.append(int(value))
    if len(set(sizes)) != len(sizes):
        raise ConfigError(f"--sizes: {text!r} names a size twice")
    return sizes


def train_sample_fraction(n_tracks: int, train_sample_rows: int) -> float:
    """The share of a catalog training sees, so that it trains on about ``train_sample_rows``."""
    if train_sample_rows < 1:
        raise ConfigError(f"--train-sample-rows must be at least 1, got {train_sample_rows}")
    return min(1.0, train_sample_rows / n_tracks)


def scratch_root(scratch_dir: str, n_tracks: int) -> Path:
    """The folder one size writes into (a relative ``scratch_dir`` is under the project root)."""
    if "://" in scratch_dir:
        raise ConfigError(
            f"--scratch-dir={scratch_dir!r}: the benchmark reads and writes Parquet with local "
            "file I/O (DuckDB) and empties its folder first; give a local folder"
        )
    base = Path(scratch_dir)
    return (base if base.is_absolute() else PROJECT_ROOT / base) / str(n_tracks)


def size_config(
    n_tracks: int,
    *,
    entity: str,
    scratch_dir: str,
    train_sample_rows: int,
    profile: str = "local",
    conf_dir: str | Path | None = None,
    overrides: Sequence[str] = (),
) -> AppConfig:
    """The config one size runs with.

    Order of precedence, lowest first: the profile, the scratch paths (reports
    included, so the demo's evaluation report stays), the size and its training
    sample, the command line's ``--set``.
    """
    root = scratch_root(scratch_dir, n_tracks)
    # fixed-point: YAML reads 1e-06 as a string
    fraction = format(train_sample_fraction(n_tracks, train_sample_rows), ".9f")
    return load_config(
        profile,
        conf_dir=conf_dir,
        overrides=[
            *scratch_overrides(str(root.parent), root.name),
            f"paths.reports_dir={root}/reports",
            f"sample.n_tracks={n_tracks}",
            # only the catalog's tracks: the other sample data sets are not timed here
            f"sample.entities={{tracks: {entity}}}",
            f"entities.{entity}.training.sample_fraction={fraction}",
            *overrides,
        ],
    )


# --- one size -----------------------------------------------------------------------


def run(
    spark: SparkSession,
    sizes: Iterable[int],
    *,
    entity: str,
    run_id: str,
    scratch_dir: str = DEFAULT_SCRATCH_DIR,
    train_sample_rows: int = DEFAULT_TRAIN_SAMPLE_ROWS,
    profile: str = "local",
    conf_dir: str | Path | None = None,
    overrides: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Every size in turn in this session, each from an empty scratch folder; all their rows.

    Peak RSS high-water marks are reset when a size starts (Linux >= 4.0), but
    a JVM keeps the heap an earlier size grew: main() gives each size its own
    process instead.
    """
    rows: list[dict[str, Any]] = []
    for n in sizes:
        cfg = size_config(
            n,
            entity=entity,
            scratch_dir=scratch_dir,
            train_sample_rows=train_sample_rows,
            profile=profile,
            conf_dir=conf_dir,
            overrides=overrides,
        )
        root = scratch_root(scratch_dir, n)
        if root.exists():
            logger.info("benchmark %d: emptying %s (the previous run's tables)", n, root)
            shutil.rmtree(root)
        rows += run_size(spark, cfg, entity=entity, run_id=run_id)
    return rows


def run_size(
    spark: SparkSession, cfg: AppConfig, *, entity: str, run_id: str
) -> list[dict[str, Any]]:
    """One size: the Spark chain, DuckDB's resolve, then Spark's resolve with the ratio."""
    spark.catalog.clearCache()  # nothing an earlier size cached is reused
    spark.sparkContext.setCheckpointDir(cfg.paths.checkpoint_dir)
    spark.sparkContext._jvm.java.lang.System.gc()  # a smaller heap before the new peak
    _reset_peak_rss(_jvm_pid(spark))
    _reset_peak_rss()
    spark_rows, model_path = run_spark(spark, cfg, entity=entity, run_id=run_id)
    duckdb_rows = run_duckdb(spark, cfg, entity=entity, run_id=run_id, model_path=model_path)
    return [*spark_rows, predict_cluster_write(spark_rows, duckdb_rows), *duckdb_rows]


def _stage_row(
    spark: SparkSession, engine: str, n: int, stage: str, seconds: float, pairs: int | None
) -> dict[str, Any]:
    return {
        "engine": engine,
        "n_tracks": n,
        "stage": stage,
        "seconds": round(seconds, 1),
        "pairs": pairs,
        "peak_rss_mb": _mb(_peak_rss_mb(_jvm_pid(spark))),
        "python_peak_rss_mb": _mb(_peak_rss_mb()),
        "tracks_per_s": round(n / seconds, 0) if seconds else None,
    }


def run_spark(
    spark: SparkSession, cfg: AppConfig, *, entity: str, run_id: str
) -> tuple[list[dict[str, Any]], Path]:
    """generate -> features -> train -> resolve -> evaluate, then the total row.

    Resolve uses the model this run trained (not the registry's champion), and
    so does DuckDB: the returned path.
    """
    n = cfg.sample.n_tracks
    rows: list[dict[str, Any]] = []
    results: dict[str, Any] = {}
    stages: dict[str, Callable[[], Any]] = {
        "generate": lambda: generate_sample.run(spark, cfg),
        "features": lambda: build_features.run(spark, cfg, entity=entity, run_id=run_id),
        "train": lambda: train.run(spark, cfg, entity=entity, run_id=run_id),
        "resolve": lambda: resolve.run(
            spark, cfg, entity=entity, run_id=run_id, model_path=str(results["train"])
        ),
        "evaluate": lambda: evaluate.run(spark, cfg, entity=entity, run_id=run_id),
    }
    for name in SPARK_STAGES:
        start = time.perf_counter()
        results[name] = stages[name]()
        seconds = time.perf_counter() - start
        summary = getattr(results[name], "summary", {})
        rows.append(_stage_row(spark, "spark", n, name, seconds, summary.get("n_pairs")))
        logger.info("benchmark %d %s: %.1fs", n, name, seconds)
    by_stage = {r["stage"]: r for r in rows}
    fraction = cfg.entity(entity).training.sample_fraction
    by_stage["train"]["train_sample_fraction"] = round(fraction, 6)
    by_stage["train"]["train_rows"] = training_rows(cfg, entity, run_id)
    report = results["evaluate"]
    by_stage["evaluate"]["quality"] = {
        k: report.get(k) for k in ("f1", "bcubed_f1", "precision", "recall")
    }
    # accepted pairs and pairs the groups imply, of each hard-negative kind (live, remix...)
    for key in ("false_merges", "cluster_false_merges"):
        if key in report:
            by_stage["evaluate"][key] = report[key]
    chain = [by_stage[s] for s in TOTAL_STAGES]
    seconds = sum(r["seconds"] for r in chain)
    rows.append(
        {
            "engine": "spark",
            "n_tracks": n,
            "stage": "total",
            "stages": list(TOTAL_STAGES),
            "seconds": round(seconds, 1),
            "pairs": by_stage["resolve"]["pairs"],
            "peak_rss_mb": _max(r["peak_rss_mb"] for r in chain),
            "python_peak_rss_mb": _max(r["python_peak_rss_mb"] for r in chain),
            "tracks_per_s": round(n / seconds, 0) if seconds else None,
        }
    )
    return rows, Path(results["train"])


def _max(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def training_rows(cfg: AppConfig, entity: str, run_id: str) -> int | None:
    """The rows the run's training saw, as its MLflow run logged them (n_training_records)."""
    import mlflow

    mlflow.set_tracking_uri(cfg.mlflow.tracking_uri)
    runs = mlflow.search_runs(
        experiment_names=[cfg.mlflow.experiment],
        filter_string=(
            f"tags.run_id = '{run_id}' and tags.entity = '{entity}' and tags.stage = 'train'"
        ),
        order_by=["attributes.start_time DESC"],
        max_results=1,
        output_format="list",
    )
    value = runs[0].data.params.get("n_training_records") if runs else None
    if value is None:
        logger.warning("no MLflow training run of %s for run id %s: rows unknown", entity, run_id)
        return None
    return int(value)


def predict_cluster_write(
    spark_rows: Sequence[dict[str, Any]], duckdb_rows: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """Spark's resolve row under the stage both engines time, with Spark's seconds / DuckDB's."""
    (spark_resolve,) = [r for r in spark_rows if r["stage"] == "resolve"]
    (duckdb_resolve,) = [r for r in duckdb_rows if r["stage"] == "resolve"]
    ratio = (
        round(spark_resolve["seconds"] / duckdb_resolve["seconds"], 2)
        if duckdb_resolve["seconds"]
        else None
    )
    return {**spark_resolve, "stage": "predict_cluster_write", "spark_over_duckdb": ratio}


def run_duckdb(
    spark: SparkSession, cfg: AppConfig, *, entity: str, run_id: str, model_path: Path
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
    export = _stage_row(spark, "spark", n, "export", time.perf_counter() - start, None)
    model = to_dialect(TrainedModel.load(entity, str(model_path)), "duckdb", module=e.model_module)
    c = e.clustering
    _reset_peak_rss()
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
    logger.info("benchmark %d duckdb resolve: %.1fs", n, seconds)
    peak = _mb(_peak_rss_mb())
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
    # groups compared by membership: each named by its smallest member (Spark's
    # published ids are minted and carried, DuckDB's are a hash of that member)
    by_group = Window.partitionBy(e.group_column)
    spark_groups = read_table(spark, cfg.table_path(e.groups_table)).select(
        idc, F.min(idc).over(by_group).alias("g_spark")
    )
    duckdb_groups = spark.read.parquet(str(groups_path)).select(
        idc, F.min(idc).over(by_group).alias("g_duckdb")
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


# --- report -------------------------------------------------------------------------


def merge_rows(
    existing: Iterable[dict[str, Any]], rows: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The report after a run: its sizes' rows replace the old ones, other sizes stay."""
    ran = {r["n_tracks"] for r in rows}
    kept = [r for r in existing if r.get("n_tracks") not in ran]
    return sorted([*kept, *rows], key=lambda r: r["n_tracks"])  # stable: stage order kept


def record(rows: Sequence[dict[str, Any]], reports_dir: str) -> tuple[Path, Path]:
    """Merge the rows into perf.json (atomically) and redraw perf.png from all its sizes."""
    from jobs.reports.perf_plot import plot_perf

    path = Path(reports_dir) / PERF_REPORT
    existing = json.loads(path.read_text()) if path.exists() else []
    merged = merge_rows(existing, rows)
    write_json_atomic(path, merged)
    return path, plot_perf(merged, Path(reports_dir) / PERF_PLOT)


def _fmt(value: Any, spec: str) -> str | None:
    return None if value is None else format(value, spec)


def _quality_lines(n: int, evaluate: dict[str, Any] | None) -> list[str]:
    """Pairwise and B-cubed quality of one size, and its false merges by kind (most first)."""
    quality = (evaluate or {}).get("quality")
    if not quality:
        return []
    q = {
        k: _fmt(quality.get(k), ".4f") or "n/a" for k in ("precision", "recall", "f1", "bcubed_f1")
    }
    lines = [
        f"{n:>9,} tracks, quality: pairwise P {q['precision']} R {q['recall']} F1 {q['f1']}, "
        f"B-cubed F1 {q['bcubed_f1']}"
    ]
    merges = evaluate.get("false_merges") or {}
    if merges:
        ranked = sorted(merges.items(), key=lambda kv: (-kv[1], kv[0]))
        lines.append(
            "          false merges (accepted pairs) by kind: "
            + ", ".join(f"{kind} {count:,}" for kind, count in ranked)
        )
    return lines


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The rows, then per size Spark's predict + cluster + write time over DuckDB's.

    Peak MB: JVM for Spark, Python (DuckDB runs in process) for DuckDB.
    """
    shown = [
        {
            "engine": r["engine"],
            "tracks": f"{r['n_tracks']:,}",
            "stage": r["stage"],
            "seconds": _fmt(r["seconds"], ".1f"),
            "pairs": _fmt(r.get("pairs"), ","),
            "peak MB": _fmt(r.get("peak_rss_mb"), ",.0f"),
            "py peak MB": _fmt(r.get("python_peak_rss_mb"), ",.0f"),
            "train rows": _fmt(r.get("train_rows"), ","),
        }
        for r in rows
    ]
    columns = ("engine", "tracks", "stage", "seconds", "pairs", "peak MB", "py peak MB")
    if any(r["train rows"] for r in shown):
        columns += ("train rows",)
    lines = [text_table(shown, columns), ""]
    for n in sorted({r["n_tracks"] for r in rows}):
        at = {(r["engine"], r["stage"]): r for r in rows if r["n_tracks"] == n}
        lines.extend(_quality_lines(n, at.get(("spark", "evaluate"))))
        spark_row = at.get(("spark", "predict_cluster_write"))
        duckdb_row = at.get(("duckdb", "resolve"))
        if spark_row is None or duckdb_row is None:
            continue
        ratio = spark_row.get("spark_over_duckdb")
        lines.append(
            f"{n:>9,} tracks, predict + cluster + write: spark {spark_row['seconds']:.1f}s, "
            f"duckdb {duckdb_row['seconds']:.1f}s, spark/duckdb = "
            + (f"{ratio:.1f}x" if ratio is not None else "n/a")
        )
        if agreed := duckdb_row.get("agreement"):
            lines.append(
                "          agreement: pairs spark {pairs_spark:,} / duckdb {pairs_duckdb:,} "
                "(only spark {pairs_only_spark}, only duckdb {pairs_only_duckdb}), "
                "max |p_spark - p_duckdb| {max_abs_probability_diff:.3g} "
                "({pairs_probability_differs} pairs > 1e-9; in another level: "
                "{pairs_in_another_level}), "
                "records in another group {records_in_another_group}".format(**agreed)
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    def extra(parser) -> None:
        parser.add_argument(
            "--entity", required=True, help="a dedupe entity whose input the sample's tracks fill"
        )
        sizes = parser.add_mutually_exclusive_group()
        sizes.add_argument(
            "--sizes", default=None, help="catalog sizes in turn, e.g. 10000,100000,1000000"
        )
        sizes.add_argument("--n-tracks", type=int, default=None, help="one size (default 100000)")
        parser.add_argument(
            "--train-sample-rows",
            type=int,
            default=DEFAULT_TRAIN_SAMPLE_ROWS,
            help="train on about this many rows: sample_fraction = min(1, rows / size)",
        )
        parser.add_argument(
            "--scratch-dir",
            default=DEFAULT_SCRATCH_DIR,
            help="each size's tables, models and MLflow store go to <scratch-dir>/<size>",
        )

    setup_logging()
    args = common_args(__doc__.strip().splitlines()[0], argv, extra)
    sizes = parse_sizes(args.sizes) if args.sizes else [args.n_tracks or 100_000]
    options = {
        "entity": args.entity,
        "run_id": args.run_id or new_run_id(),
        "scratch_dir": args.scratch_dir,
        "train_sample_rows": args.train_sample_rows,
        "profile": args.profile,
        "conf_dir": args.config_dir,
        "overrides": tuple(args.overrides),
    }
    reports_dir = load_config(
        args.profile, conf_dir=args.config_dir, overrides=args.overrides
    ).paths.reports_dir
    rows: list[dict[str, Any]] = []
    for n in sizes:
        # a fresh process, so a fresh driver JVM: no heap, cache or JIT carried over
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            size_rows = pool.submit(run_in_own_session, n, options).result()
        path, plot = record(size_rows, reports_dir)  # a later size that fails keeps these
        rows += size_rows
    logger.info("\n%s\nwritten to %s and %s", table(rows), path, plot)


def run_in_own_session(n_tracks: int, options: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One size in a Spark session of its own (the body of its process)."""
    setup_logging()
    # the session's own paths (checkpoints) are scratch too: nothing of the demo's is touched
    base = load_config(
        options["profile"],
        conf_dir=options["conf_dir"],
        overrides=[*scratch_overrides(options["scratch_dir"], "session"), *options["overrides"]],
    )
    spark = build_spark(base)
    try:
        return run(spark, [n_tracks], **options)
    finally:
        spark.stop()
