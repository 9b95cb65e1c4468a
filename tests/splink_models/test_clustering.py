"""The clustering guard: a chain of weak links must not make one giant group."""

from __future__ import annotations

from splink_models.engine import guarded_clusters


def test_oversized_component_is_resplit_at_a_stricter_threshold(spark):
    # two tight groups (a*, b*) joined by one weaker bridge a3-b1, and a singleton
    strong = [("a1", "a2", 0.999), ("a2", "a3", 0.999), ("b1", "b2", 0.999), ("b2", "b3", 0.999)]
    edges = spark.createDataFrame(
        [*strong, ("a3", "b1", 0.93)], "node_l string, node_r string, match_probability double"
    )
    nodes = spark.createDataFrame([(n,) for n in "a1 a2 a3 b1 b2 b3 c1".split()], "node string")

    loose, rounds = guarded_clusters(
        spark, edges, nodes, threshold=0.9, max_group_size=10, step=0.05
    )
    assert rounds == []
    assert loose.select("component").distinct().count() == 2  # the bridge holds: a+b, c

    guarded, rounds = guarded_clusters(
        spark, edges, nodes, threshold=0.9, max_group_size=4, step=0.05
    )
    groups = {}
    for row in guarded.collect():
        groups.setdefault(row.component, set()).add(row.node)
    assert sorted(map(sorted, groups.values())) == [["a1", "a2", "a3"], ["b1", "b2", "b3"], ["c1"]]
    assert rounds == [{"threshold": 0.95, "oversized_components": 1}]
