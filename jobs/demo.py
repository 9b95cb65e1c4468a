"""The whole chain on the bundled sample catalog, in one Spark session.

generate the sample, then for every configured entity, each after the one it
builds on: build features -> train -> resolve (cluster, or assign for a link
entity) -> evaluate against the sample's truth; then the
knowledge graph (jobs.graph) and one song's DNA from it; then the sample's day-2
delivery of tracks (jobs.deliver), the link entities brought up to date with it, and a
short summary with its id events.
`make demo` runs this.

    python -m jobs.demo [--set sample.n_tracks=20000]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pyspark.sql import SparkSession

from jobs import build_features, deliver, evaluate, generate_sample, graph, resolve, train
from jobs.reports.songdna import Graph, dna_lines, showcase_track, song_dna
from jobs.reports.summary import entity_lines
from jobs.runtime.config import AppConfig
from jobs.runtime.job import run_main, stage, start_job

logger = logging.getLogger(__name__)


def run(spark: SparkSession, cfg: AppConfig, *, run_id: str) -> dict[str, Any]:
    timings: dict[str, float] = {}
    with stage("generate sample", timings):
        sample = generate_sample.run(spark, cfg)
    results: dict[str, dict[str, Any]] = {}
    for e in cfg.in_dependency_order():
        with stage(f"features {e.name}", timings):
            feats = build_features.run(spark, cfg, entity=e.name, run_id=run_id)
        with stage(f"train {e.name}", timings):
            model_path = train.run(spark, cfg, entity=e.name, run_id=run_id)
        # The demo shows what it just trained; scheduled runs resolve with @champion.
        with stage(f"resolve {e.name}", timings):
            resolved = resolve.run(
                spark, cfg, entity=e.name, run_id=run_id, model_path=str(model_path)
            )
        with stage(f"evaluate {e.name}", timings):
            report = evaluate.run(spark, cfg, entity=e.name, run_id=run_id)
        results[e.name] = {"features": feats, "resolve": resolved, "report": report}
    graphed, dna = None, []
    if cfg.graph is not None:  # the day-1 graph, before the day-2 delivery
        with stage("graph", timings):
            graphed = graph.run(spark, cfg, run_id=run_id)
        with stage("songdna", timings):
            kg = Graph(spark, cfg)
            track = showcase_track(kg)
            dna = dna_lines(song_dna(kg, track)) if track else []
    delivered, followed = None, {}
    if "delivery" in sample:  # day 2: the generator's delivery into the tracks' entity
        tracks_entity = cfg.sample.entities["tracks"].partition(".")[0]
        with stage(f"deliver {tracks_entity}", timings):
            delivered = deliver.run(
                spark,
                cfg,
                entity=tracks_entity,
                delivery=str(cfg.sample.delivery_table),
                run_id=f"{run_id}-day2",
            )
        for e in cfg.in_dependency_order():  # the link entities follow the delivered groups
            if e.link is not None and e.link.links_to == tracks_entity:
                with stage(f"deliver {e.name}", timings):
                    followed[e.name] = deliver.run(
                        spark, cfg, entity=e.name, delivery=None, run_id=f"{run_id}-day2"
                    )
    datasets = {entity: name for name, entity in cfg.sample.entities.items()}
    lines = ["", f"Demo run {run_id}"]
    for e in cfg.in_dependency_order():
        r = results[e.name]
        generated = sample.get(datasets.get(e.name, ""), {})
        lines += entity_lines(spark, cfg, e, generated, r["features"], r["resolve"], r["report"])
    if graphed is not None:
        lines += graph.summary_lines(cfg, graphed)
        lines += ["  song DNA          python -m jobs.songdna <track id | 'title - artist'>"]
        lines += ["    " + x for x in dna]
    if delivered is not None:
        n = delivered.counts
        lines += [
            f"day-2 delivery    {cfg.sample.delivery_table} -> {tracks_entity}: {n['new']} new, "
            f"{n['changed']} changed, {n['deleted']} deleted, {n['rejected']} rejected; "
            f"{n['touched_records']:,} records re-clustered, pairs -{n['pairs_removed']:,} "
            f"+{n['pairs_added']:,}",
            "  id events         "
            + (", ".join(f"{k} {ev}" for ev, k in delivered.id_events.items()) or "none")
            + f" ({cfg.entity(tracks_entity).id_history_table})",
        ]
        for name, result in followed.items():
            n = result.counts
            lines.append(
                f"  {name:<17} followed: {n['members_changed']:,} tracks changed, "
                f"{n['members_gone']:,} gone; "
                f"{n['records_reassigned']:,} {name} assigned again, {n['matched_after']:,} matched"
            )
    lines += [
        f"  tables            {cfg.paths.warehouse}/<table> (quarantine, evaluation, error_analysis)",
        f"  MLflow            mlflow ui --backend-store-uri {cfg.mlflow.tracking_uri}",
        "  stage seconds     " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()),
    ]
    logger.info("\n".join(lines))
    return {"reports": {name: r["report"] for name, r in results.items()}, "timings": timings}


def main(argv: Sequence[str] | None = None) -> None:
    ctx = start_job(__doc__, argv, entity=False)
    run(ctx.spark, ctx.cfg, run_id=ctx.run_id)


if __name__ == "__main__":
    run_main(main)
