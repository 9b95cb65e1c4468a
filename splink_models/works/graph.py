"""The works' part of the knowledge graph: work nodes, RECORDING_OF and version relation edges.

``work`` nodes come from the works table; RECORDING_OF goes from each
recording group to its work (the best match probability that put it there);
the version relations (COVER_OF, LIVE_VERSION_OF, REMIX_OF, ...) go from a
version's recording group to the work's original, as ``version_relations``
has them.
"""

from __future__ import annotations

from pyspark.sql import functions as F

from splink_models.graph import MODEL, EntityTables, GraphPart, edges, membership_edges, nodes


def work_graph(own: EntityTables, *, run_id: str) -> GraphPart:
    idc, gc = own.id_column, own.group_column
    assert gc is not None
    works = nodes(
        own["works"],
        id=gc,
        node_type="work",
        display_name="title",
        properties=["iswc", "n_recording_groups", "original_recording_group_id"],
        model_version="model_version",
    )
    recording_of = membership_edges(
        own["groups"],
        own["pairs"],
        id_column=idc,
        group_column=gc,
        edge_type="RECORDING_OF",
        evidence="work clustering",
    )
    versions = edges(
        own["version_relations"],
        src="src_recording_group_id",
        dst="dst_recording_group_id",
        edge_type=F.col("relation_type"),
        source=MODEL,
        confidence="confidence",
        evidence=F.col("evidence"),
        model_version="model_version",
    )
    return GraphPart(nodes=[works], edges=[recording_of, versions])
