"""From connected components to the published groups table: stable ids, sizes, representatives."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F


def stable_group_id(min_member: str, prefix: str):
    """A group's id is a hash of its smallest member id, so it survives reruns."""
    return F.concat(F.lit(prefix), F.substring(F.sha2(F.col(min_member), 256), 1, 20))


def build_groups(
    assignment: DataFrame,
    edges: DataFrame,
    *,
    id_column: str,
    group_column: str,
    group_id_prefix: str,
    run_id: str,
    model_version: str,
) -> DataFrame:
    """(node, component) + accepted edges -> one row per record with its group.

    The representative is the member with the most accepted links inside the
    group (the best-connected release), ties broken by the smallest id.
    ``edges``: accepted (node_l, node_r) pairs.
    """
    degree = (
        edges.select(F.col("node_l").alias("node"))
        .unionAll(edges.select(F.col("node_r").alias("node")))
        .groupBy("node")
        .agg(F.count("*").alias("degree"))
    )
    by_group = Window.partitionBy("component")
    ranked = Window.partitionBy("component").orderBy(F.desc("degree"), F.asc("node"))
    members = (
        assignment.join(degree, "node", "left")
        .fillna(0, subset=["degree"])
        .withColumn("group_size", F.count("*").over(by_group).cast("long"))
        .withColumn("_min_member", F.min("node").over(by_group))
        .withColumn(
            "representative",
            F.first("node").over(
                ranked.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
            ),
        )
    )
    return members.select(
        F.col("node").alias(id_column),
        stable_group_id("_min_member", group_id_prefix).alias(group_column),
        "group_size",
        F.col("representative").alias(f"representative_{id_column}"),
        F.lit(run_id).alias("run_id"),
        F.lit(model_version).alias("model_version"),
    )
