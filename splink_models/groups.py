"""From connected components to the published groups table: stable ids, sizes, representatives."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType


def stable_group_id(min_member: str, prefix: str):
    """A cluster's key this run: a hash of its smallest member id.

    Not the published id: ``carry_ids`` maps each cluster onto the ids published
    before (member overlap) and mints new ones.
    """
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


# --- stable ids ---------------------------------------------------------------------------
# Each run's clusters are mapped onto the ids published before it by member overlap
# (carry_ids); what happened to each id is an event of the entity's id history.

CREATED, SPLIT, MERGED, RETIRED, MOVED = "created", "split", "merged", "retired", "members_moved"


def minted_id(prefix: str, seq) -> F.Column:
    """The id minted as number ``seq`` of an entity: opaque, never reused (seq only grows)."""
    return F.concat(F.lit(prefix), F.lpad(F.conv(seq.cast("string"), 10, 36), 10, "0"))


def carry_ids(
    clusters: DataFrame,
    previous: DataFrame | None,
    known: DataFrame | None,
    *,
    prefix: str,
    next_seq: int,
) -> tuple[DataFrame, DataFrame]:
    """Ids for this run's clusters that survive merges and splits, and what happened to each id.

    ``clusters``: (node, cluster) this run; ``previous``: (node, old_id) as
    published before it (None on a first run); ``known``: (old_id, seq), the
    sequence number each id was minted with (ids without one count as the
    oldest). The rules:

    - a cluster's candidate is the previous id holding most of its members
      (ties: the older id, then the smaller);
    - of the clusters whose candidate is one id, the one holding most of its
      members keeps it (ties: the larger cluster, then the smaller cluster key);
      the others are parts split off and get new ids (event ``split``);
    - an id no cluster keeps is ``merged`` into the id of the cluster holding
      most of its members, or ``retired`` when none of them is left;
    - a kept id whose members changed gets ``members_moved`` (added, removed);
    - a cluster with no previous member gets a new id (``created``).

    New ids are minted in the order of each cluster's smallest member, from
    ``next_seq``. Returns ((cluster, id, seq), events) where events are
    (id, event, related_id, id_seq, members, members_added, members_removed);
    ``related_id`` is the id merged into, or the id split from.
    """
    sizes = clusters.groupBy("cluster").agg(
        F.count("*").alias("size"), F.min("node").alias("first_member")
    )
    if previous is None:
        previous = clusters.sparkSession.createDataFrame([], "node string, old_id string")
    old_sizes = previous.groupBy("old_id").agg(F.count("*").alias("old_size"))
    ages = old_sizes.join(known, "old_id", "left") if known is not None else old_sizes
    ages = ages.select("old_id", "old_size", _seq_or_oldest(ages).alias("old_seq"))
    overlap = (
        clusters.join(previous, "node")
        .groupBy("cluster", "old_id")
        .agg(F.count("*").alias("overlap"))
        .join(ages, "old_id")
        .join(sizes, "cluster")
        .localCheckpoint()  # the rules and the events both read it
    )
    by_cluster = Window.partitionBy("cluster").orderBy(
        F.desc("overlap"), F.asc("old_seq"), F.asc("old_id")
    )
    candidates = overlap.withColumn("_rank", F.row_number().over(by_cluster)).where("_rank = 1")
    by_old = Window.partitionBy("old_id").orderBy(
        F.desc("overlap"), F.desc("size"), F.asc("cluster")
    )
    chosen = candidates.withColumn("keeps", F.row_number().over(by_old) == 1).localCheckpoint()
    kept = chosen.where("keeps").select(
        "cluster", F.col("old_id").alias("id"), F.col("old_seq").alias("seq")
    )
    ordered = (
        sizes.join(kept, "cluster", "left_anti")
        .join(chosen.select("cluster", "old_id"), "cluster", "left")  # split from (or none)
        .orderBy("first_member")
    )
    numbered = StructType(
        [
            clusters.schema["cluster"],
            StructField("split_from", StringType()),
            StructField("size", LongType()),
            StructField("n", LongType()),
        ]
    )
    fresh = (
        clusters.sparkSession.createDataFrame(
            ordered.rdd.zipWithIndex().map(
                lambda p: (p[0]["cluster"], p[0]["old_id"], p[0]["size"], p[1])
            ),
            numbered,
        )
        .withColumn("seq", F.col("n") + F.lit(next_seq))
        .withColumn("id", minted_id(prefix, F.col("seq")))
        .localCheckpoint()
    )
    ids = kept.unionByName(fresh.select("cluster", "id", "seq"))
    events = _id_events(clusters, chosen, fresh, ages, overlap, ids)
    return ids, events


def _seq_or_oldest(ages: DataFrame) -> F.Column:
    return F.coalesce(F.col("seq"), F.lit(-1)).cast("long") if "seq" in ages.columns else F.lit(-1)


def _id_events(
    clusters: DataFrame,
    chosen: DataFrame,
    fresh: DataFrame,
    ages: DataFrame,
    overlap: DataFrame,
    ids: DataFrame,
) -> DataFrame:
    long0 = F.lit(0).cast("long")
    born = fresh.select(
        "id",
        F.when(F.col("split_from").isNull(), F.lit(CREATED)).otherwise(F.lit(SPLIT)).alias("event"),
        F.col("split_from").alias("related_id"),
        F.col("seq").alias("id_seq"),
        F.col("size").alias("members"),
        F.col("size").alias("members_added"),
        long0.alias("members_removed"),
    )
    moved = (
        chosen.where("keeps")
        .where((F.col("overlap") != F.col("size")) | (F.col("overlap") != F.col("old_size")))
        .select(
            F.col("old_id").alias("id"),
            F.lit(MOVED).alias("event"),
            F.lit(None).cast("string").alias("related_id"),
            F.lit(None).cast("long").alias("id_seq"),
            F.col("size").alias("members"),
            (F.col("size") - F.col("overlap")).alias("members_added"),
            (F.col("old_size") - F.col("overlap")).alias("members_removed"),
        )
    )
    gone = ages.join(chosen.where("keeps").select("old_id"), "old_id", "left_anti")
    # where each gone id's members went: the cluster holding most of them (ties: its id)
    by_gone = Window.partitionBy("old_id").orderBy(F.desc("overlap"), F.asc("id"))
    went = (
        overlap.join(ids, "cluster")
        .withColumn("_rank", F.row_number().over(by_gone))
        .where("_rank = 1")
        .select("old_id", F.col("id").alias("into"))
    )
    ended = gone.join(went, "old_id", "left").select(
        F.col("old_id").alias("id"),
        F.when(F.col("into").isNull(), F.lit(RETIRED)).otherwise(F.lit(MERGED)).alias("event"),
        F.col("into").alias("related_id"),
        F.lit(None).cast("long").alias("id_seq"),
        long0.alias("members"),
        long0.alias("members_added"),
        F.col("old_size").alias("members_removed"),
    )
    return born.unionByName(moved).unionByName(ended)
