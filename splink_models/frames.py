"""A model's input as Spark frames: one table (dedupe, or a linked catalog with a source
column), or one table per side."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

from pyspark.sql import DataFrame


def as_frames(features: DataFrame | Sequence[DataFrame]) -> list[DataFrame]:
    """One table, or one per side, as a list of tables."""
    return [features] if isinstance(features, DataFrame) else list(features)


def union_all(frames: Sequence[DataFrame]) -> DataFrame:
    """The rows of every frame in one (columns matched by name)."""
    return reduce(DataFrame.unionByName, frames)
