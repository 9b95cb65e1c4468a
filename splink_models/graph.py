"""Building blocks of the Music Knowledge Graph: node and edge frames, membership confidence.

Each entity's model package adds its part of the graph (config
``entities.<e>.graph.build``): the nodes of its records and groups and the
edges it knows, as frames in ``features.schemas.KG_NODES`` / ``KG_EDGES``
without ``run_id`` (jobs.graph adds it, checks that every edge end is a node,
and writes both tables). ``EntityTables`` is how a part reads its own tables
and those of the entities it names under ``graph.uses``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from features.errors import ConfigError
from features.schemas import KG_EDGES, KG_NODES
from splink_models.clustering import connected_components

NODE_COLUMNS = [f.name for f in KG_NODES.fields if f.name != "run_id"]
EDGE_COLUMNS = [f.name for f in KG_EDGES.fields if f.name != "run_id"]
MODEL, DECLARED = "model", "declared"


@dataclass(frozen=True)
class EntityTables:
    """One entity's tables by role, as a graph part reads them."""

    name: str
    id_column: str
    group_column: str | None
    # role -> the table, or None when it was never written (an optional input)
    read: Callable[[str], DataFrame | None]

    def get(self, role: str) -> DataFrame | None:
        return self.read(role)

    def __getitem__(self, role: str) -> DataFrame:
        table = self.read(role)
        if table is None:
            raise ConfigError(
                f"knowledge graph: entity {self.name!r} has no {role} table yet; "
                "resolve it before jobs.graph"
            )
        return table


@dataclass
class GraphPart:
    """What one entity adds: node and edge frames, and tables of its own by role."""

    nodes: list[DataFrame] = field(default_factory=list)
    edges: list[DataFrame] = field(default_factory=list)
    tables: dict[str, DataFrame] = field(default_factory=dict)
    quarantine: DataFrame | None = None  # its inputs' bad rows (QUARANTINE)


def nodes(
    df: DataFrame,
    *,
    id: Column | str,
    node_type: str,
    display_name: Column | str,
    properties: Sequence[Column | str] = (),
    model_version: Column | str | None = None,
) -> DataFrame:
    """KG_NODES rows (without run_id): ``properties`` become one JSON object."""
    col = lambda c: F.col(c) if isinstance(c, str) else c  # noqa: E731
    return df.select(
        col(id).alias("id"),
        F.lit(node_type).alias("node_type"),
        col(display_name).cast("string").alias("display_name"),
        (F.to_json(F.struct(*[col(p) for p in properties])) if properties else F.lit(None))
        .cast("string")
        .alias("properties"),
        (col(model_version) if model_version is not None else F.lit(None))
        .cast("string")
        .alias("model_version"),
    )


def edges(
    df: DataFrame,
    *,
    src: Column | str,
    dst: Column | str,
    edge_type: Column | str,
    source: str,
    confidence: Column | str | None = None,
    evidence: Column | None = None,
    model_version: Column | str | None = None,
) -> DataFrame:
    """KG_EDGES rows (without run_id); an edge type given as a str is a literal."""
    col = lambda c: F.col(c) if isinstance(c, str) else c  # noqa: E731
    return df.select(
        col(src).alias("src"),
        col(dst).alias("dst"),
        (F.lit(edge_type) if isinstance(edge_type, str) else edge_type).alias("edge_type"),
        (col(confidence) if confidence is not None else F.lit(None))
        .cast("double")
        .alias("confidence"),
        F.coalesce(evidence, F.array()).cast("array<string>").alias("evidence")
        if evidence is not None
        else F.array().cast("array<string>").alias("evidence"),
        F.lit(source).alias("source"),
        (col(model_version) if model_version is not None else F.lit(None))
        .cast("string")
        .alias("model_version"),
    )


def membership(
    groups: DataFrame, pairs: DataFrame, *, id_column: str, group_column: str
) -> DataFrame:
    """(id_column, group_column, confidence, model_version) per record of a clustered entity.

    The confidence that a record belongs to its group: the best match
    probability of its accepted pairs with another member (null: it is alone,
    nothing was matched).
    """
    left, right = f"{id_column}_l", f"{id_column}_r"
    accepted = pairs.where("above_threshold").select(left, right, "match_probability")
    g = groups.select(id_column, group_column, "model_version")
    ends = accepted.select(F.col(left).alias("_a"), F.col(right).alias("_b"), "match_probability")
    both = ends.unionByName(
        ends.select(F.col("_b").alias("_a"), F.col("_a").alias("_b"), "match_probability")
    )
    within = (
        both.join(g.select(F.col(id_column).alias("_a"), F.col(group_column).alias("_ga")), "_a")
        .join(g.select(F.col(id_column).alias("_b"), F.col(group_column).alias("_gb")), "_b")
        .where(F.col("_ga") == F.col("_gb"))
        .groupBy(F.col("_a").alias(id_column))
        .agg(F.max("match_probability").alias("confidence"))
    )
    return g.join(within, id_column, "left")


def membership_edges(
    groups: DataFrame,
    pairs: DataFrame,
    *,
    id_column: str,
    group_column: str,
    edge_type: str,
    evidence: str,
) -> DataFrame:
    """One ``edge_type`` edge per record to its group, with its ``membership`` confidence."""
    member = membership(groups, pairs, id_column=id_column, group_column=group_column)
    return edges(
        member,
        src=id_column,
        dst=group_column,
        edge_type=edge_type,
        source=MODEL,
        confidence="confidence",
        evidence=F.array(F.lit(evidence)),
        model_version="model_version",
    )


def mapped(values: Column, mapping: Mapping[str, str], default: str) -> Column:
    """``mapping[value]``, else ``default``."""
    m = F.create_map(*[F.lit(x) for pair in mapping.items() for x in pair])
    return F.coalesce(F.try_element_at(m, values), F.lit(default))


def collaborations(nodes: DataFrame, edges: DataFrame) -> DataFrame:
    """(node_l, node_r, n_shared): two contributors credited on one recording group or work.

    GraphFrames' shape in, plain Spark joins out: where the graphframes package
    resolves, ``GraphFrame(nodes, edges)`` runs on the same two frames.
    """
    people = nodes.where(F.col("node_type") == "contributor").select(F.col("id").alias("dst"))
    credits = edges.join(people, "dst", "left_semi").select("src", "dst").distinct()
    return (
        credits.alias("a")
        .join(credits.alias("b"), "src")
        .where(F.col("a.dst") < F.col("b.dst"))
        .groupBy(F.col("a.dst").alias("node_l"), F.col("b.dst").alias("node_r"))
        .agg(F.count("*").alias("n_shared"))
    )


def collaboration_components(nodes: DataFrame, edges: DataFrame) -> DataFrame:
    """(id, component, component_size) of every contributor: who reaches whom by collaborations."""
    people = nodes.where(F.col("node_type") == "contributor").select(F.col("id").alias("node"))
    pairs = collaborations(nodes, edges).select("node_l", "node_r")
    components = connected_components(pairs, people)
    return components.select(
        F.col("node").alias("id"),
        "component",
        F.count("*").over(Window.partitionBy("component")).alias("component_size"),
    )
