"""Cluster ids carried from run to run by member overlap: merges, splits, new and gone ids."""

from __future__ import annotations

from splink_models.groups import carry_ids, minted_id

PREV = {"A": ["t1", "t2", "t3"], "B": ["t4", "t5"], "C": ["t6", "t7", "t8"], "D": ["t9"]}
SEQ = {"A": 5, "B": 1, "C": 2, "D": 3}  # B is the oldest id


def _carry(spark, clusters: dict[int, list[str]], previous=PREV, seq=SEQ, next_seq=10):
    rows = [(m, c) for c, members in clusters.items() for m in members]
    cl = spark.createDataFrame(rows, "node string, cluster long")
    prev = (
        spark.createDataFrame(
            [(m, i) for i, members in previous.items() for m in members], "node string, old_id string"
        )
        if previous
        else None
    )
    known = spark.createDataFrame(list(seq.items()), "old_id string, seq long") if seq else None
    ids, events = carry_ids(cl, prev, known, prefix="rg_", next_seq=next_seq)
    by_cluster = {r["cluster"]: r["id"] for r in ids.collect()}
    return by_cluster, {
        (r["id"], r["event"]): (r["related_id"], r["members"], r["members_added"], r["members_removed"])
        for r in events.collect()
    }


def _minted(spark, seq: int) -> str:
    from pyspark.sql import functions as F

    return spark.range(1).select(minted_id("rg_", F.lit(seq))).first()[0]


def test_unchanged_clusters_keep_their_ids_and_record_nothing(spark):
    ids, events = _carry(spark, {1: PREV["A"], 2: PREV["B"], 3: PREV["C"], 4: PREV["D"]})
    assert ids == {1: "A", 2: "B", 3: "C", 4: "D"}
    assert events == {}


def test_merge_split_new_and_deleted_members(spark):
    ids, events = _carry(
        spark,
        {
            1: ["t1", "t2", "t4", "t5"],  # A and B merge (t3 deleted): 2 each, B is older
            2: ["t6", "t7"],  # C splits: the larger part keeps C
            3: ["t8"],  # ... the other part gets a new id
            4: ["t10", "t11"],  # all new
        },  # D's only member t9 was deleted
    )
    first, second = _minted(spark, 10), _minted(spark, 11)
    assert ids == {1: "B", 2: "C", 3: second, 4: first}  # new ids in smallest-member order
    assert events == {
        ("B", "members_moved"): (None, 4, 2, 0),
        ("A", "merged"): ("B", 0, 0, 3),
        ("C", "members_moved"): (None, 2, 0, 1),
        (second, "split"): ("C", 1, 1, 0),
        (first, "created"): (None, 2, 2, 0),
        ("D", "retired"): (None, 0, 0, 1),
    }


def test_a_first_run_mints_every_id_and_ids_never_derive_from_members(spark):
    ids, events = _carry(spark, {7: ["z"], 3: ["a", "b"]}, previous=None, seq=None, next_seq=0)
    assert ids == {3: _minted(spark, 0), 7: _minted(spark, 1)}
    assert ids[3].startswith("rg_") and "a" not in ids[3].removeprefix("rg_")
    assert {event for _, event in events} == {"created"}


HISTORY = [  # a merged into b, b later into c; d retired; s split off c
    ("a", "merged", "b"),
    ("b", "merged", "c"),
    ("d", "retired", None),
    ("s", "split", "c"),
    ("c", "members_moved", None),
]


def test_a_held_id_is_redirected_through_merges_in_python_and_in_sql(spark):
    from jobs.stages.ids import REDIRECT_SQL, resolve_ids

    history = spark.createDataFrame(HISTORY, "id string, event string, related_id string")
    held = ["a", "b", "c", "d", "s", "unknown"]
    expected = {"a": "c", "b": "c", "c": "c", "d": None, "s": "s", "unknown": "unknown"}
    assert resolve_ids(history, held) == expected

    history.createOrReplaceTempView("id_history_t")
    spark.createDataFrame([(h,) for h in held], "id string").createOrReplaceTempView("held_t")
    rows = spark.sql(REDIRECT_SQL.format(history="id_history_t", held="held_t")).collect()
    assert {r["held_id"]: r["current_id"] for r in rows} == expected
