"""The releases' part of the knowledge graph: release nodes and RELEASE_OF edges.

A ``release`` node is a release group (the store copies and re-deliveries of
one release), named by its representative record. RELEASE_OF goes from the
release to each recording group its records list (through the catalog track
ids the release deliveries give, ``track_ids``): "this release carries that
recording". Evidence: how many listed tracks point there.
"""

from __future__ import annotations

from pyspark.sql import functions as F

from splink_models.graph import MODEL, EntityTables, GraphPart, edges, nodes


def release_graph(own: EntityTables, *, run_id: str, tracks: EntityTables) -> GraphPart:
    idc, gc = own.id_column, own.group_column
    assert gc is not None and tracks.group_column is not None
    groups, rep = own["groups"], f"representative_{idc}"
    named = groups.where(F.col(idc) == F.col(rep)).join(
        own["features"].select(idc, "title", "primary_artist", "release_year", "upc"), idc
    )
    releases = nodes(
        named,
        id=gc,
        node_type="release",
        display_name=F.concat_ws(" - ", "title", "primary_artist"),
        properties=["group_size", rep, "release_year", "upc"],
        model_version="model_version",
    )
    listed = (
        own["input"]
        .select(idc, F.explode("track_ids").alias("_track"))
        .join(groups.select(idc, gc, "model_version"), idc)
        .join(
            tracks["groups"].select(
                F.col(tracks.id_column).alias("_track"), F.col(tracks.group_column).alias("_rg")
            ),
            "_track",
        )
        .groupBy(gc, "_rg")
        .agg(F.countDistinct("_track").alias("_n"), F.first("model_version").alias("model_version"))
    )
    release_of = edges(
        listed,
        src=gc,
        dst="_rg",
        edge_type="RELEASE_OF",
        source=MODEL,
        evidence=F.array(F.concat(F.lit("listed tracks: "), F.col("_n").cast("string"))),
        model_version="model_version",
    )
    return GraphPart(nodes=[releases], edges=[release_of])
