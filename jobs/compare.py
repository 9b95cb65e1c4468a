"""A/B impact of replacing model A by model B: pairs gained and lost, groups merged and split.

Both models score and cluster (or assign) the same feature tables; nothing
is published. What differs goes to the `model_comparison` Delta table and is
printed. A model is a ref: a JSON path, a registry version (3), an alias
(@champion) or a models:/ URI.

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/compare.py --profile cluster --entity recordings --a @champion --b @challenger
    python -m jobs.compare --entity recordings --a @champion --b @challenger
    python -m jobs.compare --entity recordings --a 1 --b data/models/recordings/<version>.json
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pyspark.sql import SparkSession

from jobs.runtime.config import AppConfig
from jobs.runtime.job import run_main, start_job
from jobs.runtime.registry import CHALLENGER, CHAMPION
from jobs.stages.compare import Comparison, compare, summary_lines

logger = logging.getLogger(__name__)


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
    result = compare(
        spark, cfg, entity=entity, run_id=run_id, a=a, b=b, n_examples=n_examples
    )
    logger.info("\n".join(summary_lines(cfg.entity(entity).threshold, result)))
    return result


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
    run_main(main)
