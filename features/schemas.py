"""Table contracts: one StructType constant per table, in one place.

Output tables are read by JVM jobs (Scala/Scio, BigQuery): snake_case names and
plain types only (string, long, double, boolean, timestamp, date, array<string>,
struct). A change to an output contract is a versioned, documented event: bump
``CONTRACT_VERSION`` and say what changed in the README.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DateType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

CONTRACT_VERSION = "1"


def _f(name: str, dtype, nullable: bool = True) -> StructField:
    return StructField(name, dtype, nullable)


_S = StringType()
_L = LongType()
_D = DoubleType()
_ARR = ArrayType(StringType(), True)

# --- inputs -----------------------------------------------------------------

TRACK_INPUT = StructType(
    [
        _f("track_id", _S),  # nullable on input: a missing id is quarantined
        _f("source", _S),
        _f("title", _S),
        _f("artists", _ARR),
        _f("album", _S),
        _f("duration_ms", _L),
        _f("isrc", _S),
        _f("release_date", DateType()),
        _f("label", _S),
    ]
)

TRACK_GOLDEN = StructType(
    [
        _f("track_id", _S, False),
        _f("recording_id", _S, False),
        _f("work_id", _S, False),
        _f("recording_kind", _S, False),
        _f("release_kind", _S, False),
    ]
)

# --- intermediate -------------------------------------------------------------

TRACK_FEATURES = StructType(
    [
        _f("track_id", _S, False),
        _f("source", _S),
        _f("title", _S),
        _f("title_norm", _S),
        _f("core_title", _S),
        _f("core_title_key", _S),
        _f("version_type", _S),
        _f("version_detail", _S),
        _f("artists_norm", _ARR),
        _f("artist_keys", _ARR),
        _f("primary_artist", _S),
        _f("primary_artist_key", _S),
        _f("primary_artist_phonetic", _S),
        _f("featured_artists", _ARR),
        _f("album_norm", _S),
        _f("duration_s", _D),
        _f("duration_bucket", _L),
        _f("isrc", _S),
        _f("isrc_country", _S),
        _f("isrc_registrant", _S),
        _f("isrc_year", IntegerType()),
        _f("release_year", IntegerType()),
    ]
)

QUARANTINE = StructType(
    [
        _f("entity_type", _S, False),
        _f("record_id", _S),
        _f("field", _S, False),
        _f("reason", _S, False),
        _f("action", _S, False),
        _f("raw_value", _S),
        _f("run_id", _S, False),
        _f("quarantined_at", TimestampType(), False),
    ]
)

# --- outputs ------------------------------------------------------------------

COMPARISON_LEVEL = StructType(
    [
        _f("comparison", _S, False),
        _f("level", IntegerType(), False),
        _f("match_weight", _D),
    ]
)


def pairs_schema(id_column: str) -> StructType:
    """Scored candidate pairs of one entity type (``<id>_l`` < ``<id>_r``)."""
    return StructType(
        [
            _f(f"{id_column}_l", _S, False),
            _f(f"{id_column}_r", _S, False),
            _f("match_weight", _D, False),
            _f("match_probability", _D, False),
            _f("comparison_levels", ArrayType(COMPARISON_LEVEL, False), False),
            _f("above_threshold", BooleanType(), False),
            _f("run_id", _S, False),
            _f("model_version", _S, False),
        ]
    )


def groups_schema(id_column: str, group_column: str) -> StructType:
    """One row per resolved record with its stable group id."""
    return StructType(
        [
            _f(id_column, _S, False),
            _f(group_column, _S, False),
            _f("group_size", _L, False),
            _f(f"representative_{id_column}", _S, False),
            _f("run_id", _S, False),
            _f("model_version", _S, False),
        ]
    )


RECORDING_PAIRS = pairs_schema("track_id")
RECORDING_GROUPS = groups_schema("track_id", "recording_group_id")

EVALUATION = StructType(
    [
        _f("entity_type", _S, False),
        _f("metric", _S, False),
        _f("value", _D),
        _f("threshold", _D, False),
        _f("run_id", _S, False),
        _f("model_version", _S, False),
        _f("evaluated_at", TimestampType(), False),
    ]
)


@dataclass(frozen=True)
class EntityContracts:
    """The table contracts that make up one entity type."""

    input: StructType
    features: StructType
    pairs: StructType
    groups: StructType
    golden: StructType | None


ENTITY_CONTRACTS: dict[str, EntityContracts] = {
    "recordings": EntityContracts(
        input=TRACK_INPUT,
        features=TRACK_FEATURES,
        pairs=RECORDING_PAIRS,
        groups=RECORDING_GROUPS,
        golden=TRACK_GOLDEN,
    ),
}
