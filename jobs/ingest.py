"""Ingest your own catalog: files mapped onto an entity's input table by a YAML source mapping.

    spark-submit --packages io.delta:delta-spark_4.2_2.13:4.4.0 --py-files dist/music_resolution.zip \\
        jobs/ingest.py --profile cluster --mapping conf/sources/itunes_amazon.yaml \\
        --datasets-dir /data/benchmarks
    python -m jobs.ingest --mapping conf/sources/itunes_amazon.yaml --datasets-dir ../shared/datasets

Each source (CSV, JSON lines, Parquet or Delta) is read, its columns parsed
onto the entity's input contract (TRACK_INPUT, VIDEO_INPUT), and all of them
written as one input table, atomically. Nothing is dropped silently: a row
without an id is excluded, a value no parser could read is nulled, and each
gets a quarantine row whose reason starts with 'ingest: '. The features stage
then runs on the table as on any other input.

A mapping's ``labelled_pairs`` (golden data as pairs: left id, right id,
label, split) are written to the entity's labelled pairs table, their ids
made into record ids the way the sources' are; rows without both ids or a
readable label are left out and counted.
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import reduce
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from features.parsing import (
    map_labelled_pairs,
    map_source,
    mapped_counts,
    mapped_quarantine,
    mapped_records,
)
from features.schemas import labelled_pairs_schema
from jobs._mapping import CatalogMapping, LabelledPairsMapping, SourceMapping, load_mapping
from jobs._pipeline import write_quarantine
from jobs._runtime import AppConfig, ConfigError, conform, stage, start_job, write_table

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FieldCount:
    """Present values of one field in one source: kept as parsed, or nulled with a reason."""

    kept: int
    nulled: int

    @property
    def parse_rate(self) -> float | None:
        present = self.kept + self.nulled
        return self.kept / present if present else None


@dataclass(frozen=True)
class IngestResult:
    entity: str
    linkage: str
    input_table: str
    rows_read: dict[str, int]  # per source
    rows_excluded: dict[str, int]  # per source: no id, or a row Spark could not parse
    rows_written: int
    fields: dict[str, dict[str, FieldCount]]  # source -> field -> counts
    quarantine_by_reason: dict[str, int] = field(default_factory=dict)  # "field: reason" -> n
    # the mapping's labelled pairs: rows written per split ("" when unsplit), rows
    # left out per reason, and the table they went to
    labelled_pairs: dict[str, int] = field(default_factory=dict)
    labelled_pairs_excluded: dict[str, int] = field(default_factory=dict)
    labelled_pairs_table: str | None = None


def _target(cfg: AppConfig, entity: str) -> tuple[str, str]:
    """(id column, input table) of an entity type: a section under entities, or videos."""
    videos = getattr(cfg, "videos", None)
    if entity == "videos" and videos is not None:
        return videos.id_column, videos.input_table
    e = cfg.entity(entity)  # a ConfigError naming the configured entity types if absent
    return e.id_column, e.input_table


def _check_path(source: SourceMapping, mapping: CatalogMapping) -> None:
    if "://" in source.path and not source.path.startswith("file://"):
        return  # object stores: Spark reports what it cannot find
    local = source.path.removeprefix("file://")
    if not glob.glob(local):
        raise ConfigError(
            f"source {source.name!r} of mapping {mapping.file}: {source.path} does not exist "
            f"(sources.{source.name}.path; {{datasets}} is filled from --datasets-dir)"
        )


def read_source(spark: SparkSession, source: SourceMapping) -> DataFrame:
    """One source as Spark reads it: CSV columns all strings, JSON, Parquet and Delta typed."""
    return spark.read.options(**source.options).format(source.format).load(source.path)


def _missing_columns(source: SourceMapping, raw: DataFrame) -> list[str]:
    """'key: column is not a column of path (it has: ...)' for each mapped column the file lacks."""
    wanted = [("id.column", source.id_column)] + [
        (f"columns.{f.field}", f.column) for f in source.fields
    ]
    return [
        f"sources.{source.name}.{key}: {column!r} is not a column of {source.path} "
        f"(it has: {', '.join(raw.columns)})"
        for key, column in wanted
        if column not in raw.columns
    ]


def run(
    spark: SparkSession,
    cfg: AppConfig,
    *,
    mapping_path: str | Path,
    datasets_dir: str | Path | None,
    run_id: str,
) -> IngestResult:
    mapping = load_mapping(mapping_path, datasets_dir=datasets_dir)
    id_column, input_table = _target(cfg, mapping.entity)
    if id_column != mapping.id_field:
        raise ConfigError(
            f"entity {mapping.entity}: config id_column {id_column!r} is not the input "
            f"contract's id {mapping.id_field!r}"
        )
    contract = mapping.contract
    with stage(f"read {len(mapping.sources)} sources of {mapping.file.name}"):
        raws = {}
        for source in mapping.sources:
            _check_path(source, mapping)
            raws[source.name] = read_source(spark, source)
        missing = [p for s in mapping.sources for p in _missing_columns(s, raws[s.name])]
        if missing:
            raise ConfigError(
                f"source mapping {mapping.file} names columns its files lack:\n  - "
                + "\n  - ".join(missing)
            )
    with stage(f"parse onto {mapping.entity} input"):
        mapped = reduce(
            DataFrame.unionByName,
            [
                map_source(
                    raws[s.name],
                    source=s.name,
                    contract=contract,
                    id_field=mapping.id_field,
                    id_column=s.id_column,
                    id_prefix=s.id_prefix,
                    fields=s.fields,
                )
                for s in mapping.sources
            ],
        ).localCheckpoint()  # read and parsed once for the table, quarantine and counts
    table_path = cfg.table_path(input_table)
    with stage(f"write {mapping.entity} input table"):
        write_table(conform(mapped_records(mapped, contract), contract), table_path, contract)
        quarantine = mapped_quarantine(
            mapped, entity_type=mapping.entity, id_field=mapping.id_field, run_id=run_id
        )
        write_quarantine(cfg, mapping.entity, quarantine, stage="ingest")
    result = _summarise(mapping, mapped, quarantine, table_path)
    if mapping.labelled_pairs is not None:
        with stage(f"write labelled pairs of {mapping.file.name}"):
            result = _write_labelled_pairs(spark, cfg, mapping, mapping.labelled_pairs, result)
    _log_summary(result)
    return result


def _labelled_pairs_table(cfg: AppConfig, mapping: CatalogMapping) -> str:
    table = None
    if mapping.entity in cfg.entities:
        table = cfg.entity(mapping.entity).labelled_pairs_table
    if not table:
        raise ConfigError(
            f"mapping {mapping.file} has labelled_pairs but entity {mapping.entity!r} has no "
            f"labelled pairs table: set entities.{mapping.entity}.tables.labelled_pairs"
        )
    return table


def read_labelled_pair_files(
    spark: SparkSession, mapping: CatalogMapping, labels: LabelledPairsMapping
) -> DataFrame:
    """Every labelled-pairs file as ``map_labelled_pairs`` rows (``_problem`` null when usable)."""
    frames = []
    for split, path in labels.files:
        local = path.removeprefix("file://")
        if "://" not in local and not glob.glob(local):
            key = f"labelled_pairs.files.{split}" if split is not None else "labelled_pairs.path"
            raise ConfigError(
                f"mapping {mapping.file}: {path} does not exist ({key}; "
                "{datasets} is filled from --datasets-dir)"
            )
        raw = spark.read.options(**labels.options).format(labels.format).load(path)
        wanted = [labels.left.column, labels.right.column, labels.label_column]
        wanted += [labels.split_column] if labels.split_column else []
        missing = [c for c in wanted if c not in raw.columns]
        if missing:
            raise ConfigError(
                f"mapping {mapping.file}: labelled pairs file {path} lacks columns {missing} "
                f"(it has: {', '.join(raw.columns)})"
            )
        frames.append(
            map_labelled_pairs(
                raw,
                id_field=mapping.id_field,
                left_column=labels.left.column,
                left_prefix=labels.left.id_prefix,
                right_column=labels.right.column,
                right_prefix=labels.right.id_prefix,
                label_column=labels.label_column,
                split=split,
                split_column=labels.split_column,
            )
        )
    return reduce(DataFrame.unionByName, frames)


def _write_labelled_pairs(
    spark: SparkSession,
    cfg: AppConfig,
    mapping: CatalogMapping,
    labels: LabelledPairsMapping,
    result: IngestResult,
) -> IngestResult:
    """Write the usable labelled pairs to the entity's labelled pairs table (replacing it)."""
    table_path = cfg.table_path(_labelled_pairs_table(cfg, mapping))
    mapped = read_labelled_pair_files(spark, mapping, labels).localCheckpoint()
    contract = labelled_pairs_schema(mapping.id_field)
    usable = mapped.where(F.col("_problem").isNull())
    write_table(conform(usable, contract), table_path, contract)
    written = {r["split"] or "": int(r["count"]) for r in usable.groupBy("split").count().collect()}
    excluded = {
        r["_problem"]: int(r["count"])
        for r in mapped.where(F.col("_problem").isNotNull()).groupBy("_problem").count().collect()
    }
    return replace(
        result,
        labelled_pairs=dict(sorted(written.items())),
        labelled_pairs_excluded=excluded,
        labelled_pairs_table=table_path,
    )


def _summarise(
    mapping: CatalogMapping, mapped: DataFrame, quarantine: DataFrame, table_path: str
) -> IngestResult:
    names = list(dict.fromkeys(f.field for s in mapping.sources for f in s.fields))
    counts = {r["source"]: r for r in mapped_counts(mapped, names).collect()}
    mapped_fields = {s.name: [f.field for f in s.fields] for s in mapping.sources}
    by_reason = {
        f"{r['field']}: {r['reason']}": int(r["count"])
        for r in quarantine.groupBy("field", "reason").count().orderBy("field", "reason").collect()
    }
    rows_read = {
        s.name: int(counts[s.name]["rows"]) if s.name in counts else 0 for s in mapping.sources
    }
    excluded = {
        s.name: int(counts[s.name]["excluded"]) if s.name in counts else 0 for s in mapping.sources
    }
    return IngestResult(
        entity=mapping.entity,
        linkage=mapping.linkage,
        input_table=table_path,
        rows_read=rows_read,
        rows_excluded=excluded,
        rows_written=sum(rows_read.values()) - sum(excluded.values()),
        fields={
            s: {
                f: FieldCount(int(row[f"{f}__kept"]), int(row[f"{f}__nulled"]))
                for f in mapped_fields[s]
            }
            for s, row in counts.items()
        },
        quarantine_by_reason=by_reason,
    )


def _log_summary(result: IngestResult) -> None:
    logger.info(
        "ingest %s (%s): %s -> %d rows written to %s, %d excluded",
        result.entity,
        result.linkage,
        ", ".join(f"{s} {n} rows" for s, n in result.rows_read.items()),
        result.rows_written,
        result.input_table,
        sum(result.rows_excluded.values()),
    )
    for source, fields in result.fields.items():
        for name, c in fields.items():
            rate = c.parse_rate
            logger.info(
                "  %s.%s: %d values kept, %d nulled%s",
                source,
                name,
                c.kept,
                c.nulled,
                f" ({rate:.2%} parsed)" if rate is not None and c.nulled else "",
            )
    for reason, n in result.quarantine_by_reason.items():
        logger.info("  quarantine %s: %d", reason, n)
    if result.labelled_pairs_table:
        logger.info(
            "labelled pairs: %s -> %s",
            ", ".join(f"{split or 'unsplit'} {n}" for split, n in result.labelled_pairs.items()),
            result.labelled_pairs_table,
        )
    for reason, n in result.labelled_pairs_excluded.items():
        logger.info("  labelled pairs left out, %s: %d", reason, n)


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
    main()
