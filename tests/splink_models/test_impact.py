"""A/B impact: pairs gained and lost, groups merged, split and unchanged, records moved."""

from __future__ import annotations

from chispa import assert_df_equality

from splink_models.impact import (
    GROUPS_MERGED,
    GROUPS_SPLIT,
    GROUPS_UNCHANGED,
    PAIRS_GAINED,
    PAIRS_LOST,
    RECORDS_CHANGED,
    group_changes,
    pair_changes,
    summarise,
)

PAIRS = "track_id_l string, track_id_r string, match_probability double, above_threshold boolean"
GROUPS = "track_id string, recording_group_id string"


def _groups(spark, clusters: dict[str, str]):
    return spark.createDataFrame(
        [(t, g) for g, members in clusters.items() for t in members.split()], GROUPS
    )


def test_pairs_gained_and_lost_at_the_threshold(spark):
    a = spark.createDataFrame(
        [("t1", "t2", 0.95, True), ("t1", "t3", 0.40, False), ("t4", "t5", 0.99, True)], PAIRS
    )
    b = spark.createDataFrame(
        [("t1", "t2", 0.97, True), ("t1", "t3", 0.93, True), ("t6", "t7", 0.91, True)], PAIRS
    )
    expected = spark.createDataFrame(
        [
            ("t1", "t3", 0.40, 0.93, PAIRS_GAINED),
            ("t4", "t5", 0.99, None, PAIRS_LOST),  # not even a candidate under B
            ("t6", "t7", None, 0.91, PAIRS_GAINED),
        ],
        "track_id_l string, track_id_r string, match_probability_a double, "
        "match_probability_b double, change string",
    )
    assert_df_equality(
        pair_changes(a, b, id_column="track_id"),
        expected,
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_groups_merged_split_and_unchanged(spark):
    # A: {1 2 3} {4 5} {6} {7 8}     B: {1 2} {3 4 5} {6} {7} {8}
    # A's {1 2 3} splits (into {1 2} and part of {3 4 5}); B's {3 4 5} merges two A groups;
    # {7 8} splits; {6} is unchanged; {4 5} moved into a merged group, so 4 and 5 changed too
    a = _groups(spark, {"a1": "t1 t2 t3", "a2": "t4 t5", "a3": "t6", "a4": "t7 t8"})
    b = _groups(spark, {"b1": "t1 t2", "b2": "t3 t4 t5", "b3": "t6", "b4": "t7", "b5": "t8"})
    changes = group_changes(a, b, id_column="track_id", group_column="recording_group_id")
    by_track = {r.track_id: r for r in changes.collect()}
    assert {t for t, r in by_track.items() if r.split} == {"t1", "t2", "t3", "t7", "t8"}
    assert {t for t, r in by_track.items() if r.merged} == {"t3", "t4", "t5"}
    assert {t for t, r in by_track.items() if not r.changed} == {"t6"}

    pairs = pair_changes(
        spark.createDataFrame([], PAIRS), spark.createDataFrame([], PAIRS), id_column="track_id"
    )
    lines = {line.change: line for line in summarise(pairs, changes, id_column="track_id")}
    counts = {change: line.count for change, line in lines.items()}
    assert counts == {
        PAIRS_GAINED: 0,
        PAIRS_LOST: 0,
        GROUPS_MERGED: 1,
        GROUPS_SPLIT: 2,
        GROUPS_UNCHANGED: 1,
        RECORDS_CHANGED: 7,
    }
    assert lines[GROUPS_MERGED].examples == ("B b2 (3): a1 (1) + a2 (2)",)
    assert lines[GROUPS_SPLIT].examples == (
        "A a1 (3): b1 (2) + b2 (1)",
        "A a4 (2): b4 (1) + b5 (1)",
    )
    assert lines[GROUPS_UNCHANGED].examples == ("a3 (1)",)


def test_the_same_clustering_changes_nothing(spark):
    a = _groups(spark, {"a1": "t1 t2 t3", "a2": "t4"})
    changes = group_changes(a, a, id_column="track_id", group_column="recording_group_id")
    assert changes.where("changed or split or merged").count() == 0
