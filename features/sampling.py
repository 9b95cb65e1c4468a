"""Samples that keep what a model needs to see together.

A uniform sample of records breaks entities apart: with 10% of the tracks, a
recording's three releases are all present only 0.1% of the time, so the
sample has almost no matching pairs to learn or judge from. Sampling whole
blocks (every record of the chosen artists) keeps the pairs inside a block.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

BUCKETS = 10_000


def sample_blocks(
    df: DataFrame, *, key: str, fraction: float, seed: int = 0, null_key_by: str | None = None
) -> DataFrame:
    """Every row whose ``key`` falls in a ``fraction`` of the key's hash buckets.

    Deterministic for a seed. A row with a null key belongs to no block: with
    ``null_key_by`` (its id column) it is sampled on its own, in the same
    fraction, so a model still sees records that lack the key (a track without
    an artist); without it, such rows are left out. ``fraction`` >= 1 keeps
    every row, nulls included.
    """
    if fraction >= 1:
        return df
    cut = F.lit(int(BUCKETS * fraction))
    in_blocks = F.col(key).isNotNull() & (_bucket(F.col(key), seed) < cut)
    if null_key_by is None:
        return df.where(in_blocks)
    on_its_own = F.col(key).isNull() & (_bucket(F.col(null_key_by), seed) < cut)
    return df.where(in_blocks | on_its_own)


def _bucket(column: Column, seed: int) -> Column:
    return F.pmod(F.xxhash64(column, F.lit(seed)), F.lit(BUCKETS))
