"""Gate a challenger model against the champion on the golden data; move `champion` when it passes.

Both models score the same feature tables (nothing is published: the output
tables stay as they are) and are evaluated against the golden data at the
entity's threshold, by kind: clustered entities on pairs and groups, link
entities on their assignments. The gate (``lifecycle.gate``, see
splink_models.gate) compares the two; the decision, with every criterion's
numbers, is tagged on the challenger's model version (``gate.*``) and
recorded as an MLflow run ``promote-<entity>``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from pyspark.sql import SparkSession

from features.errors import ResolutionError
from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import table_version
from jobs.runtime.job import stage
from jobs.runtime.registry import (
    CHALLENGER,
    CHAMPION,
    LoadedModel,
    lifecycle,
    load_model,
    registered_model_name,
    registry_aliases,
    set_alias,
    tag_version,
    version_tags,
)
from jobs.runtime.tracking import log_flat_metrics, mlflow_run
from jobs.stages.kinds import kind_module
from jobs.stages.resolve import resolve_unpublished
from splink_models.gate import GateDecision, apply_gate

logger = logging.getLogger(__name__)

REPORTED = ("precision", "recall", "f1", "bcubed_f1", "n_predicted_pairs")


@dataclass(frozen=True)
class Promotion:
    entity: str
    registered_model: str
    challenger_version: str
    champion_version: str | None  # before the decision
    promoted: bool
    reasons: tuple[str, ...]  # why not (empty when promoted)
    decision: GateDecision | None = None  # None: no gate was needed
    champion_report: dict[str, Any] = field(default_factory=dict)
    challenger_report: dict[str, Any] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)  # the decision as printed lines

    @property
    def champion_after(self) -> str | None:
        return self.challenger_version if self.promoted else self.champion_version


def promote(
    spark: SparkSession,
    cfg: AppConfig,
    *,
    entity: str,
    run_id: str,
    challenger: str | None = None,
) -> Promotion:
    """Gate ``challenger`` (a registry version or alias; default ``@challenger``) against ``@champion``."""
    e = cfg.entity(entity)
    name = registered_model_name(cfg, entity)
    candidate = load_model(cfg, entity, e.model_module, challenger or f"@{CHALLENGER}")
    if candidate.registry_version is None:
        raise ResolutionError(
            f"promote moves registry aliases: {candidate.source} is not a version of {name}; "
            "train it (jobs.train registers every model) or give a version or an alias"
        )
    version = candidate.registry_version
    champion_version = registry_aliases(cfg, entity).get(CHAMPION)
    if champion_version is None:
        set_alias(cfg, entity, CHAMPION, version)
        result = Promotion(entity, name, version, None, True, ())
        _record(cfg, e, run_id, result, candidate.model.version, None)
        return result
    if champion_version == version:  # nothing to decide, so nothing to record
        reason = f"v{version} is already @{CHAMPION}, nothing to do"
        return Promotion(
            entity,
            name,
            version,
            champion_version,
            False,
            (reason,),
            summary=[f"promote {name}: {reason}"],
        )

    if not e.golden_table:
        raise ResolutionError(
            f"entity {entity} has no golden table: the gate has nothing to measure"
        )
    champion = load_model(cfg, entity, e.model_module, f"@{CHAMPION}")
    reports = {}
    for role, loaded in (("champion", champion), ("challenger", candidate)):
        with stage(f"evaluate {role} {loaded.source}"):
            reports[role] = _evaluate(spark, cfg, e, loaded, f"{run_id}-{role}")
    gate = lifecycle(cfg).gate
    decision = apply_gate(
        reports["champion"],
        reports["challenger"],
        max_precision_drop=gate.max_precision_drop,
        min_f1_gain=gate.min_f1_gain,
    )
    if decision.promote:
        set_alias(cfg, entity, CHAMPION, version)
    result = Promotion(
        entity,
        name,
        version,
        champion_version,
        decision.promote,
        tuple(decision.reasons),
        decision,
        reports["champion"],
        reports["challenger"],
    )
    _record(cfg, e, run_id, result, candidate.model.version, champion.model.version)
    return result


def _evaluate(
    spark: SparkSession, cfg: AppConfig, e: EntityConfig, loaded: LoadedModel, run_id: str
) -> dict[str, Any]:
    """The gate's figures of one registry version, reused while nothing they depend on changed.

    They are kept as a tag ``eval.<key>`` of the version; the key covers the
    feature and golden tables' Delta versions and the clustering settings, so
    the champion is re-scored only when the data or the settings move.
    """
    assert loaded.registry_version is not None
    key = f"eval.{_evaluation_key(spark, cfg, e, loaded.model.version)}"
    cached = version_tags(cfg, e.name, loaded.registry_version).get(key)
    if cached:
        logger.info("%s: figures from an earlier evaluation on the same tables", loaded.source)
        return {**json.loads(cached), "model_version": loaded.model.version, "cached": True}
    resolution = resolve_unpublished(spark, cfg, e, loaded.model, run_id)
    report = kind_module(e).golden_report(spark, cfg, e, resolution.pairs, resolution.outputs)
    figures = {k: report.get(k) for k in REPORTED}
    tag_version(cfg, e.name, loaded.registry_version, {key: json.dumps(figures)})
    return {**figures, "model_version": loaded.model.version, "cached": False}


def _evaluation_key(spark: SparkSession, cfg: AppConfig, e: EntityConfig, model: str) -> str:
    """A hash of what the gate's figures depend on: the model, the tables' versions, the settings.

    A link entity's figures also depend on the entity it links to (its
    features, groups and golden table).
    """
    entities = [e] + ([cfg.entity(e.builds_on)] if e.builds_on else [])
    paths = [
        cfg.table_path(table)
        for x in entities
        for table in (x.features_table, x.golden_table, x.groups_table if x is not e else None)
        if table
    ]
    tables = {path: table_version(spark, path) for path in paths}
    settings = asdict(e.clustering) if e.clustering else asdict(e.link)
    inputs = {"model": model, "tables": tables, "settings": settings}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


def _record(
    cfg: AppConfig,
    e: EntityConfig,
    run_id: str,
    result: Promotion,
    challenger_content: str,
    champion_content: str | None,
) -> None:
    """The decision, three ways: the challenger version's tags, an MLflow run, the log."""
    decided = "promoted" if result.promoted else "refused"
    reasons = "; ".join(result.reasons) or (
        result.decision.summary() if result.decision else "no champion yet"
    )
    metrics = {
        role: {k: report.get(k) for k in REPORTED}
        for role, report in (
            ("champion", result.champion_report),
            ("challenger", result.challenger_report),
        )
        if report
    }
    tags = {
        "gate.decision": decided,
        "gate.reasons": reasons,
        "gate.champion_version": result.champion_version or "",
        "gate.run_id": run_id,
        "gate.decided_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **{
            f"gate.{role}.{k}": f"{v:.6f}"
            for role, values in metrics.items()
            for k, v in values.items()
            if isinstance(v, float)
        },
    }
    tag_version(cfg, e.name, result.challenger_version, tags)
    with mlflow_run(
        cfg,
        f"promote-{e.name}",
        {
            "entity": e.name,
            "run_id": run_id,
            "stage": "promote",
            "decision": decided,
            "registered_model": result.registered_model,
            "challenger_version": result.challenger_version,
            "champion_version": result.champion_version or "",
            "model_version": challenger_content,
            "champion_model_version": champion_content or "",
        },
    ) as mlflow_active:
        import mlflow

        gate = lifecycle(cfg).gate
        mlflow.log_params(
            {
                "gate.max_precision_drop": gate.max_precision_drop,
                "gate.min_f1_gain": gate.min_f1_gain,
                "threshold": e.threshold,
            }
        )
        log_flat_metrics(metrics)
        mlflow.log_text(reasons + "\n", "decision.txt")
        logger.debug("promote decision logged to MLflow run %s", mlflow_active.info.run_id)
    champion_was = f"v{result.champion_version}" if result.champion_version else "none"
    lines = [
        "",
        f"Promote {result.registered_model}: challenger v{result.challenger_version} "
        f"vs champion {champion_was} -> {decided.upper()}",
    ]
    reports = {"champion": result.champion_report, "challenger": result.challenger_report}
    for role, values in metrics.items():
        lines.append(
            f"  {role:<11} "
            + "  ".join(
                f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items()
            )
            + ("  (figures kept from an earlier gate)" if reports[role].get("cached") else "")
        )
    if result.decision is not None:
        lines += [
            f"  {'ok    ' if c.passed else 'FAILED'} {c.criterion}: {c.detail}"
            for c in result.decision.checks
        ]
    elif result.reasons:
        lines.append(f"  {'; '.join(result.reasons)}")
    lines.append(f"  @{CHAMPION} is now v{result.champion_after}")
    result.summary.extend(lines)
