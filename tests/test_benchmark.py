"""The multi-size benchmark: per-size config, the perf.json merge, the plot, one small run.

The run is the harness's whole path (jobs.benchmark.run) at one small size with
real Spark, Delta, MLflow and DuckDB; its seconds are not asserted (speed is
measured by `make bench`, not by tests), only that every row is there.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from features.errors import ConfigError
from jobs.bench import perf as benchmark
from jobs.reports.perf_plot import plot_perf, series
from jobs.runtime.config import PROJECT_ROOT, scratch_overrides

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FAST = ("entities.recordings.training.max_pairs_for_u=100000",)  # u from fewer pairs


def _row(engine: str, n: int, stage: str, seconds: float, **extra) -> dict:
    return {
        "engine": engine,
        "n_tracks": n,
        "stage": stage,
        "seconds": seconds,
        "pairs": None,
        "peak_rss_mb": 100.0,
        **extra,
    }


def _size_rows(n: int, scale: float) -> list[dict]:
    return [
        _row("spark", n, "resolve", 10 * scale),
        _row("spark", n, "total", 40 * scale, stages=list(benchmark.TOTAL_STAGES)),
        _row("spark", n, "predict_cluster_write", 10 * scale, spark_over_duckdb=5.0),
        _row("duckdb", n, "resolve", 2 * scale),
    ]


# --- config per size -------------------------------------------------------------------


def test_each_size_writes_under_its_own_scratch_folder_and_trains_on_a_capped_sample(tmp_path):
    cfg = benchmark.size_config(
        1_000_000, entity="recordings", scratch_dir=str(tmp_path), train_sample_rows=200_000
    )
    root = tmp_path / "1000000"
    assert cfg.sample.n_tracks == 1_000_000
    assert cfg.entity("recordings").training.sample_fraction == pytest.approx(0.2)
    assert cfg.paths.warehouse == str(root / "delta")
    assert cfg.paths.models_dir == str(root / "models")
    assert cfg.paths.reports_dir == str(root / "reports")  # the demo's evaluation report stays
    assert cfg.mlflow.tracking_uri == f"sqlite:///{root}/mlflow.db"
    # sizes below the cap train on everything; a tiny share is still read as a number
    small = benchmark.size_config(
        10_000, entity="recordings", scratch_dir=str(tmp_path), train_sample_rows=200_000
    )
    assert small.entity("recordings").training.sample_fraction == 1.0
    tiny = benchmark.size_config(
        1_000_000, entity="recordings", scratch_dir=str(tmp_path), train_sample_rows=1
    )
    assert tiny.entity("recordings").training.sample_fraction == pytest.approx(1e-6)


def test_a_relative_scratch_dir_is_under_the_project_root_never_the_demo_warehouse():
    cfg = benchmark.size_config(
        5_000, entity="recordings", scratch_dir="data/bench/perf", train_sample_rows=200_000
    )
    assert cfg.paths.warehouse == str(PROJECT_ROOT / "data" / "bench" / "perf" / "5000" / "delta")
    assert benchmark.scratch_root("data/bench/perf", 5_000) == Path(cfg.paths.warehouse).parent
    with pytest.raises(ConfigError, match="local folder"):
        benchmark.scratch_root("s3://bucket/perf", 5_000)


def test_scratch_overrides_move_every_path_a_run_writes():
    assert scratch_overrides("/scratch/", "itunes") == [
        "paths.warehouse=/scratch/itunes/delta",
        "paths.checkpoint_dir=/scratch/itunes/checkpoints",
        "paths.models_dir=/scratch/itunes/models",
        "mlflow.tracking_uri=sqlite:////scratch/itunes/mlflow.db",
        "mlflow.artifact_location=/scratch/itunes/mlflow-artifacts",
    ]


@pytest.mark.parametrize(
    ("text", "sizes"),
    [("10000,100000,1000000", [10_000, 100_000, 1_000_000]), (" 5e3, 10_000", [5_000, 10_000])],
)
def test_sizes_are_parsed_in_the_order_given(text, sizes):
    assert benchmark.parse_sizes(text) == sizes


@pytest.mark.parametrize("text", ["10k", "0", "1500.5", "5000,5000"])
def test_a_size_that_is_not_a_count_of_tracks_is_refused(text):
    with pytest.raises(ConfigError, match="--sizes"):
        benchmark.parse_sizes(text)


# --- perf.json ---------------------------------------------------------------------------


def test_a_run_replaces_the_rows_of_its_sizes_and_keeps_the_others():
    old = [*_size_rows(10_000, 1.0), *_size_rows(100_000, 9.0)]
    old.append(_row("spark", 10_000, "generate", 3.0))  # a stage the new run no longer has
    new = _size_rows(10_000, 2.0)

    merged = benchmark.merge_rows(old, new)

    assert [r for r in merged if r["n_tracks"] == 10_000] == new
    assert [r for r in merged if r["n_tracks"] == 100_000] == _size_rows(100_000, 9.0)
    assert [r["n_tracks"] for r in merged] == sorted(r["n_tracks"] for r in merged)


def test_record_writes_the_merged_report_and_the_plot(tmp_path):
    report = tmp_path / "benchmarks" / "perf.json"
    report.parent.mkdir()
    report.write_text(json.dumps(_size_rows(100_000, 9.0)))

    path, plot = benchmark.record(_size_rows(10_000, 1.0), str(tmp_path))

    assert path == report
    assert sorted({r["n_tracks"] for r in json.loads(report.read_text())}) == [10_000, 100_000]
    assert plot.read_bytes().startswith(PNG_SIGNATURE)
    assert not list(report.parent.glob(".*"))  # no temporary file left behind


# --- the plot ---------------------------------------------------------------------------


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_plot_is_a_png_with_a_line_per_engine_and_the_total(tmp_path):
    rows = [*_size_rows(10_000, 1.0), *_size_rows(100_000, 9.0), *_size_rows(1_000_000, 95.0)]

    path = plot_perf(rows, tmp_path / "out" / "perf.png")

    width, height = _png_size(path)
    assert (width, height) == (900, 660)  # 7.5 x 5.5 inches at 120 dpi
    assert path.stat().st_size > 20_000  # three lines, labels and a legend, not an empty frame
    empty = plot_perf([], tmp_path / "empty.png")
    assert path.stat().st_size > empty.stat().st_size + 5_000


def test_the_plot_draws_each_engine_stage_by_size_and_leaves_out_totals_of_other_chains():
    rows = [
        *_size_rows(100_000, 9.0),
        *_size_rows(10_000, 1.0),
        _row("spark", 1_000, "total", 1.0),  # an old row: total with generate
        _row("spark", 2_000, "total", 1.0, stages=["features", "train", "resolve", "evaluate"]),
    ]
    assert series(rows, "duckdb", "resolve") == [(10_000, 2.0), (100_000, 18.0)]
    assert series(rows, "spark", "resolve") == [(10_000, 10.0), (100_000, 90.0)]
    assert series(rows, "spark", "total") == [(10_000, 40.0), (100_000, 360.0)]


# --- one small run -------------------------------------------------------------------------


@pytest.mark.e2e
def test_benchmark_at_one_small_size_records_every_stage_of_both_engines(spark, tmp_path):
    scratch = tmp_path / "perf"
    (scratch / "1500" / "stale").mkdir(parents=True)  # a previous run's leftovers

    rows = benchmark.run(
        spark,
        [1500],
        entity="recordings",
        run_id="bench-1",
        scratch_dir=str(scratch),
        train_sample_rows=1000,
        overrides=FAST,
    )

    assert not (scratch / "1500" / "stale").exists()
    keys = {"engine", "n_tracks", "stage", "seconds", "pairs", "peak_rss_mb"}
    assert all(keys <= r.keys() and r["n_tracks"] == 1500 for r in rows), rows
    at = {(r["engine"], r["stage"]): r for r in rows}
    assert set(at) == {
        *(("spark", s) for s in (*benchmark.SPARK_STAGES, "total", "predict_cluster_write")),
        ("spark", "export"),
        ("duckdb", "resolve"),
    }
    total = at[("spark", "total")]
    assert total["seconds"] == pytest.approx(
        sum(at[("spark", s)]["seconds"] for s in benchmark.TOTAL_STAGES), abs=0.05
    )
    assert total["stages"] == ["features", "train", "resolve"]  # no generate, no evaluate
    train = at[("spark", "train")]
    assert train["train_sample_fraction"] == pytest.approx(1000 / 1500)
    assert 0 < train["train_rows"] < 1500
    spark_resolve, duckdb_resolve = (
        at[("spark", "predict_cluster_write")],
        at[("duckdb", "resolve")],
    )
    assert spark_resolve["seconds"] == at[("spark", "resolve")]["seconds"]
    assert spark_resolve["spark_over_duckdb"] == pytest.approx(
        spark_resolve["seconds"] / duckdb_resolve["seconds"], abs=0.01
    )
    assert spark_resolve["pairs"] > 0 and duckdb_resolve["pairs"] > 0
    assert duckdb_resolve["agreement"]["pairs_only_spark"] == 0
    # the engines' groups are compared by membership, not by their (differently made) ids:
    # only records near a Jaro-Winkler difference may land elsewhere
    assert duckdb_resolve["agreement"]["records_in_another_group"] <= 1500 * 0.01
    evaluated = at[("spark", "evaluate")]
    assert 0 < evaluated["quality"]["precision"] <= 1
    # every hard-negative kind of the generated catalog is counted, merged or not
    assert {"live", "remix"} <= evaluated["false_merges"].keys()
    assert "studio" not in evaluated["false_merges"]  # the base kind is no false merge
    assert evaluated["false_merges"].keys() == evaluated["cluster_false_merges"].keys()
    printed = benchmark.table(rows)
    assert "spark/duckdb = " in printed
    assert "1,500 tracks, quality: pairwise P " in printed
    assert "false merges (accepted pairs) by kind: " in printed
