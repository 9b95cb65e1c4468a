"""A delivery's own rows: read, checked, quarantined and written, for every kind of entity.

A delivery is a table in the entity's input contract plus a ``change``
column (new, changed, deleted). The stages that apply one (jobs.stages.deliver
for clustered entities, jobs.stages.deliver_links for link entities) share
what is done to its rows: rows that cannot be applied are quarantined with
the reason, the others replace the entity's input and feature rows; and how
far the pairs' term-frequency-adjusted weights may have drifted since the
last full resolve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from features.errors import ResolutionError
from features.quality import RECORD_EXCLUDED
from features.schemas import (
    CHANGE_COLUMN,
    CHANGE_KINDS,
    CHANGED,
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
from jobs.runtime.registry import load_model
from jobs.stages.common import DELIVERY_REASON_PREFIX, contracts, quarantine_scope
from jobs.stages.features import derived_rows, features_of
from splink_models.clustering import broadcast_if_small, materialise
from splink_models.model import TrainedModel


@dataclass(frozen=True)
class DeliveryResult:
    model_version: str
    # rows, delivered rows by change kind, rejected, excluded, pairs_removed, pairs_added,
    # pairs_rescored (kept pairs whose term frequencies moved); clustered: touched_records,
    # groups_after; link: records_reassigned, matched_after, ...
    counts: dict[str, float]  # counts, and the term-frequency drift bounds (bits)
    id_events: dict[str, int]
    guard_rounds: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)  # more for the release manifest


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


def delivery_model(
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


def rejected_rows(checked: DataFrame, entity: EntityConfig, run_id: str) -> DataFrame:
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


Delivery = str | DataFrame | None  # a table name or path, rows in its contract, or none


def applied_rows(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, delivery: Delivery
) -> tuple[DataFrame, DataFrame, DataFrame]:
    """(every delivery row with its ``_problem``, the rows that apply, their input rows).

    ``delivery`` None: an empty delivery (a link entity brought up to date with its target).
    """
    c = contracts(entity)
    current = read_table(spark, cfg.table_path(entity.input_table), c.input)
    if delivery is None:
        raw = spark.createDataFrame([], delivery_contract(entity))
    elif isinstance(delivery, DataFrame):
        raw = validate_schema(delivery, delivery_contract(entity), "delivery")
    else:
        raw = read_delivery(spark, cfg, entity, delivery)
    checked = materialise(_checked(raw, current, entity.id_column))
    applied = checked.where(F.col("_problem").isNull())
    return checked, applied, conform(applied.where(F.col(CHANGE_COLUMN) != DELETED), c.input)


@dataclass(frozen=True)
class DeliveredRecords:
    """A delivery's rows checked and their features built; nothing written yet."""

    entity: EntityConfig
    checked: DataFrame  # every delivery row, with ``_problem`` (null: it applies)
    applied: DataFrame  # the rows that apply
    rows: DataFrame  # input rows of the new and changed records (input contract)
    rejected: DataFrame  # quarantine rows of the rows that cannot apply
    features: DataFrame  # features of the new and changed records that pass the rules
    quality: DataFrame  # the quality rules' quarantine rows

    @property
    def applied_ids(self) -> DataFrame:
        return self.applied.select(self.entity.id_column)

    @property
    def delivered(self) -> DataFrame:
        """(id) of the new and changed records with features."""
        return self.features.select(self.entity.id_column)

    @property
    def gone(self) -> DataFrame:
        """(id) of the records deleted, or changed and now excluded by the quality rules."""
        return self.applied_ids.join(self.delivered, self.entity.id_column, "left_anti")

    @property
    def deleted(self) -> DataFrame:
        return self.applied.where(F.col(CHANGE_COLUMN) == DELETED).select(self.entity.id_column)

    def counts(self) -> dict[str, float]:
        """rows, rows applied by change kind, rejected, excluded by the quality rules."""
        by_kind = {
            r[CHANGE_COLUMN]: int(r["count"])
            for r in self.applied.groupBy(CHANGE_COLUMN).count().collect()
        }
        return {
            "rows": self.checked.count(),
            **{kind: by_kind.get(kind, 0) for kind in CHANGE_KINDS},
            "rejected": self.checked.where(F.col("_problem").isNotNull()).count(),
            "excluded": self.quality.where(F.col("action") == RECORD_EXCLUDED)
            .select("record_id")
            .distinct()
            .count(),
        }


def delivered_records(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, delivery: Delivery, run_id: str
) -> DeliveredRecords:
    """The delivery checked against the catalog, its applied rows' features built."""
    checked, applied, rows = applied_rows(spark, cfg, entity, delivery)
    built, quality = features_of(rows, entity, run_id)
    features = materialise(conform(built, contracts(entity).features))
    rejected = rejected_rows(checked, entity, run_id)
    return DeliveredRecords(entity, checked, applied, rows, rejected, features, quality)


def catalog_after(before: DataFrame, d: DeliveredRecords) -> DataFrame:
    """A feature table as the delivery leaves it: its applied records' rows replaced."""
    idc = d.entity.id_column
    ids = d.applied_ids  # a delivery's: the catalog is not shuffled for them
    return before.join(broadcast_if_small(ids, ids.count()), idc, "left_anti").unionByName(
        d.features
    )


def write_delivered_records(cfg: AppConfig, d: DeliveredRecords) -> None:
    """MERGE the delivery's records into the entity's input, features and quarantine tables."""
    entity, c = d.entity, contracts(d.entity)
    idc = entity.id_column
    merge_changes(
        cfg.table_path(entity.input_table),
        c.input,
        keys=[idc],
        upserts=d.rows,
        deletes=d.deleted,
        few_upserts=True,
    )
    merge_changes(
        cfg.table_path(entity.features_table),
        c.features,
        keys=[idc],
        upserts=d.features,
        deletes=d.gone,
        few_upserts=True,
    )
    # the features stage's rows of the records delivered again (see quarantine_scope)
    merge_changes(
        cfg.table_path(cfg.quarantine_table),
        QUARANTINE,
        keys=["record_id"],
        upserts=conform(d.quality.unionByName(d.rejected), QUARANTINE),
        deletes=d.applied_ids.select(F.col(idc).cast("string").alias("record_id")),
        scope=quarantine_scope(entity.name, "features", alias="t"),
        insert_only=True,
        few_upserts=True,
    )


def input_after_delivery(
    spark: SparkSession, cfg: AppConfig, entity: EntityConfig, delivery: Delivery
) -> DataFrame:
    """The entity's input table as the delivery leaves it: what a full rebuild would start from."""
    idc = entity.id_column
    current = read_table(spark, cfg.table_path(entity.input_table), contracts(entity).input)
    _, applied, rows = applied_rows(spark, cfg, entity, delivery)
    return current.join(applied.select(idc), idc, "left_anti").unionByName(rows)


def derived_delivery(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> DataFrame:
    """A derived entity's delivery: its input rows built from its source now, against its input.

    A record built now and not in the input table is new; one whose row
    differs in any column is changed; an input record no longer built (its
    source group merged away, split or deleted) is deleted.
    """
    idc = entity.id_column
    c = contracts(entity)
    now = materialise(derived_rows(spark, cfg, entity))
    then = read_table(spark, cfg.table_path(entity.input_table), c.input)
    ids_then = then.select(idc)
    differ = now.exceptAll(then)
    change = F.when(F.col("_known").isNull(), F.lit(NEW)).otherwise(F.lit(CHANGED))
    rows = (
        differ.join(ids_then.withColumn("_known", F.lit(True)), idc, "left")
        .withColumn(CHANGE_COLUMN, change)
        .drop("_known")
        .unionByName(
            then.join(now.select(idc), idc, "left_anti").withColumn(CHANGE_COLUMN, F.lit(DELETED))
        )
    )
    return conform(rows, delivery_contract(entity))


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


def with_a_side_in(pairs: DataFrame, ids: DataFrame, idc: str, inside: bool = True) -> DataFrame:
    """The pairs with ``<idc>_l`` or ``<idc>_r`` among ``ids`` (a small set: broadcast);
    ``inside`` False: the other pairs."""
    hit = F.broadcast(ids.select(idc).distinct().withColumn("_hit", F.lit(True)))
    either = F.col("_hit_l").isNotNull() | F.col("_hit_r").isNotNull()
    return (
        pairs.join(hit.toDF(f"{idc}_l", "_hit_l"), f"{idc}_l", "left")
        .join(hit.toDF(f"{idc}_r", "_hit_r"), f"{idc}_r", "left")
        .where(either if inside else ~either)
        .drop("_hit_l", "_hit_r")
    )
