"""One evaluation report, three places: the evaluation Delta table, MLflow and reports/evaluation/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from features.schemas import EVALUATION, conform
from jobs.runtime.config import AppConfig
from jobs.runtime.delta import write_table
from jobs.runtime.output import write_json_atomic
from jobs.runtime.tracking import flatten_metrics, log_flat_metrics, mlflow_run
from jobs.stages.common import run_scope


def report_path(cfg: AppConfig, entity_name: str, suffix: str) -> Path:
    """reports/evaluation/<entity>.<suffix>: the JSON report and the HTML error page."""
    return Path(cfg.paths.reports_dir) / "evaluation" / f"{entity_name}.{suffix}"


def record_evaluation(
    spark: SparkSession, cfg: AppConfig, entity_name: str, report: dict[str, Any], threshold: float
) -> Path:
    """Write one report to the evaluation table, an MLflow run and its JSON file.

    The report's run_id and model_version say which run was evaluated; its
    rows in the evaluation table are replaced, so re-evaluating is idempotent.
    """
    run_id, model_version = report["run_id"], report["model_version"]
    rows = [
        (
            entity_name,
            key,
            float(value) if value is not None else None,
            threshold,
            run_id,
            model_version,
        )
        for key, value in flatten_metrics(report).items()
    ]
    frame = spark.createDataFrame(
        rows,
        "entity_type string, metric string, value double, threshold double, run_id string, "
        "model_version string",
    ).withColumn("evaluated_at", F.current_timestamp())
    write_table(
        conform(frame, EVALUATION),
        cfg.table_path(cfg.evaluation_table),
        EVALUATION,
        replace_where=run_scope(entity_name, run_id),
    )
    with mlflow_run(
        cfg,
        f"evaluate-{entity_name}",
        {
            "entity": entity_name,
            "run_id": run_id,
            "stage": "evaluate",
            "model_version": model_version,
        },
    ):
        log_flat_metrics(report)
    return write_json_atomic(report_path(cfg, entity_name, "json"), report)
