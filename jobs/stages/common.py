"""What every stage needs of an entity: its contracts, its tables, its named functions, quarantine.

The stages read an entity's kind, tables, columns and functions from its
config section (``jobs.runtime.config.EntityConfig``) and its contracts
(``features.schemas.CONTRACTS``); none of them knows an entity by name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from features.errors import ConfigError, ResolutionError
from features.parsing import INGEST_REASON_PREFIX
from features.schemas import CONTRACTS, QUARANTINE, EntityContracts, conform
from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import read_table, table_exists, write_table
from jobs.runtime.sql import sql_literal


@dataclass(frozen=True)
class Settled:
    """What a kind publishes besides its pairs, not yet written.

    ``outputs``: role -> frame in its contract (groups; or matches and unmatched).
    """

    outputs: dict[str, DataFrame]
    guard_rounds: list[dict[str, Any]]  # clustering guard rounds that split something
    # what happened to each group id (clustered kinds): appended to the id history on publish
    id_events: DataFrame | None = None


def import_named(dotted: str) -> Callable[..., Any]:
    """The function a config value names as ``module:function``."""
    module, _, attr = dotted.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as error:
        raise ConfigError(f"{dotted!r} does not name a function (module:function): {error}") from None


def contracts(entity: EntityConfig) -> EntityContracts:
    try:
        return CONTRACTS[entity.contracts]
    except KeyError:
        raise ConfigError(
            f"entities.{entity.name}.contracts: {entity.contracts!r} is not in "
            f"features.schemas.CONTRACTS (known: {', '.join(sorted(CONTRACTS))})"
        ) from None


def entity_table(entity: EntityConfig, role: str) -> tuple[str, StructType]:
    """(table name, contract) of one of an entity's tables by role (config ``tables.<role>``)."""
    c = contracts(entity)
    contract = getattr(c, role, None) if role != "extra" else None
    if contract is None:
        contract = c.extra.get(role)
    table = entity.tables.get(role)
    if table is None or contract is None:
        raise ConfigError(
            f"entities.{entity.name}.tables.{role}: "
            + ("not configured" if table is None else f"no contract for role {role!r}")
        )
    return table, contract


def with_null_fields(df: DataFrame, contract: StructType) -> DataFrame:
    """A table in its contract: the columns ``df`` has, the contract's others null."""
    return conform(
        df.select(
            *df.columns,
            *[
                F.lit(None).cast(f.dataType).alias(f.name)
                for f in contract.fields
                if f.name not in df.columns
            ],
        ),
        contract,
    )


def read_features(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> DataFrame:
    return read_table(spark, cfg.table_path(entity.features_table), contracts(entity).features)


def read_groups(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> DataFrame:
    """A clustered entity's published groups (one row per record)."""
    if entity.groups_table is None:
        raise ConfigError(f"entity {entity.name} is a {entity.kind} entity: it has no groups")
    return read_table(spark, cfg.table_path(entity.groups_table), contracts(entity).groups)


def stage_inputs(cfg: AppConfig, entity: EntityConfig, stage: str) -> dict[str, str]:
    """The tables a stage of an entity reads, by what they are: "features" or "model".

    features: the entity's input table, or for a derived entity the features
    and groups of the entity it derives from; model (train and resolve): the
    entity's features, and for a link entity its target's features and groups.
    """
    tables: dict[str, str] = {}

    def add(of: EntityConfig, role: str, table: str | None) -> None:
        if table is not None:
            tables[f"{role} of {of.name}"] = cfg.table_path(table)

    if stage == "features":
        if entity.derived is not None:
            source = cfg.entity(entity.derived.derived_from)
            add(source, "features", source.features_table)
            add(source, "groups", source.groups_table)
        else:
            add(entity, "input", entity.input_table)
    else:
        add(entity, "features", entity.features_table)
        if entity.link is not None:
            target = cfg.entity(entity.link.links_to)
            add(target, "features", target.features_table)
            add(target, "groups", target.groups_table)
    return tables


def require_inputs(spark: SparkSession, cfg: AppConfig, entity: EntityConfig, stage: str) -> None:
    """Fail before any work, naming every input table of the stage that does not exist yet."""
    missing = [
        f"{what}: {path}"
        for what, path in stage_inputs(cfg, entity, stage).items()
        if not table_exists(spark, path)
    ]
    if missing:
        raise ResolutionError(
            f"{stage} of {entity.name} needs tables that do not exist yet (run the jobs that "
            "write them first; README, 'The jobs'):\n  - " + "\n  - ".join(missing)
        )


# Quarantine rows of delivery rows jobs.deliver could not apply start their reason with this.
DELIVERY_REASON_PREFIX = "delivery: "


def quarantine_scope(entity: str, stage: str, alias: str = "") -> str:
    """The quarantine rows one stage owns: ingest's reasons start with INGEST_REASON_PREFIX.

    The table is shared by every entity type and by two stages (ingest, features),
    so each replaces only its own rows: rerunning features keeps what ingest set
    aside, and the other way round. Delivery rows a delivery could not apply
    (reason DELIVERY_REASON_PREFIX) are never replaced: those records are in no table.
    """
    if stage not in ("ingest", "features"):
        raise ValueError(f"quarantine stage must be ingest or features, got {stage!r}")
    t = f"{alias}." if alias else ""  # the table's alias in a MERGE condition
    ingest = f"{t}reason LIKE {sql_literal(INGEST_REASON_PREFIX + '%')}"
    own = f"{t}entity_type = {sql_literal(entity)}"
    if stage == "ingest":
        return f"{own} AND {ingest}"
    delivery = f"{t}reason LIKE {sql_literal(DELIVERY_REASON_PREFIX + '%')}"
    return f"{own} AND NOT {ingest} AND NOT {delivery}"


def write_quarantine(
    cfg: AppConfig, entity: str, rows: DataFrame, *, stage: str = "features"
) -> None:
    """Replace one stage's quarantine rows of one entity type (see quarantine_scope)."""
    write_table(
        conform(rows, QUARANTINE),
        cfg.table_path(cfg.quarantine_table),
        QUARANTINE,
        replace_where=quarantine_scope(entity, stage),
    )


def gate_quarantine(cfg: AppConfig, table: str, n_records: int, quarantine: DataFrame) -> None:
    """Fail when more than ``max_quarantined_share`` of an input's records were quarantined.

    A record counts once however many quarantine rows it has; a row without
    a record id (none could be read) counts as a record of its own. Called
    after the quarantine is written, so the rows that explain it are there.
    """
    counts = quarantine.agg(
        F.countDistinct("record_id").alias("ids"),
        F.count(F.when(F.col("record_id").isNull(), 1)).alias("no_id"),
    ).first()
    hit = int(counts["ids"]) + int(counts["no_id"])
    share = hit / n_records if n_records else 0.0
    if share <= cfg.max_quarantined_share:
        return
    top = (
        quarantine.groupBy("field", "reason").count().orderBy(F.desc("count"), "field").limit(3)
    ).collect()
    reasons = "; ".join(f"{r['field']}: {r['reason']} ({r['count']:,})" for r in top)
    raise ResolutionError(
        f"{table}: {hit:,} of {n_records:,} records ({share:.1%}) quarantined, above "
        f"quality.max_quarantined_share {cfg.max_quarantined_share:.0%}. Top reasons: "
        f"{reasons}. The quarantine table holds every row; fix the input or raise the limit"
    )


def run_scope(entity: str, run_id: str) -> str:
    """The rows of one entity's run in a table shared by runs (evaluation, error analysis)."""
    return f"entity_type = {sql_literal(entity)} AND run_id = {sql_literal(run_id)}"


def write_id_history(cfg: AppConfig, entity: EntityConfig, rows: DataFrame, run_id: str) -> None:
    """Add one run's id events to the entity's id history (a rerun replaces its own)."""
    table, contract = entity_table(entity, "id_history")
    write_table(
        conform(rows, contract),
        cfg.table_path(table),
        contract,
        replace_where=f"run_id = {sql_literal(run_id)}",
    )


LINEAGE_COLUMNS = ("run_id", "model_version")  # which run last changed a row, with which model


def compared_columns(contract: StructType, keys: Sequence[str]) -> list[str]:
    """The columns whose change makes a row changed: all but its keys and its lineage."""
    return [f.name for f in contract.fields if f.name not in (*keys, *LINEAGE_COLUMNS)]


def event_counts(history: DataFrame) -> dict[str, int]:
    """Id events by kind (created, merged, ...), for a summary."""
    return {
        r["event"]: int(r["count"])
        for r in history.groupBy("event").count().orderBy("event").collect()
    }
