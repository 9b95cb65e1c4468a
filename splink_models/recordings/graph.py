"""The recordings' part of the knowledge graph: tracks, recording groups, samples, interpolations.

Nodes: every resolved track (``track``) and recording group
(``recording_group``, named by its representative track). Edges: TRACK_OF
(track -> its group, with the best match probability that put it there),
and the declared relations (``declared_relations``, features.relations)
resolved onto the graph:

- SAMPLES: the sampling track's group -> the sampled recording's group;
- INTERPOLATES: the sampling track's group -> the interpolated work.

A target is found by the first of: its catalog track id (that track's group,
or its group's work), the work's ISWC (the work most of the tracks with that
ISWC are in; INTERPOLATES only), the title and the artist (the catalog
tracks whose core title and primary artist keys are the target's: the
group, or work, most of them are in, an untagged studio version first).
Two candidates equally good leave the relation unresolved as ambiguous.
Every relation gets a row in ``relation_resolution``: where it landed, or
why it did not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from features.quality import split_bad_input
from features.relations import INTERPOLATES, relation_rows, relation_rules, with_relation_ids
from splink_models.evaluation import f1, majority, ratio
from splink_models.graph import DECLARED, EntityTables, GraphPart, edges, membership_edges, nodes

# in order: the first way that finds a target decides
_BY_TRACK, _BY_ISWC, _BY_TITLE = "target_track_id", "target_iswc", "title_artist"


def recording_graph(
    own: EntityTables, *, run_id: str, works: EntityTables | None = None
) -> GraphPart:
    """Track and recording group nodes, TRACK_OF edges, resolved SAMPLES and INTERPOLATES."""
    idc, gc = own.id_column, own.group_column
    assert gc is not None
    features, groups = own["features"], own["groups"]
    # the input as delivered (artists unnormalised); rows sharing an id (quarantined but
    # one) are told apart by the title the features kept, then the smallest values
    raw = (
        own["input"]
        .groupBy(idc, "title")
        .agg(F.min(F.struct(F.array_join("artists", ", ").alias("artists"), "album")).alias("_raw"))
        .select(idc, "title", "_raw.artists", "_raw.album")
    )
    tracks = nodes(
        features.join(raw, [idc, "title"], "left"),
        id=idc,
        node_type="track",
        display_name=F.concat_ws(" - ", "title", "artists"),
        properties=[
            "source",
            "artists",
            "album",
            "isrc",
            "iswc",
            "duration_s",
            "release_year",
            "version_type",
        ],
    )
    rep = f"representative_{idc}"
    named = (
        groups.where(F.col(idc) == F.col(rep))
        .join(features.select(idc, "title", "version_type"), idc)
        .join(raw, [idc, "title"], "left")
    )
    group_nodes = nodes(
        named,
        id=gc,
        node_type="recording_group",
        display_name=F.concat_ws(" - ", "title", "artists"),
        properties=["group_size", rep, "version_type"],
        model_version="model_version",
    )
    track_of = membership_edges(
        groups,
        own["pairs"],
        id_column=idc,
        group_column=gc,
        edge_type="TRACK_OF",
        evidence="recording clustering",
    )
    part = GraphPart(nodes=[tracks, group_nodes], edges=[track_of])
    declared = own.get("declared_relations")
    if declared is not None:
        work_of = works["groups"].select(gc, "work_id") if works is not None else None
        resolution, quarantine = resolve_relations(
            declared, features, groups, work_of, id_column=idc, group_column=gc, run_id=run_id
        )
        part.tables["relation_resolution"] = resolution
        part.quarantine = quarantine
        part.edges.append(
            edges(
                resolution.where(F.col("dst").isNotNull()),
                src="src",
                dst="dst",
                edge_type=F.col("edge_type"),
                source=DECLARED,
                evidence=F.array(F.concat(F.lit("resolved by "), F.col("resolved_by"))),
            )
        )
    return part


def resolve_relations(
    declared: DataFrame,
    features: DataFrame,
    groups: DataFrame,
    work_of: DataFrame | None,
    *,
    id_column: str,
    group_column: str,
    run_id: str,
) -> tuple[DataFrame, DataFrame]:
    """(RELATION_RESOLUTION rows, quarantine rows) of DECLARED_RELATIONS rows."""
    record_rules, field_rules = relation_rules()
    usable, quarantine = split_bad_input(
        with_relation_ids(declared),
        entity_type="declared_relations",
        id_column="relation_id",
        run_id=run_id,
        record_rules=record_rules,
        field_rules=field_rules,
    )
    rel = relation_rows(usable).cache()
    gc = group_column
    track_group = groups.select(F.col(id_column).alias("_track"), F.col(gc).alias("_group"))
    # each catalog track with its group, the group's work, and the keys a target meets
    catalog = features.select(
        F.col(id_column).alias("_track"),
        "iswc",
        "core_title_key",
        "primary_artist_key",
        (F.coalesce(F.col("version_type"), F.lit("original")) == "original").alias("_studio"),
    ).join(track_group, "_track")
    if work_of is not None:
        catalog = catalog.join(
            work_of.select(F.col(gc).alias("_group"), F.col("work_id").alias("_work")),
            "_group",
            "left",
        )
    else:
        catalog = catalog.withColumn("_work", F.lit(None).cast("string"))
    # the node a relation's target lands on: a group for SAMPLES, a work for INTERPOLATES
    target = F.when(F.col("edge_type") == INTERPOLATES, F.col("_work")).otherwise(F.col("_group"))

    def candidates(method: str, rank: int, condition, scope: DataFrame) -> DataFrame:
        return (
            rel.join(scope, condition)
            .where(target.isNotNull())
            .groupBy("relation_id", target.alias("_dst"))
            .agg((F.sum(F.col("_studio").cast("int")) + F.count("*") / 1000.0).alias("_score"))
            .withColumn("_method", F.lit(method))
            .withColumn("_rank", F.lit(rank))
        )

    found = (
        candidates(_BY_TRACK, 0, rel["target_track_id"] == catalog["_track"], catalog)
        .unionByName(
            candidates(
                _BY_ISWC,
                1,
                (rel["edge_type"] == INTERPOLATES) & (rel["target_iswc"] == catalog["iswc"]),
                catalog,
            )
        )
        .unionByName(
            candidates(
                _BY_TITLE,
                2,
                (rel["target_title_key"] == catalog["core_title_key"])
                & (rel["target_artist_key"] == catalog["primary_artist_key"]),
                catalog,
            )
        )
    )
    order = Window.partitionBy("relation_id").orderBy("_rank", F.desc("_score"), "_dst")
    ranked = (
        found.withColumn("_n", F.row_number().over(order))
        .withColumn("_next_rank", F.lead("_rank").over(order))
        .withColumn("_next_score", F.lead("_score").over(order))
    )
    best = ranked.where("_n = 1").select(
        "relation_id",
        "_dst",
        "_method",
        ((F.col("_next_rank") == F.col("_rank")) & (F.col("_next_score") == F.col("_score"))).alias(
            "_tied"
        ),
    )
    src = track_group.select(F.col("_track").alias("track_id"), F.col("_group").alias("_src"))
    given = F.concat_ws(
        ", ",
        F.when(F.col("target_track_id").isNotNull(), F.concat(F.lit("track "), "target_track_id")),
        F.when(F.col("target_iswc").isNotNull(), F.concat(F.lit("ISWC "), "target_iswc")),
        F.when(
            F.col("target_title").isNotNull(),
            F.concat(
                F.lit('"'),
                "target_title",
                F.lit('"'),
                F.when(
                    F.col("target_artist").isNotNull(), F.concat(F.lit(" by "), "target_artist")
                ),
            ),
        ),
    )
    tied = F.coalesce(F.col("_tied"), F.lit(False))
    reason = (
        F.when(F.col("_src").isNull(), F.lit("the sampling track is not in a recording group"))
        .when(F.col("_dst").isNull(), F.concat(F.lit("no catalog record matches "), given))
        .when(tied, F.concat(F.lit("ambiguous: several targets match "), given))
    )
    resolved = reason.isNull()
    out = (
        rel.join(src, "track_id", "left")
        .join(best, "relation_id", "left")
        .select(
            "relation_id",
            "track_id",
            "edge_type",
            F.when(resolved, F.col("_src")).alias("src"),
            F.when(resolved, F.col("_dst")).alias("dst"),
            F.when(resolved, F.col("_method")).alias("resolved_by"),
            reason.alias("reason"),
            F.lit(run_id).alias("run_id"),
        )
    )
    return out, quarantine


def relation_figures(
    tables: Mapping[str, DataFrame],
    own: EntityTables,
    *,
    works: EntityTables | None = None,
) -> dict[str, Any]:
    """{"relations": figures}: the resolved relations' precision and recall against truth.

    A relation is right when the node it landed on is, by most of its tracks'
    truth, the recording (SAMPLES) or work (INTERPOLATES) its truth names.
    Recall counts the relations whose target the catalog holds.
    """
    truth, golden = own.get("relation_truth"), own.get("golden")
    resolution = tables.get("relation_resolution")
    if truth is None or resolution is None or golden is None:
        return {}
    idc, gc = own.id_column, own.group_column
    groups = own["groups"].select(idc, F.col(gc).alias("dst"))
    node_truth = majority(
        groups, golden.select(idc, "recording_id"), key="dst", member=idc, columns=["recording_id"]
    ).withColumnRenamed("recording_id", "_truth")
    if works is not None:  # a work's tracks: those of its recording groups
        in_work = groups.join(
            works["groups"].select(F.col(gc).alias("dst"), F.col("work_id").alias("_work")), "dst"
        ).select(F.col("_work").alias("dst"), idc)
        node_truth = node_truth.unionByName(
            majority(
                in_work, golden.select(idc, "work_id"), key="dst", member=idc, columns=["work_id"]
            ).withColumnRenamed("work_id", "_truth")
        )
    judged = resolution.join(truth, "relation_id").join(node_truth, "dst", "left")
    row = judged.agg(
        F.count("*").alias("n"),
        F.sum(F.col("dst").isNotNull().cast("int")).alias("resolved"),
        F.sum((F.col("_truth") == F.col("target_truth")).cast("int")).alias("right"),
        F.sum(F.col("target_truth").isNotNull().cast("int")).alias("resolvable"),
        F.sum((F.col("target_truth").isNull() & F.col("dst").isNotNull()).cast("int")).alias(
            "phantom"
        ),
    ).first()
    n, resolved, right = int(row["n"]), int(row["resolved"] or 0), int(row["right"] or 0)
    precision = ratio(right, resolved)
    recall = ratio(right, int(row["resolvable"] or 0))
    return {
        "relations": {
            "n_relations": n,
            "n_resolved": resolved,
            "n_resolvable": int(row["resolvable"] or 0),
            "n_resolved_without_target": int(row["phantom"] or 0),
            "precision": precision,
            "recall": recall,
            "f1": f1(precision, recall),
        }
    }
