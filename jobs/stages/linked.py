"""The link kind: each record is assigned to at most one group of the entity it links to.

The linking model compares the entity's records with the members of the
target's groups, both sides in one view (the entity's ``link.record_view``
and ``link.target_view``); a group scores as its best member. Column names
on the target side come from the target entity's config (its id and group
columns), on this side from this entity's, so nothing here is written for
one pair of entities.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from features.errors import ResolutionError
from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import read_table, table_version
from jobs.stages.common import Settled, contracts, import_named, read_features, read_groups
from splink_models.link_evaluation import evaluate_assignments
from splink_models.linking import assign_records, primary_flag
from splink_models.model import TrainedModel
from splink_models.scoring import explain_levels

# The link view's group column: the target's group id on the target side, null on this side.
VIEW_GROUP = "group_id"


def _target(cfg: AppConfig, entity: EntityConfig) -> EntityConfig:
    assert entity.link is not None
    return cfg.entity(entity.link.links_to)


def model_inputs(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> list[DataFrame]:
    """[records, target members], both in the link view: the two sides of the link model."""
    target = _target(cfg, entity)
    return link_views(
        entity,
        target,
        read_features(spark, cfg, entity),
        read_features(spark, cfg, target),
        read_groups(spark, cfg, target),
    )


def link_views(
    entity: EntityConfig,
    target: EntityConfig,
    features: DataFrame,
    target_features: DataFrame,
    target_groups: DataFrame,
) -> list[DataFrame]:
    """[records, target members] in the link view, from the given feature and group tables."""
    assert entity.link is not None
    records = import_named(entity.link.record_view)(features, id_column=entity.id_column)
    members = import_named(entity.link.target_view)(
        target_features,
        target_groups,
        id_column=target.id_column,
        group_column=target.group_column,
    )
    return [records, members]


def read_versions(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> dict[str, Any]:
    """For the release's summary: the target's feature and group table versions linked to."""
    target = _target(cfg, entity)
    tables = [target.features_table, target.groups_table]
    return {TARGET_VERSIONS: {t: table_version(spark, cfg.table_path(t)) for t in tables}}


# the manifest summary key of a link entity's runs: target table name -> the version read
TARGET_VERSIONS = "target_versions"


def pair_rows(
    cfg: AppConfig, entity: EntityConfig, scored: DataFrame, model: TrainedModel, run_id: str
) -> DataFrame:
    """Scored pairs oriented record -> target member, with the member's group (pairs contract)."""
    assert entity.link is not None
    target = _target(cfg, entity)
    view_id = model.settings["unique_id_column_name"]
    record_left = F.col(f"{entity.link.side_column}_l")
    return scored.select(
        F.when(record_left, F.col(f"{view_id}_l"))
        .otherwise(F.col(f"{view_id}_r"))
        .alias(entity.id_column),
        F.when(record_left, F.col(f"{view_id}_r"))
        .otherwise(F.col(f"{view_id}_l"))
        .alias(target.id_column),
        F.coalesce(f"{VIEW_GROUP}_l", f"{VIEW_GROUP}_r").alias(target.group_column),
        F.col("match_weight").cast("double"),
        F.col("match_probability").cast("double"),
        explain_levels(model, scored.columns).alias("comparison_levels"),
        F.lit(run_id).alias("run_id"),
        F.lit(model.version).alias("model_version"),
    )


def settle(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    pairs: DataFrame,
    *,
    run_id: str,
    model_version: str,
) -> Settled:
    """At most one group per record: the best above the threshold, near ties left ambiguous."""
    records = record_kinds(entity, read_features(spark, cfg, entity))
    matches, unmatched = assign(
        cfg, entity, pairs, records, run_id=run_id, model_version=model_version
    )
    return Settled({"matches": matches, "unmatched": unmatched}, [])


def record_kinds(entity: EntityConfig, features: DataFrame) -> DataFrame:
    """(record_id, record_kind) of the entity's records, as assignment reads them."""
    link = entity.link
    assert link is not None
    kind = F.col(link.kind_column) if link.kind_column else F.lit(None).cast("string")
    return features.select(F.col(entity.id_column).alias("record_id"), kind.alias("record_kind"))


def assign(
    cfg: AppConfig,
    entity: EntityConfig,
    pairs: DataFrame,
    records: DataFrame,
    *,
    run_id: str,
    model_version: str,
) -> tuple[DataFrame, DataFrame]:
    """(matches, unmatched) of ``records`` (:func:`record_kinds`) from their ``pairs``."""
    link = entity.link
    assert link is not None
    target = _target(cfg, entity)
    neutral = pairs.select(
        F.col(entity.id_column).alias("record_id"),
        F.col(target.id_column).alias("target_id"),
        F.col(target.group_column).alias("group_id"),
        "match_weight",
        "match_probability",
        "comparison_levels",
    )
    matches, unmatched = assign_records(
        neutral,
        records,
        threshold=link.threshold,
        ambiguity_margin=link.ambiguity_margin,
        max_explanations=link.max_explanations,
        primary_order=link.primary_order,
    )
    lineage = [F.lit(run_id).alias("run_id"), F.lit(model_version).alias("model_version")]
    group = target.group_column
    c = contracts(entity)
    assert c.matches is not None and c.unmatched is not None
    matches = matches.select(
        F.col("record_id").alias(entity.id_column),
        F.col("group_id").alias(group),
        "match_probability",
        "match_weight",
        F.col("record_kind").alias(_kind_name(entity)),
        "is_primary",
        F.col("target_id").alias(f"matched_{target.id_column}"),
        "runner_up_match_weight",
        "explanation",
        *lineage,
    )
    unmatched = unmatched.select(
        F.col("record_id").alias(entity.id_column),
        "reason",
        F.col("best_group_id").alias(f"best_{group}"),
        "best_match_probability",
        F.col("runner_up_group_id").alias(f"runner_up_{group}"),
        "runner_up_match_probability",
        *lineage,
    )
    return matches, unmatched


def _kind_name(entity: EntityConfig) -> str:
    assert entity.link is not None
    return entity.link.kind_column or "record_kind"


def with_primary(cfg: AppConfig, entity: EntityConfig, matches: DataFrame) -> DataFrame:
    """Matches (contract) with ``is_primary`` chosen again over the groups they hold."""
    assert entity.link is not None
    return matches.withColumn(
        "is_primary",
        primary_flag(
            F.col(_target(cfg, entity).group_column),
            F.col(_kind_name(entity)),
            F.col(entity.id_column),
            entity.link.primary_order,
        ),
    )


def summarise(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, pairs: DataFrame
) -> dict[str, Any]:
    """Counts of the published pairs, matches and unmatched records, for the run summary."""
    c = contracts(entity)
    unmatched = read_table(spark, cfg.table_path(entity.unmatched_table), c.unmatched)
    n_matched = read_table(spark, cfg.table_path(entity.matches_table)).count()
    by_reason = {
        r["reason"]: int(r["count"]) for r in unmatched.groupBy("reason").count().collect()
    }
    return {
        "n_pairs": pairs.count(),
        "n_records": n_matched + sum(by_reason.values()),
        "n_matched": n_matched,
        "unmatched_by_reason": by_reason,
    }


# --- evaluation -------------------------------------------------------------------------


def golden_report(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    pairs: DataFrame,
    outputs: dict[str, DataFrame],
) -> dict[str, Any]:
    """Assignments against the entity's golden table and the target's golden clusters."""
    target = _target(cfg, entity)
    if not entity.golden_table or entity.golden is None:
        raise ResolutionError(f"entity {entity.name} has no golden table configured")
    if not target.golden_table or target.golden is None:
        raise ResolutionError(
            f"entity {entity.name} links to {target.name}, which has no golden table: "
            "its assignments cannot be judged"
        )
    c, ct = contracts(entity), contracts(target)
    golden_kind = entity.golden.kind_column
    record_golden = read_table(spark, cfg.table_path(entity.golden_table), c.golden).select(
        F.col(entity.id_column).alias("record_id"),
        F.col(entity.golden.truth_column).alias("truth"),
        (F.col(golden_kind) if golden_kind else F.lit(None).cast("string")).alias("record_kind"),
    )
    target_kind = target.golden.kind_column
    target_golden = read_table(spark, cfg.table_path(target.golden_table), ct.golden).select(
        F.col(target.id_column).alias("target_id"),
        F.col(target.golden.truth_column).alias("truth"),
        (F.col(target_kind) if target_kind else F.lit(None).cast("string")).alias("target_kind"),
    )
    report = evaluate_assignments(
        matches=outputs["matches"].select(
            F.col(entity.id_column).alias("record_id"),
            F.col(target.group_column).alias("group_id"),
        ),
        unmatched=outputs["unmatched"].select("reason"),
        record_golden=record_golden,
        groups=read_groups(spark, cfg, target).select(
            F.col(target.id_column).alias("target_id"),
            F.col(target.group_column).alias("group_id"),
        ),
        target_golden=target_golden,
        base_kind=target.golden.base_kind,
    )
    report["threshold"] = entity.threshold
    return report


def evaluate_published(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, golden: str = "auto"
) -> tuple[dict[str, Any], None, None]:
    """The published matches and unmatched records against the golden data.

    Link entities are judged on assignments (golden clusters of the target);
    ``golden`` must be "auto" or "clusters".
    """
    if golden not in ("auto", "clusters"):
        raise ResolutionError(
            f"--golden {golden}: a link entity ({entity.name}) is judged on its assignments "
            "against golden clusters; use --golden clusters (or auto)"
        )
    c = contracts(entity)
    outputs = {
        "matches": read_table(spark, cfg.table_path(entity.matches_table), c.matches),
        "unmatched": read_table(spark, cfg.table_path(entity.unmatched_table), c.unmatched),
    }
    pairs = read_table(spark, cfg.table_path(entity.pairs_table), c.pairs)
    report = golden_report(spark, cfg, entity, pairs, outputs)
    report["golden"] = "assignments"
    return report, None, None


def comparable(
    cfg: AppConfig, entity: EntityConfig, pairs: DataFrame, outputs: dict[str, DataFrame]
) -> tuple[DataFrame, DataFrame, str]:
    """(pairs, groups, group column) as splink_models.impact compares two models' results.

    A pair is (record, target member) under ``<id>_l`` / ``<id>_r``; a record's
    "group" is the target group it is assigned to, so records that move to
    another group, or lose their assignment, show as changes.
    """
    target = _target(cfg, entity)
    idc = entity.id_column
    oriented = pairs.select(
        F.col(idc).alias(f"{idc}_l"),
        F.col(target.id_column).alias(f"{idc}_r"),
        "match_probability",
        (F.col("match_probability") >= entity.threshold).alias("above_threshold"),
    )
    return oriented, outputs["matches"], target.group_column
