"""A/B impact of replacing model A by model B: pairs gained and lost, groups merged and split.

Both models score and cluster the same feature table (nothing is published);
what differs is written to the `model_comparison` Delta table (one row per
kind of change, with a few examples; see splink_models.impact) and printed.
A model is a ref (jobs._registry): a JSON path, a registry version (3), an
alias (@champion) or a models:/ URI.

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/compare.py --profile cluster --entity recordings --a @champion --b @challenger
    python -m jobs.compare --entity recordings --a @champion --b @challenger
    python -m jobs.compare --entity recordings --a 1 --b data/models/recordings/<version>.json
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from features.schemas import MODEL_COMPARISON
from jobs._pipeline import Resolution, contracts, resolve_unpublished
from jobs._registry import CHALLENGER, CHAMPION, lifecycle, load_model
from jobs._runtime import AppConfig, conform, read_table, stage, start_job, write_table
from splink_models.impact import ImpactLine, group_changes, pair_changes, summarise

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Comparison:
    model_a: str  # the refs as resolved
    model_b: str
    lines: list[ImpactLine]
    a: Resolution  # each model's pairs and groups (checkpointed), for callers that dig deeper
    b: Resolution

    def count(self, change: str) -> int:
        return next(line.count for line in self.lines if line.change == change)


def run(
    spark: SparkSession,
    cfg: AppConfig,
    *,
    entity: str,
    run_id: str,
    a: str = f"@{CHAMPION}",
    b: str = f"@{CHALLENGER}",
    n_examples: int = 3,
) -> Comparison:
    e = cfg.entity(entity)
    features = read_table(spark, cfg.table_path(e.features_table), contracts(e).features)
    loaded = {
        tag: load_model(cfg, entity, e.model_module, ref) for tag, ref in (("a", a), ("b", b))
    }
    resolved = {}
    for tag, model in loaded.items():
        with stage(f"resolve {tag.upper()}: {model.source}"):
            resolved[tag] = resolve_unpublished(spark, e, features, model.model, run_id)
    with stage("compare"):
        pairs = pair_changes(resolved["a"].pairs, resolved["b"].pairs, id_column=e.id_column)
        groups = group_changes(
            resolved["a"].groups,
            resolved["b"].groups,
            id_column=e.id_column,
            group_column=e.group_column,
        ).checkpoint()
        lines = summarise(pairs.checkpoint(), groups, id_column=e.id_column, n_examples=n_examples)
    rows = [
        (
            entity,
            run_id,
            loaded["a"].source,
            loaded["b"].source,
            loaded["a"].model.version,
            loaded["b"].model.version,
            float(e.clustering.threshold),
            line.change,
            line.count,
            list(line.examples),
        )
        for line in lines
    ]
    frame = spark.createDataFrame(
        rows,
        "entity_type string, run_id string, model_a string, model_b string, "
        "model_version_a string, model_version_b string, threshold double, change string, "
        "count bigint, examples array<string>",
    ).withColumn("compared_at", F.current_timestamp())
    table = cfg.table_path(lifecycle(cfg).comparison_table)
    write_table(
        conform(frame, MODEL_COMPARISON),
        table,
        MODEL_COMPARISON,
        replace_where=f"entity_type = '{entity}' AND run_id = '{run_id}'",
    )
    result = Comparison(loaded["a"].source, loaded["b"].source, lines, resolved["a"], resolved["b"])
    _log_summary(e.clustering.threshold, result, table)
    return result


def _log_summary(threshold: float, result: Comparison, table: str) -> None:
    lines = [
        "",
        f"Compare A {result.model_a}",
        f"     to B {result.model_b}   (p >= {threshold})",
    ]
    for line in result.lines:
        lines.append(f"  {line.change:<18} {line.count:>9,}")
        lines += [f"      {example}" for example in line.examples]
    lines.append(f"  table              {table}")
    logger.info("\n".join(lines))


def main(argv: Sequence[str] | None = None) -> None:
    def extra(parser) -> None:
        parser.add_argument("--a", default=f"@{CHAMPION}", help="model A (default @champion)")
        parser.add_argument("--b", default=f"@{CHALLENGER}", help="model B (default @challenger)")
        parser.add_argument("--examples", type=int, default=3, help="examples per kind of change")

    ctx = start_job(__doc__, argv, extra)
    run(
        ctx.spark,
        ctx.cfg,
        entity=ctx.args.entity,
        run_id=ctx.run_id,
        a=ctx.args.a,
        b=ctx.args.b,
        n_examples=ctx.args.examples,
    )


if __name__ == "__main__":
    main()
