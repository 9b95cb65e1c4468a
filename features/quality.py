"""Bad input: find it, set it aside with a reason, never drop it silently.

``split_bad_input`` takes an input table and returns the records that go on
(with unusable field values nulled) and quarantine rows that say what was
wrong with which record and field, and what was done about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from features.schemas import QUARANTINE

RECORD_EXCLUDED = "record_excluded"
VALUE_NULLED = "value_nulled"
CORRUPT_RECORD_COLUMN = "_corrupt_record"


@dataclass(frozen=True)
class FieldRule:
    """A field whose bad values are nulled (the record still takes part)."""

    field: str
    is_bad: Column
    reason: str


@dataclass(frozen=True)
class RecordRule:
    """A condition under which a record cannot take part at all."""

    field: str
    is_bad: Column
    reason: str


def split_bad_input(
    df: DataFrame,
    *,
    entity_type: str,
    id_column: str,
    run_id: str,
    record_rules: Sequence[RecordRule],
    field_rules: Sequence[FieldRule],
) -> tuple[DataFrame, DataFrame]:
    """Return (usable records, quarantine rows) for one input table.

    Order of checks: unparseable rows, missing ids, duplicate ids (the first row
    in a deterministic content order is kept), record rules, then field rules.
    """
    has_corrupt = CORRUPT_RECORD_COLUMN in df.columns
    corrupt = F.col(CORRUPT_RECORD_COLUMN).isNotNull() if has_corrupt else F.lit(False)
    raw_row = F.to_json(F.struct(*[F.col(c) for c in df.columns if c != CORRUPT_RECORD_COLUMN]))
    content_order = Window.partitionBy(id_column).orderBy(raw_row)
    missing_id = F.col(id_column).isNull() | (F.length(F.trim(F.col(id_column))) == 0)

    checks: list[tuple[str, Column, str, Column]] = [
        (
            "_row",
            corrupt,
            "unparseable row",
            F.col(CORRUPT_RECORD_COLUMN) if has_corrupt else raw_row,
        ),
        (id_column, ~corrupt & missing_id, f"missing {id_column}", raw_row),
        (
            id_column,
            ~corrupt & ~missing_id & (F.col("_dup_rank") > 1),
            F.concat(
                F.lit(f"duplicate {id_column}: "),
                F.col("_dup_count").cast("string"),
                F.lit(" rows share it, the first in content order is kept"),
            ),
            raw_row,
        ),
    ]
    flagged = df.withColumn("_dup_rank", F.row_number().over(content_order)).withColumn(
        "_dup_count", F.count(F.lit(1)).over(Window.partitionBy(id_column))
    )
    excluded_so_far = F.lit(False)
    quarantine_parts: list[DataFrame] = []
    for field, cond, reason, raw in checks:
        quarantine_parts.append(
            _quarantine_rows(
                flagged.where(cond),
                entity_type,
                id_column,
                field,
                reason,
                raw,
                RECORD_EXCLUDED,
                run_id,
            )
        )
        excluded_so_far = excluded_so_far | cond
    for rule in record_rules:
        cond = ~excluded_so_far & F.coalesce(rule.is_bad, F.lit(False))
        quarantine_parts.append(
            _quarantine_rows(
                flagged.where(cond),
                entity_type,
                id_column,
                rule.field,
                F.lit(rule.reason),
                F.col(rule.field).cast("string"),
                RECORD_EXCLUDED,
                run_id,
            )
        )
        excluded_so_far = excluded_so_far | cond
    kept = flagged.where(~excluded_so_far)
    for rule in field_rules:
        cond = F.coalesce(rule.is_bad, F.lit(False))
        quarantine_parts.append(
            _quarantine_rows(
                kept.where(cond),
                entity_type,
                id_column,
                rule.field,
                F.lit(rule.reason),
                F.col(rule.field).cast("string"),
                VALUE_NULLED,
                run_id,
            )
        )
    for rule in field_rules:
        kept = kept.withColumn(
            rule.field, F.when(~F.coalesce(rule.is_bad, F.lit(False)), F.col(rule.field))
        )
    drop = ["_dup_rank", "_dup_count"] + ([CORRUPT_RECORD_COLUMN] if has_corrupt else [])
    quarantine = quarantine_parts[0]
    for part in quarantine_parts[1:]:
        quarantine = quarantine.unionByName(part)
    return kept.drop(*drop), quarantine


def _quarantine_rows(
    rows: DataFrame,
    entity_type: str,
    id_column: str,
    field: str,
    reason: Column | str,
    raw_value: Column,
    action: str,
    run_id: str,
) -> DataFrame:
    reason_col = F.lit(reason) if isinstance(reason, str) else reason
    return rows.select(
        F.lit(entity_type).alias("entity_type"),
        F.col(id_column).cast("string").alias("record_id"),
        F.lit(field).alias("field"),
        reason_col.alias("reason"),
        F.lit(action).alias("action"),
        raw_value.cast("string").alias("raw_value"),
        F.lit(run_id).alias("run_id"),
        F.current_timestamp().alias("quarantined_at"),
    ).select(*[f.name for f in QUARANTINE.fields])


def track_rules() -> tuple[list[RecordRule], list[FieldRule]]:
    """What makes a track unusable, and which of its values are nulled."""
    from features.tracks import duration_is_invalid, isrc_is_invalid

    title_blank = F.col("title").isNull() | (F.length(F.trim(F.col("title"))) == 0)
    return (
        [RecordRule("title", title_blank, "null or empty title: nothing to match on")],
        [
            FieldRule(
                "isrc",
                isrc_is_invalid(F.col("isrc")),
                "invalid ISRC (expected CC-XXX-YY-NNNNN: 2 letters, 3 alphanumerics, 7 digits)",
            ),
            FieldRule(
                "duration_ms",
                duration_is_invalid(F.col("duration_ms")),
                "duration not positive or over 4 hours",
            ),
        ],
    )
