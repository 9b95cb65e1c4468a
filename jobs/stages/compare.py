"""A/B impact of replacing model A by model B: pairs gained and lost, groups merged and split.

Both models score the same feature tables and cluster (or assign) their
records; nothing is published. What differs is written to the
`model_comparison` Delta table (one row per kind of change, with a few
examples; see splink_models.impact). A model is a ref (jobs.runtime.registry):
a JSON path, a registry version (3), an alias (@champion) or a models:/ URI.
For a link entity a record's group is the group it is assigned to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from features.schemas import MODEL_COMPARISON, conform
from jobs.runtime.config import AppConfig
from jobs.runtime.delta import write_table
from jobs.runtime.job import stage
from jobs.runtime.registry import CHALLENGER, CHAMPION, lifecycle, load_model
from jobs.stages.common import run_scope
from jobs.stages.kinds import kind_module
from jobs.stages.resolve import Resolution, resolve_unpublished
from splink_models.impact import ImpactLine, group_changes, pair_changes, summarise

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Comparison:
    model_a: str  # the refs as resolved
    model_b: str
    lines: list[ImpactLine]
    a: Resolution  # each model's pairs and groups (checkpointed), for callers that dig deeper
    b: Resolution
    table: str  # where the comparison was written

    def count(self, change: str) -> int:
        return next(line.count for line in self.lines if line.change == change)


def compare(
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
    loaded = {
        tag: load_model(cfg, entity, e.model_module, ref) for tag, ref in (("a", a), ("b", b))
    }
    resolved = {}
    for tag, model in loaded.items():
        with stage(f"resolve {tag.upper()}: {model.source}"):
            resolved[tag] = resolve_unpublished(spark, cfg, e, model.model, run_id)
    kind = kind_module(e)
    with stage("compare"):
        pairs_a, groups_a, group_column = kind.comparable(
            cfg, e, resolved["a"].pairs, resolved["a"].outputs
        )
        pairs_b, groups_b, _ = kind.comparable(cfg, e, resolved["b"].pairs, resolved["b"].outputs)
        pairs = pair_changes(pairs_a, pairs_b, id_column=e.id_column)
        groups = group_changes(
            groups_a, groups_b, id_column=e.id_column, group_column=group_column
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
            float(e.threshold),
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
        replace_where=run_scope(entity, run_id),
    )
    return Comparison(
        loaded["a"].source, loaded["b"].source, lines, resolved["a"], resolved["b"], table
    )


def summary_lines(threshold: float, result: Comparison) -> list[str]:
    """The comparison as printed: each kind of change, its count and examples."""
    lines = [
        "",
        f"Compare A {result.model_a}",
        f"     to B {result.model_b}   (p >= {threshold})",
    ]
    for line in result.lines:
        lines.append(f"  {line.change:<18} {line.count:>9,}")
        lines += [f"      {example}" for example in line.examples]
    lines.append(f"  table              {result.table}")
    return lines
