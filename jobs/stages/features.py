"""The features stage: input table -> quality rules -> feature builder -> feature table.

Every kind goes the same way; a ``derived`` entity first builds its input
table from the entity it is derived from (its builder reads that entity's
features and groups, whose columns its config names).
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from features.errors import ConfigError, ResolutionError
from features.quality import RECORD_EXCLUDED, split_bad_input
from features.schemas import conform
from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import read_table, table_exists, write_table
from jobs.runtime.release import publishing
from jobs.stages.common import (
    contracts,
    entity_table,
    gate_quarantine,
    import_named,
    read_features,
    read_groups,
    require_inputs,
    with_null_fields,
    write_quarantine,
)
from splink_models.evaluation import majority


@dataclass(frozen=True)
class FeatureResult:
    n_input: int
    n_features: int
    quarantine_by_reason: dict[str, int]


def derive_input(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> int:
    """Write a derived entity's input table from its source entity's features and groups.

    The rows are :func:`derived_rows`. With a golden table configured, the
    golden table is derived too (``derive_golden``, or from the member truth
    ``derive_golden_from_members``). Returns the number of input rows built.
    """
    assert entity.derived is not None
    source = cfg.entity(entity.derived.derived_from)
    contract = contracts(entity).input
    path = cfg.table_path(entity.input_table)
    write_table(derived_rows(spark, cfg, entity), path, contract)
    if entity.golden_table and entity.golden is not None:
        if entity.derived.member_truth:
            derive_golden_from_members(spark, cfg, entity, read_table(spark, path, contract))
        else:
            derive_golden(spark, cfg, entity, source, read_groups(spark, cfg, source))
    return read_table(spark, path).count()


def derived_rows(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> DataFrame:
    """A derived entity's input rows (its input contract) from its source as published now.

    The builder reads the source entity's features and groups, and each of
    the entity's ``inputs`` tables (None when one does not exist: a feed is
    optional).
    """
    assert entity.derived is not None
    source = cfg.entity(entity.derived.derived_from)
    builder = import_named(entity.derived.builder)
    inputs = {}
    for role in entity.derived.inputs:
        table, contract = entity_table(entity, role)
        path = cfg.table_path(table)
        inputs[role] = read_table(spark, path, contract) if table_exists(spark, path) else None
    rows = builder(
        read_features(spark, cfg, source),
        read_groups(spark, cfg, source),
        id_column=source.id_column,
        group_column=source.group_column,
        **inputs,
    )
    return conform(rows, contracts(entity).input)


def _golden_columns(entity: EntityConfig) -> list[str]:
    assert entity.golden is not None
    columns = [entity.golden.truth_column]
    if entity.golden.kind_column:
        columns.append(entity.golden.kind_column)
    return columns


def derive_golden_from_members(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, rows: DataFrame
) -> None:
    """A derived record's truth: what most of the members it lists are in the member truth table.

    The member truth table (role ``derived.member_truth``) keys its rows by
    its first column; members without a row take no part, and a record none
    of whose members has one gets no truth. Without the table nothing is
    written.
    """
    assert entity.derived is not None and entity.derived.members_column and entity.golden_table
    table, contract = entity_table(entity, entity.derived.member_truth)
    if not table_exists(spark, cfg.table_path(table)):
        return
    truth = read_table(spark, cfg.table_path(table), contract)
    member = contract.fieldNames()[0]
    members = rows.select(entity.id_column, F.explode(entity.derived.members_column).alias(member))
    out = majority(
        members, truth, key=entity.id_column, member=member, columns=_golden_columns(entity)
    )
    golden = contracts(entity).golden
    write_table(with_null_fields(out, golden), cfg.table_path(entity.golden_table), golden)


def derive_golden(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    source: EntityConfig,
    groups: DataFrame,
) -> None:
    """A derived record's truth: what most of its source records are in the source's golden table.

    A record of a derived entity is a group of the source entity; its truth
    column and kind column are the values most of the group's members carry
    (ties: the smallest). Members without truth take no part; without a
    source golden table nothing is written.
    """
    assert entity.golden is not None and entity.golden_table
    if not source.golden_table or not table_exists(spark, cfg.table_path(source.golden_table)):
        return
    columns = _golden_columns(entity)
    golden = read_table(spark, cfg.table_path(source.golden_table), contracts(source).golden)
    rows = majority(
        groups.select(source.id_column, source.group_column),
        golden.select(source.id_column, *columns),
        key=source.group_column,
        member=source.id_column,
        columns=columns,
    ).withColumnRenamed(source.group_column, entity.id_column)
    contract = contracts(entity).golden
    # columns the source's golden table does not say stay null
    write_table(with_null_fields(rows, contract), cfg.table_path(entity.golden_table), contract)


def features_of(raw: DataFrame, entity: EntityConfig, run_id: str) -> tuple[DataFrame, DataFrame]:
    """(features, quarantine rows) of input rows: the entity's quality rules, then its builder.

    Lazy: the features frame reads the split's usable rows.
    """
    record_rules, field_rules = import_named(entity.quality_rules)()
    usable, quarantine = split_bad_input(
        raw,
        entity_type=entity.name,
        id_column=entity.id_column,
        run_id=run_id,
        record_rules=record_rules,
        field_rules=field_rules,
    )
    builder = import_named(entity.feature_builder)
    parameters = inspect.signature(builder).parameters.values()
    accepted = {p.name for p in parameters if p.kind is p.KEYWORD_ONLY} - {"generic_values"}
    unknown = sorted(set(entity.feature_options) - accepted)
    if unknown:
        raise ConfigError(
            f"entities.{entity.name}.feature_options: {', '.join(unknown)} is not an option of "
            f"{entity.feature_builder} (it takes: {', '.join(sorted(accepted)) or 'none'})"
        )
    features = builder(usable, generic_values=entity.generic_values, **entity.feature_options)
    return features, quarantine


def build_features(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, run_id: str
) -> FeatureResult:
    """The entity's features and quarantine rows, published as one release (``jobs.runtime.release``)."""
    require_inputs(spark, cfg, entity, "features")
    tables = [cfg.quarantine_table, entity.features_table]
    if entity.derived is not None:
        tables += [entity.input_table] + ([entity.golden_table] if entity.golden_table else [])
    with publishing(
        spark, cfg, job="features", entity=entity.name, run_id=run_id, tables=tables
    ) as release:
        if release.complete:
            return FeatureResult(**release.summary)
        result = _build_features(spark, cfg, entity, run_id)
        release.finish(None, asdict(result))
    return result


def _build_features(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, run_id: str
) -> FeatureResult:
    if entity.derived is not None:
        derive_input(spark, cfg, entity)
    c = contracts(entity)
    raw = read_table(spark, cfg.table_path(entity.input_table), c.input)
    features, quarantine = features_of(raw, entity, run_id)
    quarantine = quarantine.cache()
    write_quarantine(cfg, entity.name, quarantine)
    n_input = raw.count()
    gate_quarantine(cfg, entity.input_table, n_input, quarantine)
    write_table(conform(features, c.features), cfg.table_path(entity.features_table), c.features)
    by_reason = {
        f"{r['field']}: {r['reason']}": int(r["count"])
        for r in quarantine.groupBy("field", "reason").count().collect()
    }
    n_features = read_table(spark, cfg.table_path(entity.features_table)).count()
    excluded = quarantine.where(F.col("action") == RECORD_EXCLUDED).count()
    quarantine.unpersist()
    if n_input != n_features + excluded:  # one feature row per usable record
        raise ResolutionError(
            f"features of {entity.name}: {n_input:,} records read, {n_features:,} with "
            f"features + {excluded:,} excluded: {n_input - n_features - excluded:,} unaccounted"
        )
    return FeatureResult(n_input=n_input, n_features=n_features, quarantine_by_reason=by_reason)
