"""Publish the Music Knowledge Graph: kg_nodes and kg_edges from every resolved entity.

Reads each entity's published tables (run the entities first: jobs.resolve,
or the demo), resolves the declared samples and interpolations onto the
graph, checks that every edge end is a node, and writes kg_nodes, kg_edges
and relation_resolution as one release; with the sample's truth, the
relations' precision and recall go to reports/evaluation/relations.json.

    python -m jobs.graph
    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/graph.py --profile cluster
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pyspark.sql import SparkSession

from jobs.runtime.config import AppConfig
from jobs.runtime.job import run_main, stage, start_job
from jobs.stages.graph import GraphResult, build_graph

logger = logging.getLogger(__name__)


def run(spark: SparkSession, cfg: AppConfig, *, run_id: str) -> GraphResult:
    with stage("graph"):
        result = build_graph(spark, cfg, run_id)
    logger.info("\n".join(summary_lines(cfg, result)))
    return result


def summary_lines(cfg: AppConfig, r: GraphResult) -> list[str]:
    """The graph in a few lines: nodes and edges by type, relations' figures."""
    assert cfg.graph is not None
    lines = [
        f"knowledge graph   {sum(r.nodes_by_type.values()):,} nodes "
        f"({', '.join(f'{k} {v:,}' for k, v in r.nodes_by_type.items())})",
        f"  edges           {sum(r.edges_by_type.values()):,} "
        f"({', '.join(f'{k} {v:,}' for k, v in r.edges_by_type.items())})",
    ]
    for name, f in r.figures.items():
        p, rc = f.get("precision"), f.get("recall")
        lines.append(
            f"  {name:<15} {f.get('n_resolved', 0):,} of {f.get('n_relations', 0):,} resolved, "
            f"precision {p if p is None else round(p, 4)} recall {rc if rc is None else round(rc, 4)}"
            f" ({f.get('n_resolvable', 0):,} with a target in the catalog)"
        )
    if r.quarantined:
        lines.append(f"  quarantined     {r.quarantined:,} declared rows ({cfg.quarantine_table})")
    lines.append(
        f"  tables          {cfg.paths.warehouse}/{cfg.graph.nodes_table}, "
        f"{cfg.graph.edges_table}" + "".join(f", {t}" for t in r.tables)
    )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    ctx = start_job(__doc__, argv, entity=False)
    run(ctx.spark, ctx.cfg, run_id=ctx.run_id)


if __name__ == "__main__":
    run_main(main)
