"""MLflow wiring: one experiment per config, runs tagged with entity and model version."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow

from jobs._runtime import AppConfig

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
    mlflow.set_experiment(cfg.mlflow.experiment)
    with mlflow.start_run(run_name=run_name, tags=dict(tags)) as run:
        yield run


def log_flat_metrics(metrics: Mapping[str, Any], prefix: str = "") -> None:
    """Log every numeric value (nested dicts flattened with '.')."""
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            for sub, v in value.items():
                if isinstance(v, (int, float)):
                    flat[f"{name}.{sub}"] = float(v)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[name] = float(value)
    mlflow.log_metrics(flat)
