"""The whole chain on the bundled sample catalog, in one Spark session.

generate the sample, then for every configured entity, each after the one it
builds on: build features -> train -> resolve (cluster, or assign for a link
entity) -> evaluate against the sample's truth; then a short summary.
`make demo` runs this.

    python -m jobs.demo [--set sample.n_tracks=20000]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pyspark.sql import SparkSession

from jobs import build_features, evaluate, generate_sample, resolve, train
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
    datasets = {entity: name for name, entity in cfg.sample.entities.items()}
    lines = ["", f"Demo run {run_id}"]
    for e in cfg.in_dependency_order():
        r = results[e.name]
        generated = sample.get(datasets.get(e.name, ""), {})
        lines += entity_lines(spark, cfg, e, generated, r["features"], r["resolve"], r["report"])
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
