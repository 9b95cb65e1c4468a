"""The contributors' part of the knowledge graph: people and who did what on which song.

``contributor`` nodes come from the contributors table. Each credit
(features.contributors.credit_rows: the credits table and the tracks' own
artists) becomes an edge from what it credits to the person its record was
clustered into, typed by its role (ROLE_EDGES; a role it does not list is
CREDITED, not dropped):

- writing (WRITTEN_BY, COMPOSED_BY) from the track's work, or from its
  recording group when it has no work;
- everything else (PERFORMED_BY, FEATURES, PRODUCED_BY, MIXED_BY,
  REMIXED_BY) from the track's recording group.

One edge per (src, dst, type): evidence lists the roles and instruments and
how many credits say it; confidence is the best of its records' membership
(the match probability that put a record in the person; null when every
record is alone). Credits of tracks in no recording group (quarantined) make
no edge: their track has no node.
"""

from __future__ import annotations

from pyspark.sql import functions as F

from splink_models.contributors.people import credit_records
from splink_models.graph import MODEL, EntityTables, GraphPart, edges, mapped, membership, nodes

ROLE_EDGES = {
    "main artist": "PERFORMED_BY",
    "performer": "PERFORMED_BY",
    "featured artist": "FEATURES",
    "writer": "WRITTEN_BY",
    "lyricist": "WRITTEN_BY",
    "songwriter": "WRITTEN_BY",
    "author": "WRITTEN_BY",
    "composer": "COMPOSED_BY",
    "composer/lyricist": "COMPOSED_BY",
    "producer": "PRODUCED_BY",
    "mixer": "MIXED_BY",
    "engineer": "MIXED_BY",
    "remixer": "REMIXED_BY",
}
WORK_EDGES = ("WRITTEN_BY", "COMPOSED_BY")  # a song's, not a recording's


def contributor_graph(
    own: EntityTables, *, run_id: str, tracks: EntityTables, works: EntityTables | None = None
) -> GraphPart:
    idc, gc = own.id_column, own.group_column
    assert gc is not None and tracks.group_column is not None
    people = nodes(
        own["contributors"],
        id=gc,
        node_type="contributor",
        display_name="name",
        properties=["names", "ipis", "isnis", "roles", "n_credits", "n_artists"],
        model_version="model_version",
    )
    member = membership(own["groups"], own["pairs"], id_column=idc, group_column=gc)
    credited = credit_records(
        tracks["features"],
        own["input"],
        track_id_column=tracks.id_column,
        credits=own.get("credits"),
    )
    rg = tracks.group_column
    placed = (
        credited.join(member, idc)
        .join(
            tracks["groups"].select(F.col(tracks.id_column).alias("track_id"), rg),
            "track_id",
        )
        .withColumn("_type", mapped(F.col("role"), ROLE_EDGES, "CREDITED"))
    )
    if works is not None:
        placed = placed.join(works["groups"].select(rg, "work_id"), rg, "left")
    else:
        placed = placed.withColumn("work_id", F.lit(None).cast("string"))
    src = F.when(F.col("_type").isin(*WORK_EDGES), F.coalesce("work_id", rg)).otherwise(F.col(rg))
    per_edge = placed.groupBy(src.alias("_src"), F.col(gc).alias("_dst"), "_type").agg(
        F.max("confidence").alias("confidence"),
        F.array_sort(F.collect_set(F.concat(F.lit("role: "), "role"))).alias("_roles"),
        F.array_sort(F.collect_set(F.concat(F.lit("instrument: "), "instrument"))).alias(
            "_instruments"
        ),
        F.countDistinct("credit_id").alias("_n"),
        F.first("model_version").alias("model_version"),
    )
    credited = edges(
        per_edge,
        src="_src",
        dst="_dst",
        edge_type=F.col("_type"),
        source=MODEL,
        confidence="confidence",
        evidence=F.concat(
            "_roles",
            "_instruments",
            F.array(F.concat(F.lit("credits: "), F.col("_n").cast("string"))),
        ),
        model_version="model_version",
    )
    return GraphPart(nodes=[people], edges=[credited])
