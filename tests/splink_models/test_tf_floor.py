""" "Same title and artist" weighs no more in a big catalog than in a 20k one.

Two records with one title, scored in catalogs of 2k, 20k and 200k records
(every other record: its own title and artist). Splink's term-frequency
adjustment makes a shared value weigh log2(m / tf) with tf = 2 / n: it grows
with the catalog. Right for one field alone (the prior falls as much), not
for title and artist together: their non-matches, a song's other versions,
do not get fewer. The recordings model floors tf at TF_MINIMUM_U where the
artist agrees (for the title, where the artist agrees too), which a catalog
of up to 20k records never reaches.
"""

from __future__ import annotations

import math

import pandas as pd
import pyarrow as pa
import pytest
from pyspark.sql.pandas.types import to_arrow_schema
from splink import Linker

from features.schemas import TRACK_FEATURES
from splink_models.duckdb_backend import quiet_duckdb_api
from splink_models.recordings.settings import TF_MINIMUM_U, settings

SIZES = (2_000, 20_000, 200_000)


def pair_weights(n_records: int, *, with_artist: bool) -> dict[str, float]:
    """Bits the title and artists comparisons give the pair (Splink's default m and u:
    the test compares catalogs, not values)."""
    others = range(n_records - 2)
    frame = pd.DataFrame({f.name: [None] * n_records for f in TRACK_FEATURES.fields})
    frame["track_id"] = [f"T{i}" for i in range(n_records)]
    frame["source"] = "test"
    frame["core_title"] = ["some song"] * 2 + [f"other song {i}" for i in others]
    # blocking pairs the two on title key + artist, or on the title's first words when
    # they have no artist; every other record has keys of its own
    frame["core_title_key"] = ["somesong"] * 2 + [f"othersong{i}" for i in others]
    frame["title_head_key"] = ["somesong"] * 2 + [f"othersong{i}" for i in others]
    artists = ["sharedartist"] * 2 if with_artist else [None, None]
    keys = artists + [f"other{i}" for i in others]
    frame["primary_artist_key"] = keys
    frame["primary_artist"] = keys
    frame["artist_keys"] = [[k] if k else None for k in keys]
    table = pa.Table.from_pandas(
        frame, schema=to_arrow_schema(TRACK_FEATURES), preserve_index=False
    )
    linker = Linker(quiet_duckdb_api().register(table), settings(), log_level=None)
    pairs = linker.inference.predict().as_pandas_dataframe()
    assert len(pairs) == 1  # only the two records meet
    row = pairs.iloc[0]
    return {c: row[f"mw_{c}"] + row.get(f"mw_tf_adj_{c}", 0.0) for c in ("core_title", "artists")}


def test_title_and_artist_stop_gaining_weight_past_the_floor_where_both_agree():
    at_2k, at_20k, at_200k = (pair_weights(n, with_artist=True) for n in SIZES)
    assert TF_MINIMUM_U == 2 / 20_000
    for comparison in ("core_title", "artists"):
        # up to 20k records the adjustment works as Splink's: tf 1e-3 -> 1e-4, log2(10) bits
        assert at_20k[comparison] - at_2k[comparison] == pytest.approx(math.log2(10), abs=1e-6)
        # tf 1e-5 would add log2(10) bits again; the floor holds the weight at 20k's
        assert at_200k[comparison] == pytest.approx(at_20k[comparison], abs=1e-6)


def test_a_title_shared_without_an_artist_keeps_its_full_adjustment():
    at_20k, at_200k = (pair_weights(n, with_artist=False) for n in SIZES[1:])
    assert at_200k["artists"] == at_20k["artists"] == 0.0  # null level: no artist
    assert at_200k["core_title"] - at_20k["core_title"] == pytest.approx(math.log2(10), abs=1e-6)
