"""Delta I/O: read and write tables, each write one atomic commit, validated against its contract."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from features.errors import ResolutionError
from features.schemas import validate_schema


def table_exists(spark: SparkSession, path: str) -> bool:
    from delta.tables import DeltaTable

    return DeltaTable.isDeltaTable(spark, path)


def read_table(spark: SparkSession, path: str, contract: StructType | None = None) -> DataFrame:
    """Read a Delta table; with a contract, validate it and fail naming what differs."""
    from delta.tables import DeltaTable

    if not DeltaTable.isDeltaTable(spark, path):
        raise ResolutionError(
            f"no Delta table at {path}: run the job that writes it first (see README, 'The jobs')"
        )
    df = spark.read.format("delta").load(path)
    return validate_schema(df, contract, path) if contract is not None else df


def write_table(
    df: DataFrame,
    path: str,
    contract: StructType | None = None,
    *,
    mode: str = "overwrite",
    partition_by: Sequence[str] = (),
    replace_where: str | None = None,
) -> None:
    """Write a Delta table atomically (one Delta commit), validated against its contract.

    Overwrite replaces the schema too, so a contract change is visible in the
    table's history rather than failing half way. ``replace_where`` overwrites
    only the rows matching a predicate (e.g. one entity's, or one run's), so
    tables shared by several writers stay idempotent under reruns.
    """
    from delta.tables import DeltaTable

    if contract is not None:
        df = validate_schema(df, contract, path)
    writer = df.write.format("delta").mode(mode)
    if replace_where and DeltaTable.isDeltaTable(df.sparkSession, path):
        # a contract that gained a nullable column adds it to a table shared by writers
        writer = writer.option("replaceWhere", replace_where).option("mergeSchema", "true")
    elif mode == "overwrite":
        writer = writer.option("overwriteSchema", "true")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(path)



def merge_changes(
    path: str,
    contract: StructType,
    *,
    keys: Sequence[str],
    upserts: DataFrame,
    deletes: DataFrame | None = None,
    scope: str | None = None,
    insert_only: bool = False,
    compare: Sequence[str] = (),
    user_metadata: str | None = None,
) -> None:
    """Apply row changes to a Delta table in one MERGE commit.

    ``upserts`` (in ``contract``) replace the rows with their ``keys`` or are
    inserted; the rows whose keys ``deletes`` lists (and no upsert) are
    removed. ``scope`` (SQL on the target as ``t``) limits which rows a key
    matches. ``insert_only``: upserts never replace (a table whose key is not
    unique, e.g. the quarantine: delete by key, then add the new rows). With
    ``compare``, a matched row is replaced only when one of those columns
    differs (its run id stays that of the run that last changed it).
    ``user_metadata`` goes into the commit's info. A MERGE
    rather than an overwrite, so the change feed shows only what changed.
    """
    from delta.tables import DeltaTable

    spark = upserts.sparkSession
    upserts = validate_schema(upserts, contract, path)
    columns = [f.name for f in contract.fields]
    source = upserts.select(*columns, F.lit(False).alias("_delete"))
    if deletes is not None:
        gone = deletes.select(*keys).distinct()
        if not insert_only:
            gone = gone.join(upserts.select(*keys), list(keys), "left_anti")
        source = source.unionByName(
            gone.select(
                *[
                    F.col(c) if c in keys else F.lit(None).cast(contract[c].dataType).alias(c)
                    for c in columns
                ],
                F.lit(True).alias("_delete"),
            )
        )
    on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
    if scope:
        on = f"{on} AND ({scope})"
    if insert_only:
        on = f"{on} AND s._delete"
    values = {f"`{c}`": f"s.`{c}`" for c in columns}
    update = "NOT s._delete"
    if compare:
        update += " AND NOT (" + " AND ".join(f"t.`{c}` <=> s.`{c}`" for c in compare) + ")"
    key = "spark.databricks.delta.commitInfo.userMetadata"
    if user_metadata is not None:
        spark.conf.set(key, user_metadata)
    try:
        (
            DeltaTable.forPath(spark, path)
            .alias("t")
            .merge(source.alias("s"), on)
            .whenMatchedDelete(condition="s._delete")
            .whenMatchedUpdate(condition=update, set=values)
            .whenNotMatchedInsert(condition="NOT s._delete", values=values)
            .execute()
        )
    finally:
        if user_metadata is not None:
            spark.conf.unset(key)
