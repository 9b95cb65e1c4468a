"""Delta I/O: read and write tables, each write one atomic commit, validated against its contract."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
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

