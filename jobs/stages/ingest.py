"""Ingest a catalog: files mapped onto an entity's input table by a YAML source mapping.

Each source (CSV, JSON lines, Parquet or Delta) is read, its columns parsed
onto the entity's input contract, and all of them written as one input
table, atomically. Nothing is dropped silently: a row without an id is
excluded, a value no parser could read is nulled, and each gets a
quarantine row whose reason starts with 'ingest: '. The features stage then
runs on the table as on any other input.

A mapping's ``labelled_pairs`` (golden data as pairs: left id, right id,
label, split) are written to the entity's labelled pairs table, their ids
made into record ids the way the sources' are; rows without both ids or a
readable label are left out and counted. The golden truth, as ``golden_pairs``
(a closed world's duplicate pairs) or as ``golden_clusters`` (a source column
holding each record's true cluster id), becomes the entity's golden table.
"""

from __future__ import annotations

import glob
import logging
from dataclasses import dataclass, field, replace
from functools import reduce
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from features.errors import ConfigError, ResolutionError
from features.parsing import (
    clean_text,
    keep_first_in_order,
    map_labelled_pairs,
    map_source,
    mapped_counts,
    mapped_quarantine,
    mapped_records,
    record_id,
)
from features.records import READER_COLUMNS
from features.schemas import conform, labelled_pairs_schema
from jobs.runtime.config import AppConfig
from jobs.runtime.delta import write_table
from jobs.runtime.job import stage
from jobs.runtime.mapping import (
    ID_SEPARATOR,
    CatalogMapping,
    GoldenClustersMapping,
    LabelledPairsMapping,
    SourceMapping,
    load_mapping,
)
from jobs.stages.common import (
    contracts,
    entity_table,
    gate_quarantine,
    with_null_fields,
    write_quarantine,
)
from jobs.stages.sources import SourceLines, read_table_source, read_text_source
from splink_models.clustering import connected_components
from splink_models.frames import union_all

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
class SourceAccount:
    """Where one source's input went: lines (text formats) or records, written or quarantined.

    For a text source ``lines`` = ``header`` + ``blank`` + ``lines_written`` +
    ``lines_quarantined``; for Parquet or Delta ``records_read`` = written +
    quarantined. A malformed line is a quarantined record of one line.
    """

    records_read: int
    records_written: int
    records_quarantined: int
    lines: int | None = None
    header: int = 0
    blank: int = 0
    lines_written: int = 0
    lines_quarantined: int = 0

    def problem(self) -> str | None:
        """What does not add up, or None."""
        if self.records_read != self.records_written + self.records_quarantined:
            return (
                f"{self.records_read} records read, {self.records_written} written + "
                f"{self.records_quarantined} quarantined"
            )
        if self.lines is not None:
            accounted = self.header + self.blank + self.lines_written + self.lines_quarantined
            if self.lines != accounted:
                return (
                    f"{self.lines} lines read, {accounted} accounted for ({self.header} header, "
                    f"{self.blank} blank, {self.lines_written} in records written, "
                    f"{self.lines_quarantined} quarantined)"
                )
        return None


def check_accounts(result: IngestResult) -> None:
    """Fail the ingest, naming the numbers, when any source's input is not all accounted for."""
    problems = [
        f"{name}: {why}"
        for name, account in result.accounts.items()
        if (why := account.problem()) is not None
    ]
    if problems:
        raise ResolutionError(
            f"ingest of {result.entity} lost input (nothing written):\n  - "
            + "\n  - ".join(problems)
        )


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
    accounts: dict[str, SourceAccount] = field(default_factory=dict)  # per source
    # the mapping's labelled pairs: rows written per split ("" when unsplit), rows
    # left out per reason, and the table they went to
    labelled_pairs: dict[str, int] = field(default_factory=dict)
    labelled_pairs_excluded: dict[str, int] = field(default_factory=dict)
    labelled_pairs_table: str | None = None
    # the mapping's golden pairs: pairs used, pairs left out per reason, the golden table
    golden_pairs: int = 0
    golden_pairs_excluded: dict[str, int] = field(default_factory=dict)
    golden_table: str | None = None
    golden_from: str | None = None  # the mapping section it came from: golden_pairs / _clusters
    # the mapping's golden clusters: records given a true cluster (and how many clusters
    # they make), records of the source left out per reason (no cluster id)
    golden_records: int = 0
    golden_clusters: int = 0
    golden_records_excluded: dict[str, int] = field(default_factory=dict)


def _target(cfg: AppConfig, entity: str) -> tuple[str, str]:
    """(id column, input table) of an entity type (a ConfigError naming the configured ones)."""
    e = cfg.entity(entity)
    return e.id_column, e.input_table


def _matches_nothing(path: str) -> bool:
    """A local path or glob (file:// or none) that names no file; object stores: Spark says."""
    local = path.removeprefix("file://")
    return "://" not in local and not glob.glob(local)


def _check_paths(mapping: CatalogMapping) -> None:
    """Every source whose path matches nothing, in one error."""
    missing = [
        f"{source.path} (sources.{source.name}.path)"
        for source in mapping.sources
        if _matches_nothing(source.path)
    ]
    if missing:
        raise ConfigError(
            f"mapping {mapping.file}: these sources do not exist ({{datasets}} is filled from "
            "--datasets-dir):\n  - " + "\n  - ".join(missing)
        )


def read_source(spark: SparkSession, source: SourceMapping) -> tuple[DataFrame, SourceLines | None]:
    """One source with the reader's columns (``features.records``) and, for text, its lines.

    CSV columns are all strings; JSON values typed as Spark infers them;
    Parquet and Delta as stored.
    """
    fmt = source.text_format()
    if fmt is None:
        return read_table_source(spark, source), None
    return read_text_source(spark, source, fmt)


def _quoted(name: str) -> Column:
    return F.col("`" + name.replace("`", "``") + "`")


def _missing_columns(
    source: SourceMapping,
    raw: DataFrame,
    lines: SourceLines | None,
    clusters: GoldenClustersMapping | None,
) -> list[str]:
    """'key: column is not a column of path (it has: ...)' for each mapped column the files lack.

    A CSV source's files are checked one by one: each has its own header.
    """
    id_key = "id.column" if len(source.id_columns) == 1 else "id.columns"
    wanted = [(f"sources.{source.name}.{id_key}", c) for c in source.id_columns]
    wanted += [(f"sources.{source.name}.columns.{f.field}", f.column) for f in source.fields]
    if clusters is not None and clusters.source == source.name:
        wanted.append(("golden_clusters.column", clusters.column))
    if lines is not None and lines.columns_by_file:
        return [
            f"{key}: {column!r} is not a column of {path} (it has: {', '.join(columns)})"
            for path, columns in sorted(lines.columns_by_file.items())
            for key, column in wanted
            if columns and column not in columns
        ]
    own = [c for c in raw.columns if c not in READER_COLUMNS]
    return [
        f"{key}: {column!r} is not a column of {source.path} (it has: {', '.join(own)})"
        for key, column in wanted
        if column not in raw.columns
    ]


def with_id_column(raw: DataFrame, source: SourceMapping) -> DataFrame:
    """A source whose id is several columns gets ``source.id_column`` joining their values.

    ``map_source`` reads one id column; each part is trimmed, and a blank part
    leaves the record without an id (excluded and quarantined, as a blank id is).
    """
    if len(source.id_columns) == 1:
        return raw
    parts = [record_id(_quoted(c)) for c in source.id_columns]
    joined = [parts[0]]
    for part in parts[1:]:
        joined += [F.lit(ID_SEPARATOR), part]
    return raw.withColumn(source.id_column, F.concat(*joined))


def ingest(
    spark: SparkSession,
    cfg: AppConfig,
    *,
    mapping_path: str | Path,
    datasets_dir: str | Path | None,
    run_id: str,
) -> IngestResult:
    mapping = load_mapping(
        mapping_path,
        datasets_dir=datasets_dir,
        entity_contracts={e.name: e.contracts for e in cfg.entities.values()},
    )
    id_column, input_table = _target(cfg, mapping.entity)
    quarantined_as = mapping.entity  # the quarantine's entity_type (each replaces its own rows)
    if mapping.table != "input":  # another input table of the entity (a feed, credits)
        input_table, _ = entity_table(cfg.entity(mapping.entity), mapping.table)
        id_column = mapping.id_field
        quarantined_as = f"{mapping.entity}.{mapping.table}"
    if id_column != mapping.id_field:
        raise ConfigError(
            f"entity {mapping.entity}: config id_column {id_column!r} is not the input "
            f"contract's id {mapping.id_field!r}"
        )
    truth = _golden_truth(cfg, mapping, mapping.golden_clusters) if mapping.golden_clusters else ""
    contract = mapping.contract
    with stage(f"read {len(mapping.sources)} sources of {mapping.file.name}"):
        _check_paths(mapping)
        raws, lines = {}, {}
        for source in mapping.sources:
            raws[source.name], lines[source.name] = read_source(spark, source)
        missing = [
            p
            for s in mapping.sources
            for p in _missing_columns(s, raws[s.name], lines[s.name], mapping.golden_clusters)
        ]
        if missing:
            raise ConfigError(
                f"source mapping {mapping.file} names columns its files lack:\n  - "
                + "\n  - ".join(missing)
            )
        raws = {s.name: with_id_column(raws[s.name], s) for s in mapping.sources}
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
        )
        if mapping.table == "input":  # a record id names one record; other tables repeat ids
            mapped = keep_first_in_order(mapped, mapping.id_field, [s.name for s in mapping.sources])
        mapped = mapped.localCheckpoint()  # read and parsed once for the table, quarantine, counts
        quarantine = mapped_quarantine(
            mapped, entity_type=quarantined_as, id_field=mapping.id_field, run_id=run_id
        )
        table_path = cfg.table_path(input_table)
        # what each source holds, counted apart from the parsed rows: the parser's
        # records and malformed lines, or Spark's row count of a Parquet / Delta source
        held = {
            s.name: raws[s.name].count() if lines[s.name] is None else None
            for s in mapping.sources
        }
        result = _summarise(mapping, mapped, quarantine, table_path, lines, held)
        check_accounts(result)  # before anything is written
    with stage(f"write {mapping.entity} input table"):
        write_quarantine(cfg, quarantined_as, quarantine, stage="ingest")
        read = sum(a.records_read for a in result.accounts.values())
        gate_quarantine(cfg, f"{mapping.file.name} -> {input_table}", read, quarantine)
        write_table(conform(mapped_records(mapped, contract), contract), table_path, contract)
    if mapping.labelled_pairs is not None:
        with stage(f"write labelled pairs of {mapping.file.name}"):
            result = _write_labelled_pairs(spark, cfg, mapping, mapping.labelled_pairs, result)
    if mapping.golden_pairs is not None:
        with stage(f"write golden clusters of {mapping.file.name}"):
            result = _write_golden_clusters(spark, cfg, mapping, mapping.golden_pairs, result)
    if mapping.golden_clusters is not None:
        clusters = mapping.golden_clusters
        with stage(f"write golden clusters of {mapping.file.name} from {clusters.source}"):
            result = _write_golden_from_column(
                spark, cfg, mapping, clusters, truth, raws[clusters.source], result
            )
    return result


def _labelled_pairs_table(cfg: AppConfig, mapping: CatalogMapping) -> str:
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
        if _matches_nothing(path):
            section = "labelled_pairs" if labels.label_column else "golden_pairs"
            key = f"{section}.files.{split}" if split is not None else f"{section}.path"
            raise ConfigError(
                f"mapping {mapping.file}: {path} does not exist ({key}; "
                "{datasets} is filled from --datasets-dir)"
            )
        raw = spark.read.options(**labels.options).format(labels.format).load(path)
        wanted = [labels.left.column, labels.right.column]
        wanted += [labels.label_column] if labels.label_column else []
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
    return union_all(frames)


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


def _write_golden_clusters(
    spark: SparkSession,
    cfg: AppConfig,
    mapping: CatalogMapping,
    pairs: LabelledPairsMapping,
    result: IngestResult,
) -> IngestResult:
    """The entity's golden table from a closed world's duplicate pairs: their connected components.

    Every ingested record is in one true cluster: the components of the
    listed pairs, and every other record on its own. A listed pair naming a
    record the sources lack is left out and counted.
    """
    entity = cfg.entity(mapping.entity)
    if not entity.golden_table or entity.golden is None:
        raise ConfigError(
            f"mapping {mapping.file} has golden_pairs but entity {entity.name!r} has no golden "
            f"table: set entities.{entity.name}.tables.golden and .golden.truth_column"
        )
    idc = mapping.id_field
    records = spark.read.format("delta").load(result.input_table).select(
        F.col(idc).alias("node")
    ).where(F.col("node").isNotNull()).distinct()
    mapped = read_labelled_pair_files(spark, mapping, pairs).localCheckpoint()
    usable = mapped.where(F.col("_problem").isNull())
    edges = usable.select(F.col(f"{idc}_l").alias("node_l"), F.col(f"{idc}_r").alias("node_r"))
    known = edges.join(records.withColumnRenamed("node", "node_l"), "node_l").join(
        records.withColumnRenamed("node", "node_r"), "node_r"
    )
    unknown = edges.count() - known.count()
    clusters = connected_components(known, records)
    contract = contracts(entity).golden
    golden = clusters.select(
        F.col("node").alias(idc),
        F.concat(F.lit("c"), F.col("component").cast("string")).alias(entity.golden.truth_column),
    )
    write_table(
        with_null_fields(golden, contract), cfg.table_path(entity.golden_table), contract
    )
    excluded = {
        r["_problem"]: int(r["count"])
        for r in mapped.where(F.col("_problem").isNotNull()).groupBy("_problem").count().collect()
    }
    if unknown:
        excluded["a record of the pair is not among the ingested records"] = unknown
    return replace(
        result,
        golden_pairs=known.count(),
        golden_pairs_excluded=excluded,
        golden_table=cfg.table_path(entity.golden_table),
        golden_from="golden_pairs",
    )


def _golden_truth(cfg: AppConfig, mapping: CatalogMapping, clusters: GoldenClustersMapping) -> str:
    """The golden contract field ``golden_clusters`` fills, checked before anything is written."""
    entity = cfg.entity(mapping.entity)
    truth = clusters.truth or (entity.golden.truth_column if entity.golden else None)
    golden = contracts(entity).golden
    if not entity.golden_table or truth is None or golden is None:
        raise ConfigError(
            f"mapping {mapping.file} has golden_clusters but entity {entity.name!r} has no "
            f"golden table: set entities.{entity.name}.tables.golden and, unless "
            "golden_clusters.truth names the field, .golden.truth_column"
        )
    fields = [f.name for f in golden.fields if f.name != mapping.id_field]
    if truth not in fields:
        key = (
            "golden_clusters.truth"
            if clusters.truth
            else f"entities.{entity.name}.golden.truth_column (golden_clusters.truth unset)"
        )
        raise ConfigError(
            f"mapping {mapping.file}: {key} is {truth!r}, not a field of entity "
            f"{entity.name!r}'s golden contract (fields: {fields})"
        )
    return truth


def _write_golden_from_column(
    spark: SparkSession,
    cfg: AppConfig,
    mapping: CatalogMapping,
    clusters: GoldenClustersMapping,
    truth: str,
    raw: DataFrame,
    result: IngestResult,
) -> IngestResult:
    """The entity's golden table from a source column holding each record's true cluster id.

    One row per ingested record of the source whose value is present (trimmed),
    its id made as the input table's is; a record without a value is in no
    true cluster: left out and counted. Records ingest excluded (no id) are
    already counted as excluded rows, not again here.
    """
    entity = cfg.entity(mapping.entity)
    contract = contracts(entity).golden
    assert entity.golden_table is not None and contract is not None  # _golden_truth checked
    idc = mapping.id_field
    source = next(s for s in mapping.sources if s.name == clusters.source)
    ingested = spark.read.format("delta").load(result.input_table).select(idc)
    labelled = (
        raw.select(
            record_id(_quoted(source.id_column), source.id_prefix).alias(idc),
            clean_text(_quoted(clusters.column)).alias(truth),
        )
        .join(ingested, idc, "left_semi")
        .localCheckpoint()
    )
    golden = labelled.where(F.col(truth).isNotNull())
    table_path = cfg.table_path(entity.golden_table)
    write_table(with_null_fields(golden, contract), table_path, contract)
    counts = golden.agg(
        F.count(F.lit(1)).alias("records"), F.countDistinct(truth).alias("clusters")
    ).first()
    blank = labelled.where(F.col(truth).isNull()).count()
    reason = f"no true cluster ({clusters.source}.{clusters.column} blank)"
    return replace(
        result,
        golden_records=int(counts["records"]),
        golden_clusters=int(counts["clusters"]),
        golden_records_excluded={reason: blank} if blank else {},
        golden_table=table_path,
        golden_from="golden_clusters",
    )


def _summarise(
    mapping: CatalogMapping,
    mapped: DataFrame,
    quarantine: DataFrame,
    table_path: str,
    lines: dict[str, SourceLines | None],
    held: dict[str, int | None],
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
    accounts = {}
    for s in mapping.sources:
        row = counts.get(s.name)
        rows = int(row["rows"]) if row else 0
        quarantined = int(row["excluded"]) if row else 0
        text = lines[s.name]
        accounts[s.name] = SourceAccount(
            records_read=text.records + text.malformed if text else held[s.name] or 0,
            records_written=rows - quarantined,
            records_quarantined=quarantined,
            **(
                {}
                if text is None
                else {
                    "lines": text.lines,
                    "header": text.header,
                    "blank": text.blank,
                    "lines_written": int(row["lines_written"]) if row else 0,
                    "lines_quarantined": int(row["lines_excluded"]) if row else 0,
                }
            ),
        )
    return IngestResult(
        accounts=accounts,
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


def summary_lines(result: IngestResult) -> list[str]:
    """The ingest summary as printed: rows per source, field parse rates, quarantine reasons."""
    lines = [
        f"ingest {result.entity} ({result.linkage}): "
        + ", ".join(f"{s} {n} rows" for s, n in result.rows_read.items())
        + f" -> {result.rows_written} rows written to {result.input_table}, "
        f"{sum(result.rows_excluded.values())} excluded"
    ]
    for source, a in result.accounts.items():
        if a.lines is not None:
            lines.append(
                f"  {source}: {a.lines} lines = {a.header} header + {a.blank} blank + "
                f"{a.lines_written} in {a.records_written} records written + "
                f"{a.lines_quarantined} in {a.records_quarantined} quarantined"
            )
        else:
            lines.append(
                f"  {source}: {a.records_read} records = {a.records_written} written + "
                f"{a.records_quarantined} quarantined"
            )
    for source, fields in result.fields.items():
        for name, c in fields.items():
            rate = c.parse_rate
            parsed = f" ({rate:.2%} parsed)" if rate is not None and c.nulled else ""
            lines.append(f"  {source}.{name}: {c.kept} values kept, {c.nulled} nulled{parsed}")
    for reason, n in result.quarantine_by_reason.items():
        lines.append(f"  quarantine {reason}: {n}")
    if result.labelled_pairs_table:
        splits = ", ".join(
            f"{split or 'unsplit'} {n}" for split, n in result.labelled_pairs.items()
        )
        lines.append(f"labelled pairs: {splits} -> {result.labelled_pairs_table}")
    for reason, n in result.labelled_pairs_excluded.items():
        lines.append(f"  labelled pairs left out, {reason}: {n}")
    if result.golden_from == "golden_pairs":
        lines.append(f"golden pairs: {result.golden_pairs} -> clusters in {result.golden_table}")
    for reason, n in result.golden_pairs_excluded.items():
        lines.append(f"  golden pairs left out, {reason}: {n}")
    if result.golden_from == "golden_clusters":
        lines.append(
            f"golden clusters: {result.golden_records} records in {result.golden_clusters} "
            f"true clusters -> {result.golden_table}"
        )
    for reason, n in result.golden_records_excluded.items():
        lines.append(f"  golden records left out, {reason}: {n}")
    return lines
