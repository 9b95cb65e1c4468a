"""The videos' part of the knowledge graph: video nodes and VIDEO_OF edges.

Every video with features is a node (``video``); each assigned video has a
VIDEO_OF edge to the recording group it shows, with the assignment's match
probability and its strongest comparisons as evidence. A video left
unassigned is a node without the edge (``unmatched_videos`` says why).
"""

from __future__ import annotations

from pyspark.sql import functions as F

from splink_models.graph import MODEL, EntityTables, GraphPart, edges, nodes


def video_graph(own: EntityTables, *, run_id: str) -> GraphPart:
    idc = own.id_column
    matches = own["matches"]
    group = next(c for c in matches.columns if c.endswith("group_id"))
    videos = nodes(
        own["features"].join(matches.select(idc, "is_primary"), idc, "left"),
        id=idc,
        node_type="video",
        display_name="title",
        properties=["source", "channel_name", "video_kind", "is_primary", "duration_s"],
    )
    explanation = F.transform(
        "explanation",
        lambda c: F.concat(c["comparison"], F.lit(" "), F.format_number(c["match_weight"], 1)),
    )
    video_of = edges(
        matches,
        src=idc,
        dst=group,
        edge_type="VIDEO_OF",
        source=MODEL,
        confidence="match_probability",
        evidence=explanation,
        model_version="model_version",
    )
    return GraphPart(nodes=[videos], edges=[video_of])
