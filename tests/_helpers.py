"""Table-driven checks of Column functions: one Spark job per table, not per row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from chispa import assert_column_equality
from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F


def check_column_function(
    spark: SparkSession,
    fn: Callable[..., Column],
    rows: Sequence[tuple[Any, ...]],
    schema: str = "value string, expected string",
) -> None:
    """Apply ``fn`` to every input column but the last; compare with the last (expected)."""
    df = spark.createDataFrame(rows, schema)
    inputs = [F.col(c) for c in df.columns[:-1]]
    df = df.withColumn("actual", fn(*inputs))
    assert_column_equality(df, "actual", df.columns[-2])
