"""A tuning sample for notebooks: whole blocks of the feature table with their golden labels."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs.runtime.config import AppConfig, EntityConfig
from jobs.runtime.delta import read_table, table_exists
from jobs.stages.common import read_features


def export_tuning_sample(
    spark: SparkSession,
    cfg: AppConfig,
    entity: EntityConfig,
    *,
    rows: int,
    block_key: str,
    out_dir: str | Path,
    label_column: str = "truth",
) -> Path:
    """About ``rows`` records of the feature table as Parquet, for Splink on DuckDB.

    Whole blocks of ``block_key`` are kept (features.sampling), so matching
    records stay together. With a golden cluster table, its truth column comes
    along as ``label_column`` for Splink's accuracy charts (null when absent).
    """
    from features.sampling import sample_blocks

    features = read_features(spark, cfg, entity)
    total = features.count()
    fraction = rows / total if total else 1.0
    sample = sample_blocks(features, key=block_key, fraction=fraction, null_key_by=entity.id_column)
    golden_path = cfg.table_path(entity.golden_table or "")
    if entity.golden and entity.golden_table and table_exists(spark, golden_path):
        golden = read_table(spark, golden_path).select(
            entity.id_column, F.col(entity.golden.truth_column).alias(label_column)
        )
        sample = sample.join(golden, entity.id_column, "left")
    else:
        sample = sample.withColumn(label_column, F.lit(None).cast("string"))
    out = Path(out_dir)
    sample.coalesce(1).write.mode("overwrite").parquet(str(out))
    return out
