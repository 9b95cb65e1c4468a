"""The evaluate stage: the published run against its golden data, by kind.

Clustered kinds are judged on pairs and groups (golden clusters or labelled
pairs) and their errors go to the error_analysis table and an HTML page;
link kinds on their assignments. Either way the report goes to the
evaluation table, an MLflow run and reports/evaluation/<entity>.json.
"""

from __future__ import annotations

import logging
from typing import Any

from pyspark.sql import SparkSession

from features.errors import ResolutionError
from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import read_table
from jobs.runtime.release import latest_run, reading_latest_release
from jobs.stages.clustered import GOLDEN_KINDS, record_errors
from jobs.stages.common import contracts, entity_table, read_features
from jobs.stages.kinds import kind_module
from jobs.stages.reporting import record_evaluation, report_path
from splink_models.evaluation import possible_pairs, reduction_ratio

logger = logging.getLogger(__name__)

__all__ = ["GOLDEN_KINDS", "evaluate_entity"]


def published_lineage(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> tuple[str, str]:
    """(run_id, model_version) of the run that published the entity's outputs.

    The manifest's latest resolve or delivery of the entity; without a manifest
    (tables written before the manifest existed), the lineage columns of its outputs.
    """
    latest = latest_run(spark, cfg, entity.name)
    if latest is not None:
        return latest[0], latest[1] or "unknown"
    role = "groups" if entity.clustered else "matches"
    table, contract = entity_table(entity, role)
    frames = [read_table(spark, cfg.table_path(table), contract)]
    if not entity.clustered:
        table, contract = entity_table(entity, "unmatched")
        frames.append(read_table(spark, cfg.table_path(table), contract))
    for frame in frames:
        row = frame.select("run_id", "model_version").first()
        if row is not None:
            return row["run_id"], row["model_version"]
    raise ResolutionError(f"{cfg.table_path(table)} is empty: nothing to evaluate")


def evaluate_entity(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, golden: str = "auto"
) -> dict[str, Any]:
    """Score the published run against its golden data: Delta, MLflow, JSON, and its errors.

    The run evaluated is the latest release of the entity's outputs (the
    manifest's), its tables read at the versions it lists, whoever evaluates it. ``golden``: "auto", "clusters" or "pairs" (clustered kinds).
    """
    run_id, model_version = published_lineage(spark, cfg, entity)
    with reading_latest_release(spark, cfg, entity.name):
        return _evaluate(spark, cfg, entity, golden, run_id, model_version)


def _evaluate(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    golden: str,
    run_id: str,
    model_version: str,
) -> dict[str, Any]:
    report, labelled, curve = kind_module(entity).evaluate_published(spark, cfg, entity, golden)
    if entity.clustered:
        n_candidates = report.get("n_candidate_pairs")
        if n_candidates is None:
            n_candidates = read_table(
                spark, cfg.table_path(entity.pairs_table), contracts(entity).pairs
            ).count()
        report["reduction_ratio"] = reduction_ratio(
            n_candidates,
            possible_pairs(read_features(spark, cfg, entity), link_type=entity.link_type),
        )
    report["run_id"] = run_id
    report["model_version"] = model_version
    report["entity_type"] = entity.name
    report["kind"] = entity.kind
    record_evaluation(spark, cfg, entity.name, report, entity.threshold)
    if labelled is not None:
        page = record_errors(
            spark, cfg, entity, report, labelled, curve, report_path(cfg, entity.name, "html")
        )
        logger.info("error analysis of %s: %s and %s", entity.name, cfg.error_analysis_table, page)
    return report
