"""The deliver stage: new, changed and deleted records linked into a resolved catalog.

A delivery is a table in the entity's input contract plus a ``change``
column (new, changed, deleted). Its records are checked and quarantined like
any input, their features built, and only the pairs with a delivered record
on one side scored (splink_models.incremental); the pairs table loses every
edge of a changed or deleted record and gains the new ones; the records
whose group can change (the delivered ones, the groups they touched, closed
under accepted edges) are clustered again and keep their ids by the
stable-id rules. Everything is computed before anything is written; then
input, features, quarantine, pairs and groups are MERGEd, so each table's
change feed shows only what the delivery changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from features.errors import ConfigError, ResolutionError
from features.quality import RECORD_EXCLUDED
from features.schemas import (
    CHANGE_COLUMN,
    CHANGE_KINDS,
    DELETED,
    NEW,
    QUARANTINE,
    conform,
    validate_schema,
)
from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import (
    commit_metadata,
    merge_changes,
    read_table,
    table_exists,
    table_history,
)
from jobs.runtime.job import stage
from jobs.runtime.registry import load_model
from jobs.runtime.release import Release, publishing
from jobs.stages.clustered import cluster_groups, pair_rows, with_stable_ids
from jobs.stages.common import (
    DELIVERY_REASON_PREFIX,
    contracts,
    event_counts,
    quarantine_scope,
    read_features,
    read_groups,
    require_inputs,
    write_id_history,
)
from jobs.stages.features import features_of
from splink_models.clustering import guard_levels, materialise
from splink_models.incremental import (
    crosses,
    frequency_shifted_pairs,
    predict_delivery,
    touched_records,
)
from splink_models.model import TrainedModel
from splink_models.spark_backend import predict_given_pairs

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryResult:
    model_version: str
    # rows, delivered rows by change kind, rejected, excluded, pairs_removed, pairs_added,
    # pairs_rescored (kept pairs whose term frequencies moved), touched_records, groups_after
    counts: dict[str, float]  # counts, and the term-frequency drift bounds (bits)
    id_events: dict[str, int]
    guard_rounds: list[dict[str, Any]] = field(default_factory=list)


def delivery_contract(entity: EntityConfig) -> StructType:
    """The entity's input contract plus the change column."""
    fields = list(contracts(entity).input.fields)
    return StructType([*fields, StructField(CHANGE_COLUMN, StringType())])


def read_delivery(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, where: str
) -> DataFrame:
    """A delivery by path (Delta or Parquet) or by warehouse table name, in its contract."""
    path = where if ("/" in where or "://" in where) else cfg.table_path(where)
    if table_exists(spark, path):
        df = spark.read.format("delta").load(path)
    elif "://" in path or Path(path).exists():
        df = spark.read.parquet(path)
    else:
        raise ResolutionError(f"delivery {where!r}: no Delta table or Parquet files at {path}")
    return validate_schema(df, delivery_contract(entity), path)


def _delivery_model(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, pairs: DataFrame, ref: str | None
) -> TrainedModel:
    """The model that scored the published pairs: a delivery must score as they were scored."""
    published = sorted(r[0] for r in pairs.select("model_version").distinct().collect())
    if ref is None and len(published) == 1:
        saved = Path(cfg.paths.models_dir) / entity.name / f"{published[0]}.json"
        ref = str(saved) if saved.exists() else None
    model = load_model(cfg, entity.name, entity.model_module, ref).model
    if published and published != [model.version]:
        raise ResolutionError(
            f"deliver {entity.name}: the published pairs were scored by {', '.join(published)}, "
            f"not {model.version}; a delivery scores with the model of the catalog it joins "
            "(give it with --model, or run a full resolve with the new model first)"
        )
    return model


def _checked(raw: DataFrame, catalog_ids: DataFrame, idc: str) -> DataFrame:
    """The delivery with ``_problem``: why a row cannot be applied (null: it can)."""
    change = F.lower(F.trim(F.col(CHANGE_COLUMN)))
    copies = F.count(F.lit(1)).over(Window.partitionBy(idc))
    known = F.col("_known").isNotNull()
    problem = (
        F.when(
            ~change.isin(*CHANGE_KINDS) | change.isNull(),
            F.lit(f"{CHANGE_COLUMN} must be one of {', '.join(CHANGE_KINDS)}"),
        )
        .when(F.col(idc).isNull(), F.lit(f"missing {idc}"))
        .when(F.col("_copies") > 1, F.lit(f"{idc} delivered more than once: no copy applied"))
        .when((change == NEW) & known, F.lit(f"new record, but its {idc} is in the catalog"))
        .when(
            (change != NEW) & ~known, F.lit(f"{change} record, but its {idc} is not in the catalog")
        )
    )
    return (
        raw.withColumn("_copies", copies)
        .join(catalog_ids.select(idc, F.lit(True).alias("_known")), idc, "left")
        .withColumn(CHANGE_COLUMN, change)
        .withColumn("_problem", problem)
    )


def _rejected_rows(checked: DataFrame, entity: EntityConfig, run_id: str) -> DataFrame:
    idc = entity.id_column
    raw = F.to_json(F.struct(*[c for c in checked.columns if not c.startswith("_")]))
    return checked.where(F.col("_problem").isNotNull()).select(
        F.lit(entity.name).alias("entity_type"),
        F.col(idc).cast("string").alias("record_id"),
        F.when(F.col("_problem").startswith(CHANGE_COLUMN), F.lit(CHANGE_COLUMN))
        .otherwise(F.lit(idc))
        .alias("field"),
        F.concat(F.lit(DELIVERY_REASON_PREFIX), F.col("_problem")).alias("reason"),
        F.lit(RECORD_EXCLUDED).alias("action"),
        F.substring(raw, 1, 500).alias("raw_value"),
        F.lit(None).cast("string").alias("location"),
        F.lit(run_id).alias("run_id"),
        F.current_timestamp().alias("quarantined_at"),
    )


def _applied(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, delivery: str
) -> tuple[DataFrame, DataFrame, DataFrame]:
    """(every delivery row with its ``_problem``, the rows that apply, their input rows)."""
    c = contracts(entity)
    current = read_table(spark, cfg.table_path(entity.input_table), c.input)
    checked = materialise(
        _checked(read_delivery(spark, cfg, entity, delivery), current, entity.id_column)
    )
    applied = checked.where(F.col("_problem").isNull())
    return checked, applied, conform(applied.where(F.col(CHANGE_COLUMN) != DELETED), c.input)


def input_after_delivery(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, delivery: str
) -> DataFrame:
    """The entity's input table as the delivery leaves it: what a full rebuild would start from."""
    idc = entity.id_column
    current = read_table(spark, cfg.table_path(entity.input_table), contracts(entity).input)
    _, applied, rows = _applied(spark, cfg, entity, delivery)
    return current.join(applied.select(idc), idc, "left_anti").unionByName(rows)


def deliver(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    delivery: str,
    run_id: str,
    model_ref: str | None = None,
) -> DeliveryResult:
    """Apply one delivery to a resolved entity's tables (see the module docstring)."""
    if entity.kind != "dedupe" or entity.products is not None:
        raise ConfigError(
            f"jobs.deliver: entity {entity.name} is a {entity.kind} entity"
            + (" with products" if entity.products is not None else "")
            + "; deliveries go to dedupe entities without products (resolve the others in full)"
        )
    require_inputs(spark, cfg, entity, "model")
    tables = [
        entity.input_table,
        entity.features_table,
        cfg.quarantine_table,
        entity.pairs_table,
        entity.groups_table,
        entity.id_history_table,
    ]
    with publishing(
        spark, cfg, job="deliver", entity=entity.name, run_id=run_id, tables=tables
    ) as release:
        if release.complete:
            logger.info("deliver %s: run %s is published already", entity.name, run_id)
            return DeliveryResult(
                model_version=release.model_version or "unknown",
                counts=release.summary["counts"],
                id_events=release.summary["id_events"],
            )
        result = _deliver(spark, cfg, entity, delivery, run_id, model_ref, release)
        release.finish(
            result.model_version, {"counts": result.counts, "id_events": result.id_events}
        )
    return result


def _deliver(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    delivery: str,
    run_id: str,
    model_ref: str | None,
    release: Release,
) -> DeliveryResult:
    c = contracts(entity)
    idc = entity.id_column
    pair_key = [f"{idc}_l", f"{idc}_r"]
    input_path = cfg.table_path(entity.input_table)
    pairs_path = cfg.table_path(entity.pairs_table)
    pairs = read_table(spark, pairs_path, c.pairs)
    old_groups = read_groups(spark, cfg, entity)
    model = _delivery_model(spark, cfg, entity, pairs, model_ref)
    release.model_version = model.version

    with stage(f"check {entity.name} delivery"):
        checked, applied, rows = _applied(spark, cfg, entity, delivery)
        rejected = _rejected_rows(checked, entity, run_id)
        built, quality = features_of(rows, entity, run_id)
        features = materialise(conform(built, c.features))
        applied_ids = applied.select(idc)
        delivered = features.select(idc)  # new and changed records with features
        gone = applied_ids.join(delivered, idc, "left_anti")  # deleted, or changed and now excluded
    with stage(f"score {entity.name} delivery"):
        before = read_features(spark, cfg, entity)
        catalog = before.join(applied_ids, idc, "left_anti").unionByName(features)
        scored = predict_delivery(spark, catalog, delivered, model)
        new_pairs = materialise(pair_rows(cfg, entity, scored, model, run_id))
        old_touching = materialise(_with_a_side_in(pairs, applied_ids, idc).select(*pair_key))
        # pairs the delivery left whose term frequencies it moved: scored again, as a
        # rebuild over the new catalog would score them
        assert entity.clustering is not None
        levels = guard_levels(entity.clustering.threshold, entity.clustering.strict_threshold_step)
        kept = pairs.join(old_touching, pair_key, "left_anti")
        allowance = drift_allowance(spark, pairs_path)
        near, drift = frequency_shifted_pairs(
            kept, before, catalog, applied_ids, model.settings, levels, allowance
        )
        drifting = materialise(
            near.join(kept, pair_key).select(
                *pair_key, F.col("match_probability").alias("_p_before")
            )
        )
        rescored = materialise(
            pair_rows(
                cfg, entity, predict_given_pairs(spark, catalog, model, drifting), model, run_id
            )
        )
    with stage(f"cluster the {entity.name} the delivery touches"):
        upserts = new_pairs.unionByName(rescored)
        after = (
            pairs.join(old_touching, pair_key, "left_anti")
            .join(rescored.select(*pair_key), pair_key, "left_anti")
            .unionByName(upserts)
            .select(
                F.col(f"{idc}_l").alias("node_l"),
                F.col(f"{idc}_r").alias("node_r"),
                "match_probability",
            )
        )
        threshold = entity.threshold
        # read by every round of the closure: built once
        accepted = materialise(after.where(F.col("match_probability") >= threshold))
        groups_before = old_groups.select(
            F.col(idc).alias("node"), F.col(entity.group_column).alias("group")
        )
        remaining = groups_before.join(gone.toDF("node"), "node", "left_anti")
        hit_groups = groups_before.join(applied_ids.toDF("node"), "node").select("group")
        # a rescored pair that crossed a clustering level (the threshold, or a stricter
        # one the size guard uses) can change its component
        moved = drifting.join(rescored.select(*pair_key, "match_probability"), pair_key).where(
            crosses(F.col("_p_before"), F.col("match_probability"), levels)
        )
        seeds = (
            delivered.toDF("node")
            .unionByName(remaining.join(hit_groups, "group").select("node"))
            .unionByName(moved.select(F.col(f"{idc}_l").alias("node")))
            .unionByName(moved.select(F.col(f"{idc}_r").alias("node")))
            .distinct()
        )
        touched = touched_records(accepted, remaining, seeds)
        inside = F.broadcast(touched.withColumn("_in", F.lit(True)))
        edges = (
            after.join(inside.toDF("node_l", "in_l"), "node_l")
            .join(inside.toDF("node_r", "in_r"), "node_r")
            .select("node_l", "node_r", "match_probability")
        )
        groups, rounds = cluster_groups(
            entity, edges, touched, run_id=run_id, model_version=model.version
        )
        groups, history = with_stable_ids(
            spark,
            cfg,
            entity,
            groups,
            run_id=run_id,
            model_version=model.version,
            scope=touched.unionByName(gone.toDF("node")),
        )
        counts = _counts(checked, quality, old_touching, new_pairs, touched, groups, entity)
        counts["pairs_rescored"] = rescored.count()
        counts["tf_drift_allowance_bits"] = allowance  # from earlier deliveries
        counts["tf_drift_bits"] = drift  # the next delivery's allowance
    with stage(f"write {entity.name} delivery"):
        merge_changes(
            input_path,
            c.input,
            keys=[idc],
            upserts=rows,
            deletes=applied.where(F.col(CHANGE_COLUMN) == DELETED).select(idc),
        )
        merge_changes(
            cfg.table_path(entity.features_table),
            c.features,
            keys=[idc],
            upserts=features,
            deletes=gone,
        )
        # the features stage's rows of the records delivered again (see quarantine_scope)
        scope = quarantine_scope(entity.name, "features", alias="t")
        merge_changes(
            cfg.table_path(cfg.quarantine_table),
            QUARANTINE,
            keys=["record_id"],
            upserts=conform(quality.unionByName(rejected), QUARANTINE),
            deletes=applied_ids.select(F.col(idc).cast("string").alias("record_id")),
            scope=scope,
            insert_only=True,
        )
        merge_changes(
            pairs_path,
            c.pairs,
            keys=pair_key,
            upserts=upserts,
            deletes=old_touching,
            compare=["match_weight", "match_probability", "comparison_levels"],
            metadata={DRIFT_KEY: drift, "run_id": run_id},
            few_upserts=True,
        )
        gc = entity.group_column
        merge_changes(
            cfg.table_path(entity.groups_table),
            c.groups,
            keys=[idc],
            upserts=conform(groups, c.groups),
            deletes=gone,
            compare=[gc, "group_size", f"representative_{idc}"],
            few_upserts=True,
        )
        write_id_history(cfg, entity, history, run_id)
    return DeliveryResult(
        model_version=model.version,
        counts=counts,
        id_events=event_counts(history),
        guard_rounds=rounds,
    )


DRIFT_KEY = "tf_drift_bits"  # in the userMetadata of a delivery's pairs commit


def drift_allowance(spark: SparkSession, pairs_path: str) -> float:
    """How far the pairs' weights may be from a rebuild's: the deliveries' drifts since a resolve.

    Each delivery records, in its pairs commit's userMetadata, the largest
    shift a pair it did not rescore may have; a full resolve overwrites the
    table and starts again from zero.
    """
    total = 0.0
    for commit in table_history(spark, pairs_path):
        if commit["operation"] != "MERGE":
            break
        total += float(commit_metadata(commit).get(DRIFT_KEY, 0.0))
    return total


def _with_a_side_in(pairs: DataFrame, ids: DataFrame, idc: str) -> DataFrame:
    """The pairs with ``<idc>_l`` or ``<idc>_r`` among ``ids`` (a small set: broadcast)."""
    hit = F.broadcast(ids.select(idc).distinct().withColumn("_hit", F.lit(True)))
    return (
        pairs.join(hit.toDF(f"{idc}_l", "_hit_l"), f"{idc}_l", "left")
        .join(hit.toDF(f"{idc}_r", "_hit_r"), f"{idc}_r", "left")
        .where(F.col("_hit_l").isNotNull() | F.col("_hit_r").isNotNull())
        .drop("_hit_l", "_hit_r")
    )


def _counts(
    checked: DataFrame,
    quality: DataFrame,
    removed: DataFrame,
    added: DataFrame,
    touched: DataFrame,
    groups: DataFrame,
    entity: EntityConfig,
) -> dict[str, float]:
    by_kind = {
        r[CHANGE_COLUMN]: int(r["count"])
        for r in checked.where(F.col("_problem").isNull()).groupBy(CHANGE_COLUMN).count().collect()
    }
    return {
        "rows": checked.count(),
        **{kind: by_kind.get(kind, 0) for kind in CHANGE_KINDS},
        "rejected": checked.where(F.col("_problem").isNotNull()).count(),
        "excluded": quality.where(F.col("action") == RECORD_EXCLUDED)
        .select("record_id")
        .distinct()
        .count(),
        "pairs_removed": removed.count(),
        "pairs_added": added.count(),
        "touched_records": touched.count(),
        "groups_after": groups.select(entity.group_column).distinct().count(),
    }
