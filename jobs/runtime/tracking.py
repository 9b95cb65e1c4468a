"""MLflow wiring: one experiment per config, runs tagged with entity and model version."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow

from jobs.runtime.config import AppConfig

logger = logging.getLogger(__name__)


@contextmanager
def mlflow_run(cfg: AppConfig, run_name: str, tags: Mapping[str, str]) -> Iterator[Any]:
    """Start a run in the configured store (a local SQLite file by default)."""
    if cfg.mlflow.tracking_uri.startswith("sqlite:///"):
        Path(cfg.mlflow.tracking_uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(cfg.mlflow.tracking_uri)
    experiment = mlflow.get_experiment_by_name(cfg.mlflow.experiment)
    if experiment is None:
        location = cfg.mlflow.artifact_location
        if location and "://" not in location:
            Path(location).mkdir(parents=True, exist_ok=True)
            location = Path(location).resolve().as_uri()
        mlflow.create_experiment(cfg.mlflow.experiment, artifact_location=location)
    experiment = mlflow.set_experiment(cfg.mlflow.experiment)
    earlier = _same_run(experiment.experiment_id, run_name, tags)
    if earlier is not None:  # a rerun of the same job run: log into the run it opened
        with mlflow.start_run(run_id=earlier) as run:
            yield run
        return
    with mlflow.start_run(run_name=run_name, tags=dict(tags)) as run:
        yield run


def _same_run(experiment_id: str, run_name: str, tags: Mapping[str, str]) -> str | None:
    """The MLflow run an earlier attempt of this job run opened: same name, same tags."""
    if "run_id" not in tags:
        return None
    runs = mlflow.search_runs(
        [experiment_id],
        filter_string=f"attributes.run_name = {_quoted(run_name)}",
        output_format="list",
        order_by=["attributes.start_time DESC"],
    )
    for run in runs:
        if all(run.data.tags.get(k) == v for k, v in tags.items()):
            return run.info.run_id
    return None


def _quoted(text: str) -> str:
    """A string literal of MLflow's filter syntax."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def flatten_metrics(metrics: Mapping[str, Any]) -> dict[str, float | None]:
    """Numeric (or missing) values of a report; nested dicts flattened with '.'."""
    flat: dict[str, float | None] = {}
    for key, value in metrics.items():
        items = value.items() if isinstance(value, Mapping) else [(None, value)]
        for sub, v in items:
            name = key if sub is None else f"{key}.{sub}"
            if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)):
                flat[name] = None if v is None else float(v)
    return flat


def log_flat_metrics(metrics: Mapping[str, Any]) -> None:
    """Log every numeric value of a report to the active MLflow run."""
    mlflow.log_metrics({k: v for k, v in flatten_metrics(metrics).items() if v is not None})
