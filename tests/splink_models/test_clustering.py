"""The clustering guard: a chain of weak links must not make one giant group."""

from __future__ import annotations

import logging
import random

import duckdb
import pytest
from pyspark.sql import functions as F

from splink_models import clustering
from splink_models.clustering import guarded_clusters
from splink_models.duckdb_backend import connected_components_duckdb


def test_oversized_component_is_resplit_at_a_stricter_threshold(spark):
    # two tight groups (a*, b*) joined by one weaker bridge a3-b1, and a singleton
    strong = [("a1", "a2", 0.999), ("a2", "a3", 0.999), ("b1", "b2", 0.999), ("b2", "b3", 0.999)]
    edges = spark.createDataFrame(
        [*strong, ("a3", "b1", 0.93)], "node_l string, node_r string, match_probability double"
    )
    nodes = spark.createDataFrame([(n,) for n in "a1 a2 a3 b1 b2 b3 c1".split()], "node string")

    loose, rounds = guarded_clusters(edges, nodes, threshold=0.9, max_group_size=10, step=0.05)
    assert rounds == []
    assert loose.select("component").distinct().count() == 2  # the bridge holds: a+b, c

    guarded, rounds = guarded_clusters(edges, nodes, threshold=0.9, max_group_size=4, step=0.05)
    groups = {}
    for row in guarded.collect():
        groups.setdefault(row.component, set()).add(row.node)
    assert sorted(map(sorted, groups.values())) == [["a1", "a2", "a3"], ["b1", "b2", "b3"], ["c1"]]
    assert rounds == [{"threshold": 0.95, "oversized_components": 1}]


def _random_graph(seed: int, *, deep: bool) -> tuple[list[tuple[str, str]], list[str]]:
    """Catalog-like small groups, or (deep) a 24-node chain and a sparse random tangle.

    Either has repeated and reversed edges, self-loops and nodes without edges.
    """
    rng = random.Random(seed)
    nodes = [f"n{i:04d}" for i in range(600)]
    shuffled = nodes[:]
    rng.shuffle(shuffled)  # ids in no order: a component's smallest sits anywhere in it
    edges = []
    if deep:
        chain, star, rest = shuffled[:24], shuffled[24:84], shuffled[84:]
        edges += list(zip(chain, chain[1:], strict=False))
        edges += [(star[0], leaf) for leaf in star[1:]]
        edges += [tuple(rng.sample(rest, 2)) for _ in range(300)]
    else:
        rest, start = shuffled[:540], 0
        while start < len(rest):
            group = rest[start : start + rng.randint(2, 8)]
            start += len(group)
            edges += [(group[i - 1], group[i]) for i in range(1, len(group))]  # a path...
            edges += [tuple(rng.sample(group, 2)) for _ in range(len(group) // 2)]  # ...and more
    edges += [(b, a) for a, b in edges[:20]] + edges[:10]  # reversed and repeated
    edges += [(n, n) for n in rest[:15]]  # a self-loop alone does not link a node
    return edges, nodes


def _partition(rows) -> list[list[str]]:
    groups: dict[str, set[str]] = {}
    for node, component in rows:
        groups.setdefault(component, set()).add(node)
    return sorted(sorted(g) for g in groups.values())


@pytest.mark.parametrize(
    ("deep", "broadcast_rows", "hash_key"),
    [(False, 200_000, None), (False, 0, None), (True, 200_000, None), (False, 200_000, "length")],
    ids=[
        "propagation-broadcast",
        "propagation-shuffled",
        "deep-graph-splink-solver",
        "hash-collisions-numbered",
    ],
)
def test_connected_components_agree_with_splinks_solver(
    spark, monkeypatch, caplog, deep, broadcast_rows, hash_key
):
    monkeypatch.setattr(clustering, "BROADCAST_ROWS", broadcast_rows)
    if deep:  # a chain longer than the rounds allowed goes to Splink's solver, whose
        # rounds grow with the chain: 4 rounds and a 24-node chain show the hand-over
        # as well as 10 and 80 did, in fewer Spark jobs
        monkeypatch.setattr(clustering, "PROPAGATION_ROUNDS", 4)
    if hash_key:  # a hash every id of one length shares: the keys must fall back to numbers
        monkeypatch.setattr(clustering, "_hash_key", lambda column: F.length(column).cast("long"))
    edges, nodes = _random_graph(seed=7, deep=deep)
    con = duckdb.connect()
    con.execute("CREATE TABLE edges (node_l VARCHAR, node_r VARCHAR)")
    con.executemany("INSERT INTO edges VALUES (?, ?)", edges)
    con.execute("CREATE TABLE nodes AS SELECT unnest(?) AS node", [nodes])
    splink = con.execute(f"SELECT * FROM {connected_components_duckdb(con, 'edges', 'nodes')}")

    edges_df = spark.createDataFrame(edges, "node_l string, node_r string")
    nodes_df = spark.createDataFrame([(n,) for n in nodes], "node string")
    with caplog.at_level(logging.INFO, logger=clustering.__name__):
        ours = clustering.connected_components(edges_df, nodes_df).collect()

    expected = _partition(splink.fetchall())
    assert len(ours) == len(nodes)
    assert _partition(ours) == expected
    assert len(expected) > 100
    handed_over = "Splink's solver" in caplog.text
    assert handed_over == deep  # shallow groups converge by propagation; a long chain does not
    assert ("numbering the ids" in caplog.text) == bool(hash_key)
