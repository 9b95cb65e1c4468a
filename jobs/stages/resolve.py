"""The resolve stage: score every candidate pair, then cluster (dedupe, derived) or assign (link).

One ``score_pairs`` for every kind: the kind's module builds the model's
inputs and shapes Splink's pairs into the entity's pairs contract.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import read_table, replace_rows, write_table
from jobs.runtime.job import stage
from jobs.runtime.registry import load_model
from jobs.runtime.release import publishing
from jobs.stages.common import (
    compared_columns,
    contracts,
    entity_table,
    event_counts,
    require_inputs,
    write_id_history,
)
from jobs.stages.kinds import kind_module
from splink_models.model import TrainedModel
from splink_models.spark_backend import predict

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolveResult:
    model_version: str
    # kind-specific counts: n_pairs, n_accepted, n_groups, largest_groups, id_events
    # (clustered: event -> ids); n_pairs, n_records, n_matched, unmatched_by_reason (link)
    summary: dict[str, Any]
    guard_rounds: list[dict[str, Any]] = field(default_factory=list)


def score_pairs(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, model: TrainedModel, run_id: str
) -> DataFrame:
    """Every candidate pair of the model's blocking rules, scored and explained (pairs contract)."""
    kind = kind_module(entity)
    scored = predict(spark, kind.model_inputs(spark, cfg, entity), model)
    return kind.pair_rows(cfg, entity, scored, model, run_id)


def resolve(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    run_id: str,
    model_ref: str | None = None,
) -> ResolveResult:
    """Score, then cluster or assign, and publish: ``model_ref`` is any model ref (registry)."""
    require_inputs(spark, cfg, entity, "model")
    kind = kind_module(entity)
    c = contracts(entity)
    tables = published_tables(entity)
    with publishing(
        spark, cfg, job="resolve", entity=entity.name, run_id=run_id, tables=tables
    ) as release:
        if release.complete:
            logger.info("resolve %s: run %s is published already", entity.name, run_id)
            return ResolveResult(
                model_version=release.model_version or "unknown", summary=release.summary
            )
        model = load_model(cfg, entity.name, entity.model_module, model_ref).model
        release.model_version = model.version
        pairs_path = cfg.table_path(entity.pairs_table)
        read = kind.read_versions(spark, cfg, entity)  # before reading them
        with stage(f"score {entity.name} pairs"):
            write_table(score_pairs(spark, cfg, entity, model, run_id), pairs_path, c.pairs)
        pairs = read_table(spark, pairs_path, c.pairs)
        verb = "cluster" if entity.clustered else "assign"
        with stage(f"{verb} {entity.name}"):
            settled = kind.settle(
                spark, cfg, entity, pairs, run_id=run_id, model_version=model.version
            )
            for role, frame in settled.outputs.items():
                table, contract = entity_table(entity, role)
                if role == "groups":  # the rows whose group changed, for the change feed
                    idc = entity.id_column
                    replace_rows(
                        frame,
                        cfg.table_path(table),
                        contract,
                        keys=[idc],
                        # a product's column too (e.g. is_original), not only the group
                        compare=compared_columns(contract, [idc]),
                    )
                else:
                    write_table(frame, cfg.table_path(table), contract)
            if settled.id_events is not None:
                write_id_history(cfg, entity, settled.id_events, run_id)
        summary = {**kind.summarise(spark, cfg, entity, pairs), **read}
        if settled.id_events is not None:
            summary["id_events"] = event_counts(settled.id_events)
        release.finish(model.version, summary)
    return ResolveResult(
        model_version=model.version, summary=summary, guard_rounds=settled.guard_rounds
    )


def published_tables(entity: EntityConfig) -> list[str]:
    """The tables a resolve of ``entity`` publishes: pairs, then groups or assignments."""
    roles = ["pairs", "groups", "matches", "unmatched", "id_history"]
    roles += list(entity.products.roles) if entity.products else []
    return [entity.tables[r] for r in roles if r in entity.tables]


@dataclass(frozen=True)
class Resolution:
    """One model's pairs and other outputs over the feature tables, held in Spark, not published."""

    model: TrainedModel
    pairs: DataFrame  # the entity's pairs contract
    outputs: dict[str, DataFrame]  # role (groups; matches, unmatched) -> frame in its contract
    guard_rounds: list[dict[str, Any]]


def resolve_unpublished(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, model: TrainedModel, run_id: str
) -> Resolution:
    """What resolve computes, checkpointed instead of written: for promote and compare.

    The published tables stay the champion's; evaluating or comparing a
    candidate model must not replace them.
    """
    pairs = score_pairs(spark, cfg, entity, model, run_id).checkpoint()
    settled = kind_module(entity).settle(
        spark, cfg, entity, pairs, run_id=run_id, model_version=model.version
    )
    outputs = {role: frame.checkpoint() for role, frame in settled.outputs.items()}
    return Resolution(model, pairs, outputs, settled.guard_rounds)
