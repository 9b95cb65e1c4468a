"""touched_records: the records a delivery can regroup, closed under accepted edges."""

from __future__ import annotations

from splink_models.incremental import touched_records


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
