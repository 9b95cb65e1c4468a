"""Bad input: every kind is either excluded or nulled, with a quarantine row; nothing vanishes."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from features.quality import RECORD_EXCLUDED, VALUE_NULLED, split_bad_input
from features.schemas import QUARANTINE, TRACK_INPUT
from features.tracks import track_rules


def _tracks(spark):
    rows = [
        (
            "ok",
            "s",
            "Hey Jude",
            ["The Beatles"],
            None,
            431000,
            "GBAYE6800531",
            dt.date(1968, 8, 26),
            None,
            None,
            "T-034.524.680-1",
        ),
        ("null_title", "s", None, ["A"], None, 200000, None, None, None, None, None),
        ("blank_title", "s", "   ", ["A"], None, 200000, None, None, None, None, None),
        ("bad_isrc", "s", "Song", ["A"], None, 200000, "US-12-34", None, None, None, None),
        ("neg_duration", "s", "Song", ["A"], None, -1000, None, None, None, None, None),
        ("huge_duration", "s", "Song", ["A"], None, 99 * 3600 * 1000, None, None, None, None, None),
        ("dup", "s", "First", ["A"], None, 200000, None, None, None, None, None),
        ("dup", "s", "Second", ["A"], None, 200000, None, None, None, None, None),
        ("dup2", "s", " ", ["A"], None, 200000, None, None, None, None, None),
        ("dup2", "s", "Usable", ["A"], None, 200000, None, None, None, None, None),
        (None, "s", "No id", ["A"], None, 200000, None, None, None, None, None),
        ("", "s", "Empty id", ["A"], None, 200000, None, None, None, None, None),
        ("iswc_shape", "s", "Song", ["A"], None, 200000, None, None, None, None, "T-12.34"),
        # T-034.524.680-1 with a slipped check digit
        ("iswc_check", "s", "Song", ["A"], None, 200000, None, None, None, None, "T0345246802"),
    ]
    return spark.createDataFrame(rows, TRACK_INPUT)


def test_every_bad_input_kind_is_quarantined_with_its_field_and_reason(spark):
    record_rules, field_rules = track_rules()
    kept, quarantine = split_bad_input(
        _tracks(spark),
        entity_type="recordings",
        id_column="track_id",
        run_id="r1",
        record_rules=record_rules,
        field_rules=field_rules,
    )
    assert [f.name for f in quarantine.schema.fields] == [f.name for f in QUARANTINE.fields]
    q = {(r.record_id, r.field, r.action) for r in quarantine.collect()}
    assert q == {
        ("null_title", "title", RECORD_EXCLUDED),
        ("blank_title", "title", RECORD_EXCLUDED),
        ("bad_isrc", "isrc", VALUE_NULLED),
        ("neg_duration", "duration_ms", VALUE_NULLED),
        ("huge_duration", "duration_ms", VALUE_NULLED),
        ("dup", "track_id", RECORD_EXCLUDED),
        ("dup2", "track_id", RECORD_EXCLUDED),
        (None, "track_id", RECORD_EXCLUDED),
        ("", "track_id", RECORD_EXCLUDED),
        ("iswc_shape", "iswc", VALUE_NULLED),
        ("iswc_check", "iswc", VALUE_NULLED),
    }
    kept_rows = {r.track_id: r for r in kept.collect()}
    assert set(kept_rows) == {
        "ok", "bad_isrc", "neg_duration", "huge_duration", "dup", "dup2", "iswc_shape", "iswc_check"
    }
    # no row vanishes: every input row is kept or excluded with a reason
    excluded = quarantine.where(F.col("action") == RECORD_EXCLUDED).count()
    assert len(kept_rows) + excluded == 14
    assert kept_rows["ok"].iswc == "T-034.524.680-1"  # valid: kept as written
    assert kept_rows["iswc_check"].iswc is None
    assert kept_rows["bad_isrc"].isrc is None and kept_rows["neg_duration"].duration_ms is None
    assert kept_rows["ok"].isrc == "GBAYE6800531"
    # the duplicate that is kept is the first in content order, whatever the input order
    assert kept_rows["dup"].title == "First"
    # ... and a blank-titled copy never wins over a usable one
    assert kept_rows["dup2"].title == "Usable"
    reasons = {r.record_id: r.reason for r in quarantine.collect()}
    assert "CC-XXX-YY-NNNNN" in reasons["bad_isrc"]
    assert "T-DDD.DDD.DDD-C" in reasons["iswc_shape"]
    assert "check digit" in reasons["iswc_check"]


def test_unparseable_rows_are_quarantined_with_the_raw_text(spark, tmp_path):
    path = tmp_path / "tracks.json"
    path.write_text(
        '{"track_id": "a", "title": "Fine", "artists": ["X"], "duration_ms": 1000}\n'
        '{"track_id": "b", "title": "Broken", "artists": ["X"], "duration_ms": \n'
        '{"track_id": "c", "title": "Also fine", "artists": ["Y"], "duration_ms": 2000}\n'
    )
    # StructType.add mutates in place: build a new schema, never touch the contract
    schema = StructType([*TRACK_INPUT.fields, StructField("_corrupt_record", StringType())])
    raw = spark.read.schema(schema).option("mode", "PERMISSIVE").json(str(path)).cache()
    record_rules, field_rules = track_rules()
    kept, quarantine = split_bad_input(
        raw,
        entity_type="recordings",
        id_column="track_id",
        run_id="r1",
        record_rules=record_rules,
        field_rules=field_rules,
    )
    assert sorted(r.track_id for r in kept.collect()) == ["a", "c"]
    (bad,) = quarantine.collect()
    assert bad.field == "_row" and bad.reason == "unparseable row" and "Broken" in bad.raw_value
    assert "_corrupt_record" not in kept.columns
