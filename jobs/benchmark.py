"""Stage timings and peak memory of the whole chain at a given catalog size.

Runs generate -> features -> train (on a sample) -> resolve -> evaluate in one
Spark session and records, per stage: wall seconds, pairs scored, peak RSS of
the driver JVM and of Python. Appends to reports/benchmarks/perf.json (a list
of {engine, n_tracks, stage, seconds, pairs, peak_rss_mb}) and prints a table.
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

from jobs import build_features, evaluate, generate_sample, resolve, train
from jobs._runtime import AppConfig, start_job, write_json_atomic

logger = logging.getLogger(__name__)


def _jvm_peak_rss_mb(spark: SparkSession) -> float:
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _python_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(spark: SparkSession, cfg: AppConfig, *, entity: str, run_id: str) -> list[dict[str, Any]]:
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
    header = f"{'engine':<7} {'tracks':>9} {'stage':<9} {'seconds':>8} {'pairs':>10} {'JVM peak MB':>12} {'py peak MB':>11}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['engine']:<7} {r['n_tracks']:>9,} {r['stage']:<9} {r['seconds']:>8.1f} "
            f"{(r['pairs'] or 0):>10,} {r['peak_rss_mb']:>12,.0f} {r.get('python_peak_rss_mb', 0):>11,.0f}"
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
