"""The knowledge graph stage: every entity's graph part -> kg_nodes and kg_edges, checked.

Each entity with a ``graph`` section adds its nodes and edges
(splink_models.graph.GraphPart) from its own tables and those of the
entities it names under ``graph.uses``. Before anything is written the
union is checked: a node id is one node (two types or two rows under one id
fail the run), and every edge's src and dst is a node (a dangling end fails
the run, naming the edge types and examples). Then kg_nodes, kg_edges, the
parts' own tables and their inputs' quarantine rows are published as one
release, and each part's figures against truth (``graph.evaluate``) go to
reports/evaluation/<report>.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from features.errors import ConfigError, ResolutionError
from features.schemas import KG_EDGES, KG_NODES, conform
from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import read_table, table_exists, write_table
from jobs.runtime.output import write_json_atomic
from jobs.runtime.release import publishing
from jobs.stages.common import entity_table, import_named, write_quarantine
from jobs.stages.reporting import report_path
from splink_models.frames import union_all
from splink_models.graph import EDGE_COLUMNS, NODE_COLUMNS, EntityTables, GraphPart

GRAPH = "graph"  # the entity_type its publications carry in published_runs
EXAMPLES = 5  # dangling edges / duplicate nodes named in an error


@dataclass(frozen=True)
class GraphResult:
    nodes_by_type: dict[str, int]
    edges_by_type: dict[str, int]
    tables: dict[str, int]  # each part's own table -> rows
    quarantined: int
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)  # report -> figures


def entity_tables(spark: SparkSession, cfg: AppConfig, entity: EntityConfig) -> EntityTables:
    """An entity's tables by role as they stand (None: never written)."""

    def read(role: str) -> DataFrame | None:
        table, contract = entity_table(entity, role)
        path = cfg.table_path(table)
        return read_table(spark, path, contract) if table_exists(spark, path) else None

    return EntityTables(entity.name, entity.id_column, entity.group_column, read)


@dataclass(frozen=True)
class BuiltPart:
    """One entity's graph part and the table readers it was built from (its evaluation's too)."""

    entity: EntityConfig
    part: GraphPart
    own: EntityTables
    uses: dict[str, EntityTables]


def parts(spark: SparkSession, cfg: AppConfig, run_id: str) -> list[BuiltPart]:
    """Every entity's graph part, in dependency order."""
    built = []
    for e in cfg.in_dependency_order():
        if e.graph is None:
            continue
        own = entity_tables(spark, cfg, e)
        uses = {
            alias: entity_tables(spark, cfg, cfg.entity(name))
            for alias, name in e.graph.uses.items()
        }
        part = import_named(e.graph.build)(own, run_id=run_id, **uses)
        unknown = sorted(set(part.tables) - set(e.graph.roles))
        if unknown:
            raise ConfigError(
                f"{e.graph.build} returned tables {unknown} that entities.{e.name}.graph.roles "
                f"does not list ({list(e.graph.roles)})"
            )
        built.append(BuiltPart(e, part, own, uses))
    return built


def check_graph(nodes: DataFrame, edges: DataFrame) -> None:
    """Fail on a node id used twice, or an edge end that is no node, naming examples."""
    twice = (
        nodes.groupBy("id")
        .agg(F.count("*").alias("n"), F.array_sort(F.collect_set("node_type")).alias("types"))
        .where("n > 1")
    )
    dup = twice.limit(EXAMPLES).collect()
    if dup:
        raise ResolutionError(
            f"knowledge graph: {twice.count():,} node ids name more than one node, e.g. "
            + "; ".join(f"{r['id']} ({r['n']} rows: {', '.join(r['types'])})" for r in dup)
        )
    ids = nodes.select("id")
    ends = edges.select(
        "edge_type", F.col("src").alias("id"), F.lit("src").alias("end")
    ).unionByName(edges.select("edge_type", F.col("dst").alias("id"), F.lit("dst").alias("end")))
    dangling = ends.join(ids, "id", "left_anti")
    by_type = dangling.groupBy("edge_type", "end").count().collect()
    if by_type:
        examples = dangling.limit(EXAMPLES).collect()
        raise ResolutionError(
            "knowledge graph: edges whose end is no node (nothing written): "
            + ", ".join(f"{r['edge_type']} {r['end']} {r['count']:,}" for r in by_type)
            + "; e.g. "
            + ", ".join(f"{r['edge_type']} {r['end']} {r['id']}" for r in examples)
            + " (an entity built on another's groups, e.g. a derived one, was resolved before "
            "that entity changed, e.g. by a delivery: resolve it again)"
        )


def build_graph(spark: SparkSession, cfg: AppConfig, run_id: str) -> GraphResult:
    """Write kg_nodes, kg_edges and the parts' tables as one release (see the module docstring)."""
    if cfg.graph is None:
        raise ConfigError("no graph section in the config: nothing says where kg tables go")
    nodes_path = cfg.table_path(cfg.graph.nodes_table)
    edges_path = cfg.table_path(cfg.graph.edges_table)
    own_tables = [
        entity_table(e, role)[0]
        for e in cfg.entities.values()
        if e.graph is not None
        for role in e.graph.roles
    ]
    tables = [cfg.graph.nodes_table, cfg.graph.edges_table, cfg.quarantine_table, *own_tables]
    with publishing(spark, cfg, job=GRAPH, entity=GRAPH, run_id=run_id, tables=tables) as release:
        if release.complete:
            return GraphResult(**release.summary)
        built = parts(spark, cfg, run_id)
        if not built:
            raise ConfigError("no entity has a graph section: the knowledge graph would be empty")
        stamp = F.lit(run_id).alias("run_id")
        nodes = union_all([n.select(*NODE_COLUMNS) for b in built for n in b.part.nodes])
        edges = union_all([x.select(*EDGE_COLUMNS) for b in built for x in b.part.edges])
        # computed once and checked before any table is written
        nodes = nodes.select(*NODE_COLUMNS[:-1], stamp, "model_version").localCheckpoint()
        edges = edges.select(*EDGE_COLUMNS[:-1], stamp, "model_version").localCheckpoint()
        check_graph(nodes, edges)
        counts: dict[str, int] = {}
        quarantined = 0
        for b in built:
            e, part = b.entity, b.part
            for role, frame in part.tables.items():
                table, contract = entity_table(e, role)
                write_table(conform(frame, contract), cfg.table_path(table), contract)
                counts[table] = read_table(spark, cfg.table_path(table)).count()
            if part.quarantine is not None:  # an input of its own (its entity_type)
                rows = part.quarantine.cache()
                for r in rows.select("entity_type").distinct().collect():
                    write_quarantine(
                        cfg,
                        r["entity_type"],
                        rows.where(F.col("entity_type") == r["entity_type"]),
                        stage="features",
                    )
                quarantined += rows.count()
                rows.unpersist()
        write_table(conform(nodes, KG_NODES), nodes_path, KG_NODES)
        write_table(conform(edges, KG_EDGES), edges_path, KG_EDGES)
        result = GraphResult(
            nodes_by_type=_counts(read_table(spark, nodes_path), "node_type"),
            edges_by_type=_counts(read_table(spark, edges_path), "edge_type"),
            tables=counts,
            quarantined=quarantined,
        )
        for b in built:
            e = b.entity
            if e.graph is None or not e.graph.evaluate:
                continue
            written = {
                role: read_table(spark, cfg.table_path(entity_table(e, role)[0]))
                for role in b.part.tables
            }
            reports = import_named(e.graph.evaluate)(written, b.own, **b.uses)
            for name, figures in reports.items():
                figures = {**figures, "run_id": run_id}
                write_json_atomic(report_path(cfg, name, "json"), figures)
                result.figures[name] = figures
        release.finish(None, _summary(result))
    return result


def _summary(r: GraphResult) -> dict[str, Any]:
    return {
        "nodes_by_type": r.nodes_by_type,
        "edges_by_type": r.edges_by_type,
        "tables": r.tables,
        "quarantined": r.quarantined,
        "figures": r.figures,
    }


def _counts(df: DataFrame, column: str) -> dict[str, int]:
    return {
        r[column]: int(r["count"]) for r in df.groupBy(column).count().orderBy(column).collect()
    }
