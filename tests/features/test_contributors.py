"""Contributor features: name variants, records per name and neighbourhood, their evidence."""

from __future__ import annotations

from pyspark.sql import functions as F

from features.contributors import (
    artist_credit_id,
    build_contributor_features,
    contributor_rows,
    contributor_rules,
    normalize_person,
)
from features.quality import RECORD_EXCLUDED, VALUE_NULLED, split_bad_input
from features.schemas import CONTRIBUTOR_INPUT, TRACK_CREDITS
from tests._helpers import check_column_function


def test_normalize_person_variants(spark):
    check_column_function(
        spark,
        normalize_person,
        [
            ("Max Martin", "max martin"),
            ("Martin, Max", "max martin"),  # inverted
            ("  MARTIN,MAX ", "max martin"),
            ("M. Martin", "m martin"),  # an initial stays an initial
            ("Max Martin (SE)", "max martin"),  # a country suffix
            ("Tommy Dorsey & His Orchestra", "tommy dorsey"),
            ("Beatles, The", "beatles"),  # a band's "The" is not a first name
            ("The Beatles", "beatles"),
            ("Björn Ulvaeus", "bjorn ulvaeus"),  # diacritics
            ("Иван Петров", "ivan petrov"),  # Cyrillic, transliterated
            ("Petrov, Ivan", "ivan petrov"),
            ("  ", None),
            (None, None),
        ],
    )


def _features(spark, rows):
    df = spark.createDataFrame(
        [
            (rid, name, ipi, isni, "n1", roles, None, co, None, None, [rid], 1)
            for rid, name, ipi, isni, roles, co in rows
        ],
        CONTRIBUTOR_INPUT,
    )
    return {r["contributor_record_id"]: r for r in build_contributor_features(df).collect()}


def test_keys_meet_across_name_variants(spark):
    f = _features(
        spark,
        [
            ("a", "Max Martin", "00052210040", None, ["producer"], ["x"]),
            ("b", "Martin, Max", None, None, ["writer"], []),
            ("c", "M. Martin", None, "0000 0002 1694 233X", ["composer"], None),
            ("d", "Martin Max", "00052210041", "0000000218250098", ["main artist"], None),
            ("e", "Karl Sandberg", "00052210040", None, ["writer"], None),  # legal name
        ],
    )
    assert f["a"]["name_key"] == f["b"]["name_key"] == "maxmartin"
    assert f["a"]["sorted_name_key"] == f["d"]["sorted_name_key"]  # any word order
    assert f["a"]["initial_key"] == f["c"]["initial_key"] == "mmartin"
    assert f["e"]["ipi"] == f["a"]["ipi"] == "00052210040"  # the only link of a legal name
    assert f["c"]["isni"] == "000000021694233X"
    assert f["d"]["ipi"] is None and f["d"]["isni"] is None  # checks fail: not compared
    assert f["a"]["role_classes"] == ["production"]
    assert f["d"]["role_classes"] == ["performance"]
    assert f["a"]["co_credit_keys"] == ["x"]
    assert f["b"]["co_credit_keys"] is None  # credited alone: the comparison's null level


def _tracks(spark):
    features = spark.createDataFrame(
        [
            ("T1", ["max martin", "pusher"], "maxmartin", "T0345246801"),
            ("T2", ["max martin"], "maxmartin", None),
            ("T3", None, None, None),  # only "various artists": no artist credit
        ],
        "track_id string, artists_norm array<string>, primary_artist_key string, iswc string",
    )
    groups = spark.createDataFrame(
        [("T1", "rg_1"), ("T2", "rg_1"), ("T3", "rg_2")],
        "track_id string, recording_group_id string",
    )
    return features, groups


def test_records_are_names_per_neighbourhood(spark):
    features, groups = _tracks(spark)
    credits = spark.createDataFrame(
        [
            ("T1", "s", "Shellback", "Producer", "C1", None, "00052210040", None),
            ("T2", "s", "Shellback", "writer", "C2", None, "00052210040", None),
            ("T2", "s", "Shellback", "writer", None, None, None, None),  # no IPI: another record
            ("T9", "s", "Shellback", "writer", "C4", None, "00052210040", None),  # unknown track
            ("T3", "s", " ", "mixer", "C5", None, None, None),
        ],
        TRACK_CREDITS,
    )
    rows = contributor_rows(
        features, groups, id_column="track_id", group_column="recording_group_id", credits=credits
    ).collect()
    # a record: one name, its IPI and ISNI, in one role class, for one artist's tracks
    by = {(r["name"], r["ipi"], r["neighbourhood"], r["roles"][0]): r for r in rows}
    producing = by[("Shellback", "00052210040", "maxmartin", "producer")]
    assert producing["credit_ids"] == ["C1"]
    assert producing["recording_group_ids"] == ["rg_1"]
    assert producing["iswcs"] == ["T0345246801"]
    assert producing["co_credit_keys"] == ["maxmartin", "pusher"]  # never itself
    writing = by[("Shellback", "00052210040", "maxmartin", "writer")]  # the same name writing
    assert writing["credit_ids"] == ["C2"] and writing["co_credit_keys"] == ["maxmartin"]
    assert writing["iswcs"] is None or writing["iswcs"] == []
    by = {(r["name"], r["ipi"], r["neighbourhood"]): r for r in rows if r["roles"] != ["producer"]}
    unnamed = by[("Shellback", None, "maxmartin")]
    assert len(unnamed["credit_ids"]) == 1 and unnamed["credit_ids"][0].startswith("T2#")
    assert by[("Shellback", "00052210040", None)]["credit_ids"] == ["C4"]  # kept, no context
    assert by[(None, None, None)]["credit_ids"] == ["C5"]  # a blank name: the rules exclude it
    main = by[("max martin", None, "maxmartin")]
    assert main["credit_ids"] == [artist_credit_id("T1", 0), artist_credit_id("T2", 0)]
    assert main["roles"] == ["main artist"]
    assert by[("pusher", None, "maxmartin")]["roles"] == ["featured artist"]
    assert sum(r["n_credits"] for r in rows) == 5 + 3  # every credit in one record
    # the id is a hash of the record's values: the same on every run
    again = contributor_rows(
        features, groups, id_column="track_id", group_column="recording_group_id", credits=credits
    )
    assert sorted(r["contributor_record_id"] for r in rows) == sorted(
        r["contributor_record_id"] for r in again.collect()
    )


def test_rules_exclude_blank_names_and_null_bad_codes(spark):
    df = spark.createDataFrame(
        [
            ("r1", " ", None, None, "n", ["writer"], None, None, None, None, ["C1"], 1),
            (
                "r2",
                "Max Martin",
                "00052210041",
                None,
                "n",
                ["writer"],
                None,
                None,
                None,
                None,
                ["C2"],
                1,
            ),
            (
                "r3",
                "Max Martin",
                None,
                "0000000218250098",
                "n",
                ["writer"],
                None,
                None,
                None,
                None,
                ["C3"],
                1,
            ),
        ],
        CONTRIBUTOR_INPUT,
    )
    record_rules, field_rules = contributor_rules()
    usable, quarantine = split_bad_input(
        df,
        entity_type="contributors",
        id_column="contributor_record_id",
        run_id="t",
        record_rules=record_rules,
        field_rules=field_rules,
    )
    q = {(r["record_id"], r["field"]): r for r in quarantine.collect()}
    assert q[("r1", "name")]["action"] == RECORD_EXCLUDED
    assert q[("r2", "ipi")]["action"] == VALUE_NULLED and "mod-101" in q[("r2", "ipi")]["reason"]
    assert q[("r3", "isni")]["action"] == VALUE_NULLED
    kept = {r["contributor_record_id"]: r for r in usable.collect()}
    assert set(kept) == {"r2", "r3"} and kept["r2"]["ipi"] is None
    assert usable.where(F.col("isni").isNotNull()).count() == 0
