"""Incremental resolution: the records a delivery can regroup, and the ones it can pair with."""

from __future__ import annotations

import math

import splink.comparison_library as cl
from splink import Linker, SettingsCreator

from splink_models.incremental import (
    blocking_key_pairs,
    blocking_partners,
    frequency_shifted_pairs,
    touched_records,
    weight_of,
)
from splink_models.spark_backend import spark_api, term_frequency_tables


def _frame(spark, rows, schema):
    return spark.createDataFrame(rows, schema)


def test_the_closure_follows_accepted_edges_both_ways_and_takes_whole_groups(spark):
    # groups: A = {a1, a2}, B = {b1, b2} (guard-split from A: an accepted edge a2-b1
    # remains between them), C = {c1}, D = {d1, d2} (no accepted edge to the rest), Z = {z1}
    groups = _frame(
        spark,
        [("a1", "A"), ("a2", "A"), ("b1", "B"), ("b2", "B"), ("c1", "C"), ("d1", "D"),
         ("d2", "D"), ("z1", "Z")],
        "node string, group string",
    )
    # the delivered record n1 links c1 and z1: ids ordered, so it is the right side of
    # one edge and the left of the other; c1 links a1 through an edge the delivery made
    accepted = _frame(
        spark,
        [("a1", "a2"), ("a2", "b1"), ("b1", "b2"), ("d1", "d2"), ("c1", "n1"), ("n1", "z1"),
         ("a1", "c1")],
        "node_l string, node_r string",
    )
    seeds = _frame(spark, [("n1",)], "node string")
    touched = {r["node"] for r in touched_records(accepted, groups, seeds).collect()}
    assert touched == {"n1", "c1", "z1", "a1", "a2", "b1", "b2"}


def test_a_seed_without_accepted_edges_touches_only_its_group(spark):
    groups = _frame(spark, [("a1", "A"), ("a2", "A"), ("b1", "B")], "node string, group string")
    accepted = _frame(spark, [("a1", "a2")], "node_l string, node_r string")
    seeds = _frame(spark, [("a2",), ("n9",)], "node string")
    touched = {r["node"] for r in touched_records(accepted, groups, seeds).collect()}
    assert touched == {"a1", "a2", "n9"}


def _rule(sql):
    return {"blocking_rule": sql, "sql_dialect": "spark"}


def test_blocking_partners_keeps_exactly_the_records_a_rule_pairs_with_a_delivered_one(spark):
    # one rule compares different columns on its two sides (a delivered record may be
    # either side), one has a condition beyond its keys, one keys on an expression
    settings = {
        "blocking_rules_to_generate_predictions": [
            _rule("l.song = r.title and l.credit = r.artist"),
            _rule("l.artist = r.artist and substr(l.title, 1, 3) = substr(r.title, 1, 3)"),
            _rule("l.isrc = r.isrc and l.artist is null"),
        ]
    }
    schema = "id string, title string, artist string, song string, credit string, isrc string"
    new = _frame(spark, [("n1", "abcdef", "x", "hello", "queen", None)], schema)
    rest = _frame(
        spark,
        [
            ("r1", "hello", "queen", None, None, None),  # new's song/credit = its title/artist
            ("r2", "abczzz", "x", None, None, None),  # same artist, same first letters
            ("r3", "abczzz", "y", None, None, None),  # other artist
            ("r4", "zzz", None, "zzz", "x", None),  # its song/credit against new's: no
            ("r5", "q", None, "abcdef", "x", None),  # its song/credit = new's title/artist
            ("r6", "q", None, None, None, None),  # null keys pair with nothing
            ("r7", "hello", "QUEEN", None, None, None),
        ],
        schema,
    )
    kept = {r["id"] for r in blocking_partners(rest, new, settings).collect()}
    # r5 pairs only with new on the right: "l.song = r.title" read the other way round
    assert kept == {"r1", "r2", "r5"}


def test_blocking_partners_declines_rules_without_keys():
    assert blocking_key_pairs({"blocking_rules_to_generate_predictions": []}) is None
    assert (
        blocking_key_pairs({"blocking_rules_to_generate_predictions": [_rule("l.a < r.a")]})
        is None
    )
    exploding = {**_rule("l.keys = r.keys"), "arrays_to_explode": ["keys"]}
    assert blocking_key_pairs({"blocking_rules_to_generate_predictions": [exploding]}) is None
    assert blocking_key_pairs(
        {"blocking_rules_to_generate_predictions": [_rule("l.a = r.b and l.c > 2")]}
    ) == [(["a"], ["b"])]


def _name_settings() -> dict:
    return (
        SettingsCreator(
            link_type="dedupe_only",
            unique_id_column_name="id",
            comparisons=[cl.ExactMatch("name").configure(term_frequency_adjustments=True)],
        )
        .get_settings("spark")
        .as_dict()
    )


def test_term_frequency_tables_hold_what_splink_computes(spark):
    # a value's rows over the non-null rows: nulls count in neither
    names = ["x", "x", "x", "y", "y", "z", None, None]
    catalog = _frame(spark, [(f"r{i}", n) for i, n in enumerate(names)], "id string, name string")
    settings = _name_settings()
    ours = {r[0]: r[1] for r in term_frequency_tables(catalog, settings)["name"].collect()}
    linker = Linker(spark_api(spark).register(catalog), settings, log_level=None)
    splinks = linker.table_management.compute_tf_table("name").as_spark_dataframe()
    assert ours == {r["name"]: r["tf_name"] for r in splinks.collect()}
    assert ours == {"x": 3 / 6, "y": 2 / 6, "z": 1 / 6}


def test_frequency_shifted_pairs_returns_the_pairs_a_moved_count_brings_near_a_level(spark):
    # r9 changes from "w" to "x": "x" held by 4 records of 9 before, 5 after (total the same)
    schema = "id string, name string"
    rows = [("a1", "x"), ("a2", "x"), ("c1", "x"), ("c2", "x"), ("b1", "y"), ("b2", "y")]
    rows += [("d1", "v"), ("d2", "v")]
    before = _frame(spark, [*rows, ("r9", "w")], schema)
    after = _frame(spark, [*rows, ("r9", "x")], schema)
    applied = _frame(spark, [("r9",)], "id string")
    level, allowance = weight_of(0.9), 0.25
    moved = math.log2(5 / 4)  # bits "x" moves; "w" disappears (only r9 held it: applied)
    pairs = _frame(
        spark,
        [
            ("a1", "a2", level + allowance + moved - 0.01, 0.7),  # "x": near by its shift
            ("b1", "b2", level + 0.01, 0.6),  # "y" did not move: near by the allowance
            ("c1", "c2", level + 3.0, 0.99),  # "x", far from the level
            ("d1", "d2", level - 2.0, 0.1),  # "v": unmoved, far
        ],
        "id_l string, id_r string, match_weight double, match_probability double",
    )
    near, drift = frequency_shifted_pairs(
        pairs, before, after, applied, _name_settings(), [0.9], allowance
    )
    got = {(r["id_l"], r["id_r"]): r["match_probability"] for r in near.collect()}
    assert got == {("a1", "a2"): 0.7, ("b1", "b2"): 0.6}
    # the largest shift of a pair left: c1-c2's
    assert math.isclose(drift, allowance + moved)
