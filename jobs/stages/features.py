"""The features stage: input table -> quality rules -> feature builder -> feature table.

Every kind goes the same way; a ``derived`` entity first builds its input
table from the entity it is derived from (its builder reads that entity's
features and groups, whose columns its config names).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import SparkSession

from features.quality import split_bad_input
from features.schemas import conform
from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import read_table, write_table
from jobs.stages.common import (
    contracts,
    import_named,
    read_features,
    read_groups,
    write_quarantine,
)


@dataclass(frozen=True)
class FeatureResult:
    n_input: int
    n_features: int
    quarantine_by_reason: dict[str, int]


def derive_input(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> int:
    """Write a derived entity's input table from its source entity's features and groups.

    Returns the number of input rows built.
    """
    assert entity.derived is not None
    source = cfg.entity(entity.derived.derived_from)
    builder = import_named(entity.derived.builder)
    rows = builder(
        read_features(spark, cfg, source),
        read_groups(spark, cfg, source),
        id_column=source.id_column,
        group_column=source.group_column,
    )
    contract = contracts(entity).input
    path = cfg.table_path(entity.input_table)
    write_table(conform(rows, contract), path, contract)
    return read_table(spark, path).count()


def build_features(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, run_id: str
) -> FeatureResult:
    if entity.derived is not None:
        derive_input(spark, cfg, entity)
    c = contracts(entity)
    raw = read_table(spark, cfg.table_path(entity.input_table), c.input)
    record_rules, field_rules = import_named(entity.quality_rules)()
    usable, quarantine = split_bad_input(
        raw,
        entity_type=entity.name,
        id_column=entity.id_column,
        run_id=run_id,
        record_rules=record_rules,
        field_rules=field_rules,
    )
    quarantine = quarantine.cache()
    write_quarantine(cfg, entity.name, quarantine)
    builder = import_named(entity.feature_builder)
    features = builder(usable, generic_values=entity.generic_values)
    write_table(conform(features, c.features), cfg.table_path(entity.features_table), c.features)
    by_reason = {
        f"{r['field']}: {r['reason']}": int(r["count"])
        for r in quarantine.groupBy("field", "reason").count().collect()
    }
    result = FeatureResult(
        n_input=raw.count(),
        n_features=read_table(spark, cfg.table_path(entity.features_table)).count(),
        quarantine_by_reason=by_reason,
    )
    quarantine.unpersist()
    return result
