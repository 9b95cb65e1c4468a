"""Blocking rules read pair by pair agree with Splink's own blocking, exploded arrays included."""

from __future__ import annotations

import itertools

import pytest
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

from features.errors import ResolutionError
from splink_models import spark_backend
from splink_models.model import TrainedModel
from splink_models.spark_backend import pair_rule_sql

ROWS = [
    # id, tags, codes, year
    ("r1", ["a", "b"], ["x"], 2001),
    ("r2", ["b", "c"], ["y"], 2002),
    ("r3", ["d"], ["x", "z"], 2001),
    ("r4", [], ["z"], 2001),
    ("r5", None, None, 2001),
    ("r6", ["a", None], [None], 2003),
    ("r7", ["e"], ["z", "x"], 2002),
]
SCHEMA = "id string, tags array<string>, codes array<string>, year int"


def _model(spark) -> TrainedModel:
    """A model with two exploding rules; its m and u are Splink's defaults (no training)."""
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="id",
        comparisons=[cl.ExactMatch("year")],
        blocking_rules_to_generate_predictions=[
            block_on("tags", arrays_to_explode=["tags"]),
            block_on("codes", "year", arrays_to_explode=["codes"]),
        ],
    )
    frame = spark.createDataFrame(ROWS, SCHEMA)
    settings_json = spark_backend.linker(spark, frame, settings).misc.save_model_to_json()
    return TrainedModel.from_settings("rules", settings_json)


def test_an_exploded_equality_is_an_element_in_common():
    rule = {"blocking_rule": "l.`iswcs` = r.`iswcs`", "arrays_to_explode": ["iswcs"]}
    assert pair_rule_sql(rule) == "arrays_overlap(l.`iswcs`, r.`iswcs`)"
    two = {"blocking_rule": "l.a = r.a AND l.`year` = r.`year`", "arrays_to_explode": ["a"]}
    assert pair_rule_sql(two) == "arrays_overlap(l.`a`, r.`a`) AND l.`year` = r.`year`"
    assert pair_rule_sql("l.isrc = r.isrc") == "l.isrc = r.isrc"


@pytest.mark.parametrize(
    "sql, exploded",
    [
        ("l.`a` = r.`b`", ["a", "b"]),  # two arrays' elements against each other
        ("size(l.a) > 1 AND l.a = r.a", ["a"]),
        ("l.a = r.a OR l.ab = r.a", ["a"]),
    ],
)
def test_any_other_use_of_an_exploded_column_is_refused(sql, exploded):
    with pytest.raises(ResolutionError, match="can be read as a condition on one pair"):
        pair_rule_sql({"blocking_rule": sql, "arrays_to_explode": exploded})


def test_pairs_generated_agree_with_splinks_blocking_on_exploded_arrays(spark):
    features = spark.createDataFrame(ROWS, SCHEMA)
    model = _model(spark)
    by_splink = {
        frozenset((r["id_l"], r["id_r"]))
        for r in spark_backend.predict(spark, features, model).select("id_l", "id_r").collect()
    }
    ids = [r[0] for r in ROWS]
    pairs = spark.createDataFrame(list(itertools.combinations(ids, 2)), "id_l string, id_r string")
    judged = spark_backend.blocking_generates(features, model, pairs).collect()
    by_rule = {frozenset((r["id_l"], r["id_r"])) for r in judged if r["generated"]}
    # r1-r2 share "b", r1-r6 "a"; r1-r3 and r3-r4 share a code and a year; r1-r7,
    # r3-r7 and r4-r7 share a code in different years; r4 (no tags) and r5 (none) no tag
    expected = [("r1", "r2"), ("r1", "r6"), ("r1", "r3"), ("r3", "r4")]
    assert by_rule == by_splink == {frozenset(p) for p in expected}
