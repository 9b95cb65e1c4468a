"""Ingest your own catalog: files mapped onto an entity's input table by a YAML source mapping.

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/ingest.py --profile cluster --mapping conf/sources/itunes_amazon.yaml \\
        --datasets-dir /data/benchmarks
    python -m jobs.ingest --mapping conf/sources/itunes_amazon.yaml --datasets-dir ../shared/datasets

Each source (CSV, JSON lines, Parquet or Delta) is parsed onto the mapping's
entity's input contract and written as one input table; what cannot be read
goes to the quarantine with a reason starting 'ingest: '. A mapping's
labelled pairs go to the entity's labelled pairs table.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import SparkSession

from jobs.runtime.config import AppConfig
from jobs.runtime.job import run_main, start_job
from jobs.stages.ingest import IngestResult, ingest, summary_lines

logger = logging.getLogger(__name__)


def run(
    spark: SparkSession,
    cfg: AppConfig,
    *,
    mapping_path: str | Path,
    datasets_dir: str | Path | None,
    run_id: str,
) -> IngestResult:
    result = ingest(
        spark, cfg, mapping_path=mapping_path, datasets_dir=datasets_dir, run_id=run_id
    )
    logger.info("\n".join(summary_lines(result)))
    return result


def main(argv: Sequence[str] | None = None) -> IngestResult:
    def add_args(parser) -> None:
        parser.add_argument("--mapping", required=True, help="source mapping (conf/sources/*.yaml)")
        parser.add_argument(
            "--datasets-dir",
            default=os.environ.get("MUSIC_RES_DATASETS"),
            help="fills {datasets} in the mapping's paths (default: $MUSIC_RES_DATASETS)",
        )

    ctx = start_job(__doc__, argv, add_args, entity=False)
    return run(
        ctx.spark,
        ctx.cfg,
        mapping_path=ctx.args.mapping,
        datasets_dir=ctx.args.datasets_dir,
        run_id=ctx.run_id,
    )


if __name__ == "__main__":
    run_main(main)
