"""Move an entity's `champion` alias to the challenger when it passes the gate on the golden data.

Both models score and cluster the same feature table (nothing is published:
the pairs and groups tables stay as they are) and are evaluated against the
golden table at the entity's clustering threshold. The gate
(``lifecycle.gate``, see splink_models.gate) compares the two; the decision,
with every criterion's numbers, is logged, tagged on the challenger's model
version (``gate.*``) and recorded as an MLflow run ``promote-<entity>``.

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/promote.py --profile cluster --entity recordings
    python -m jobs.promote --entity recordings [--challenger @challenger | 3]
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pyspark.sql import SparkSession

from jobs._pipeline import contracts, golden_report, resolve_unpublished
from jobs._registry import (
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
from jobs._runtime import AppConfig, EntityConfig, ResolutionError, read_table, stage, start_job
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

    @property
    def champion_after(self) -> str | None:
        return self.challenger_version if self.promoted else self.champion_version


def run(
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
        logger.info("promote %s: v%s is already @%s, nothing to do", name, version, CHAMPION)
        return Promotion(
            entity, name, version, champion_version, False, (f"v{version} is already @{CHAMPION}",)
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
    features = read_table(spark, cfg.table_path(e.features_table), contracts(e).features)
    resolution = resolve_unpublished(spark, e, features, loaded.model, run_id)
    report = golden_report(spark, cfg, e, resolution.pairs, resolution.groups)
    figures = {k: report.get(k) for k in REPORTED}
    tag_version(cfg, e.name, loaded.registry_version, {key: json.dumps(figures)})
    return {**figures, "model_version": loaded.model.version, "cached": False}


def _evaluation_key(spark: SparkSession, cfg: AppConfig, e: EntityConfig, model: str) -> str:
    from delta.tables import DeltaTable

    assert e.golden_table is not None
    tables = {
        path: DeltaTable.forPath(spark, path).history(1).select("version").first()[0]
        for path in (cfg.table_path(e.features_table), cfg.table_path(e.golden_table))
    }
    inputs = {"model": model, "tables": tables, "clustering": asdict(e.clustering)}
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
    from jobs._tracking import log_flat_metrics, mlflow_run

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
                "threshold": e.clustering.threshold,
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
    logger.info("\n".join(lines))


def main(argv: Sequence[str] | None = None) -> None:
    ctx = start_job(
        __doc__,
        argv,
        lambda p: p.add_argument(
            "--challenger",
            default=None,
            help="registry version or alias to gate (default: @challenger)",
        ),
    )
    run(
        ctx.spark,
        ctx.cfg,
        entity=ctx.args.entity,
        run_id=ctx.run_id,
        challenger=ctx.args.challenger,
    )


if __name__ == "__main__":
    main()
