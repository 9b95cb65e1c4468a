"""The tuning notebook, executed as a user would run it, on the suite's small sample.

notebooks/tune_recordings.ipynb reads the sample's feature table, trains on
Splink's DuckDB backend, draws its charts and saves a model JSON; the JSON
must then score on Spark exactly as on DuckDB.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import E2E_TRACKS, overrides_under

pytestmark = pytest.mark.e2e

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "tune_recordings.ipynb"


def _run(overrides: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "the notebook has one cell tagged 'parameters'"
    params[0].source += f"\nOVERRIDES = {json.dumps(overrides)}\nSAMPLE_ROWS = 1_000_000\n"
    NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parents[1])}},
    ).execute()
    return nb


def _printed(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def _charts(nb: nbformat.NotebookNode) -> int:
    return sum(
        "vega-embed" in o.get("data", {}).get("text/html", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )


def test_the_tuning_notebook_runs_and_saves_a_model_spark_scores_the_same(spark, resolved_sample):
    from jobs.runtime.registry import load_model
    from splink_models import model as model_lib
    from splink_models import spark_backend
    from splink_models.duckdb_backend import predict_duckdb

    cfg, _, _ = resolved_sample
    root = Path(cfg.paths.warehouse).parent
    nb = _run(overrides_under(root, f"sample.n_tracks={E2E_TRACKS}"))
    printed = _printed(nb)

    # m/u, match weights, waterfall and threshold selection: four Splink charts
    assert _charts(nb) == 4
    work = Path(cfg.paths.models_dir).parent / "notebook"
    assert (work / "comparison_viewer.html").stat().st_size > 10_000
    best_f1 = float(printed.split("best F1 ")[1].split()[0])
    assert best_f1 > 0.9, printed[-2000:]

    saved = Path(printed.split("saved ")[1].split()[0])
    model = model_lib.TrainedModel.load("recordings", str(saved))
    assert model.dialect == "duckdb"
    for_spark = load_model(cfg, "recordings", "splink_models.recordings", str(saved)).model
    sample = str(work / "sample_features")
    on_spark = {
        (r.track_id_l, r.track_id_r): r.match_probability
        for r in spark_backend.predict(spark, spark.read.parquet(sample), for_spark)
        .select("track_id_l", "track_id_r", "match_probability")
        .collect()
    }
    on_duckdb = {
        (r[0], r[1]): r[2]
        for r in predict_duckdb(sample, model)
        .select("track_id_l, track_id_r, match_probability")
        .fetchall()
    }
    assert on_spark.keys() == on_duckdb.keys() and len(on_spark) > 100
    worst = max(abs(on_spark[k] - on_duckdb[k]) for k in on_spark)
    assert worst < 1e-9
