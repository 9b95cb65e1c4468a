"""Bad input: find it, set it aside with a reason, never drop it silently.

``split_bad_input`` takes an input table and returns the records that go on
(with unusable field values nulled) and quarantine rows that say what was
wrong with which record and field, and what was done about it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from features.identifiers import (
    ipi_check_ok,
    isni_check_ok,
    iswc_check_digit_ok,
    normalize_ipi,
    normalize_isni,
    normalize_iswc,
)
from features.schemas import QUARANTINE

RECORD_EXCLUDED = "record_excluded"
VALUE_NULLED = "value_nulled"
RECORD_FLAGGED = "record_flagged"  # kept as read, with a caveat a person may want to check
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
    in a deterministic content order is kept), record rules, then field rules;
    a record excluded by one check is not reported again by later ones. Every
    problem of a row is gathered into one array column in a single pass, so
    the duplicate-id window is computed once for both outputs.
    """
    has_corrupt = CORRUPT_RECORD_COLUMN in df.columns
    corrupt = F.col(CORRUPT_RECORD_COLUMN).isNotNull() if has_corrupt else F.lit(False)
    raw_row = F.to_json(F.struct(*[F.col(c) for c in df.columns if c != CORRUPT_RECORD_COLUMN]))
    # among rows sharing an id, keep a usable one: rows failing a record rule rank last
    unusable = F.lit(False)
    for rule in record_rules:
        unusable = unusable | F.coalesce(rule.is_bad, F.lit(False))
    content_order = Window.partitionBy(id_column).orderBy(unusable.cast("int"), raw_row)
    missing_id = is_blank(id_column)
    duplicate = F.col("_dup_rank") > 1
    duplicate_reason = F.concat(
        F.lit(f"duplicate {id_column}: "),
        F.col("_dup_count").cast("string"),
        F.lit(" rows share it, the first usable one in content order is kept"),
    )

    record_checks: list[tuple[str, Column, Column, Column]] = [
        (
            "_row",
            corrupt,
            F.lit("unparseable row"),
            F.col(CORRUPT_RECORD_COLUMN) if has_corrupt else raw_row,
        ),
        (id_column, missing_id, F.lit(f"missing {id_column}"), raw_row),
        (id_column, duplicate, duplicate_reason, raw_row),
    ] + [
        (
            r.field,
            F.coalesce(r.is_bad, F.lit(False)),
            F.lit(r.reason),
            F.col(r.field).cast("string"),
        )
        for r in record_rules
    ]
    problems: list[Column] = []
    excluded = F.lit(False)
    for field, cond, reason, raw in record_checks:
        problems.append(_problem(~excluded & cond, field, reason, raw, RECORD_EXCLUDED))
        excluded = excluded | cond
    for rule in field_rules:
        problems.append(
            _problem(
                ~excluded & F.coalesce(rule.is_bad, F.lit(False)),
                rule.field,
                F.lit(rule.reason),
                F.col(rule.field).cast("string"),
                VALUE_NULLED,
            )
        )
    flagged = (
        df.withColumn("_dup_rank", F.row_number().over(content_order))
        .withColumn("_dup_count", F.count(F.lit(1)).over(Window.partitionBy(id_column)))
        .withColumn("_problems", F.filter(F.array(*problems), lambda p: p.isNotNull()))
        .localCheckpoint()
    )
    quarantine = flagged.select(
        F.col(id_column).cast("string").alias("record_id"), F.explode("_problems").alias("p")
    ).select(
        F.lit(entity_type).alias("entity_type"),
        "record_id",
        F.col("p.field").alias("field"),
        F.col("p.reason").alias("reason"),
        F.col("p.action").alias("action"),
        F.col("p.raw_value").alias("raw_value"),
        F.lit(None).cast("string").alias("location"),
        F.lit(run_id).alias("run_id"),
        F.current_timestamp().alias("quarantined_at"),
    )
    kept = flagged.where(~F.exists("_problems", lambda p: p["action"] == RECORD_EXCLUDED))
    for rule in field_rules:
        kept = kept.withColumn(rule.field, F.when(~_was_nulled(rule.field), F.col(rule.field)))
    drop = ["_dup_rank", "_dup_count", "_problems"] + (
        [CORRUPT_RECORD_COLUMN] if has_corrupt else []
    )
    return kept.drop(*drop), quarantine.select(*[f.name for f in QUARANTINE.fields])


def _was_nulled(field: str) -> Column:
    return F.exists("_problems", lambda p: (p["field"] == field) & (p["action"] == VALUE_NULLED))


def _problem(cond: Column, field: str, reason: Column, raw: Column, action: str) -> Column:
    return F.when(
        cond,
        F.struct(
            F.lit(field).alias("field"),
            reason.alias("reason"),
            F.lit(action).alias("action"),
            raw.cast("string").alias("raw_value"),
        ),
    )


def is_blank(column: str) -> Column:
    """The column is null, empty or only whitespace."""
    return F.col(column).isNull() | (F.length(F.trim(F.col(column))) == 0)


def title_required() -> RecordRule:
    """A record without a title has nothing to match on: every entity's first record rule."""
    return RecordRule("title", is_blank("title"), "null or empty title: nothing to match on")


def _identifier_rules(
    column: str,
    normalize: Callable[[Column], Column],
    check_ok: Callable[[Column], Column],
    shape: str,
    check: str,
) -> list[FieldRule]:
    """A present identifier of the wrong shape, or whose check fails, is nulled (two reasons)."""
    raw = F.col(column)
    present = F.coalesce(F.length(F.trim(raw)) > 0, F.lit(False))
    normalized = normalize(raw)
    return [
        FieldRule(column, present & normalized.isNull(), shape),
        FieldRule(column, F.coalesce(~check_ok(normalized), F.lit(False)), check),
    ]


def iswc_rules(column: str = "iswc") -> list[FieldRule]:
    """A present ISWC of the wrong shape, or with a wrong check digit, is nulled (two reasons)."""
    return _identifier_rules(
        column,
        normalize_iswc,
        iswc_check_digit_ok,
        "invalid ISWC (expected T-DDD.DDD.DDD-C)",
        "invalid ISWC: the check digit does not match its nine digits",
    )


def ipi_rules(column: str = "ipi") -> list[FieldRule]:
    """A present IPI name number of the wrong shape, or failing its mod-101 check, is nulled."""
    return _identifier_rules(
        column,
        normalize_ipi,
        ipi_check_ok,
        "invalid IPI name number (expected up to 11 digits)",
        "invalid IPI name number: its last two digits are not the mod-101 check of the nine",
    )


def isni_rules(column: str = "isni") -> list[FieldRule]:
    """A present ISNI of the wrong shape, or failing its MOD 11-2 check, is nulled."""
    return _identifier_rules(
        column,
        normalize_isni,
        isni_check_ok,
        "invalid ISNI (expected 16 characters: 15 digits and a check digit or X)",
        "invalid ISNI: the last character is not the MOD 11-2 check of the fifteen digits",
    )
