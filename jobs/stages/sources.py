"""A mapping's source read into Spark with each record's place in its file.

CSV and JSON-lines files are read by ``features.records`` (each file whole in
one Spark task, from the bytes Spark's binaryFile reader hands over), so every physical
line is accounted for and each record keeps its file and line number;
malformed lines come through as rows with a reason instead of vanishing or
shifting values. Parquet and Delta sources are read by Spark as they are:
their records have no lines, only a position used to order duplicates.

Every source read here carries the columns named in ``features.records``
(``LOCATION``, ``LINES``, ``ORDER``, ``PROBLEM``, ``RAW``) beside its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
)

from features.errors import ConfigError
from features.records import (
    FLAG,
    LINES,
    LOCATION,
    ORDER,
    PROBLEM,
    RAW,
    READER_COLUMNS,
    FileAccount,
    TextFormat,
    read_csv,
    read_json_lines,
)
from jobs.runtime.mapping import SourceMapping

_PARSED = StructType(
    [
        StructField("path", StringType()),
        StructField("file", StringType()),
        StructField("line", IntegerType()),
        StructField("order", LongType()),
        StructField("n_lines", IntegerType()),
        StructField("values", MapType(StringType(), StringType())),
        StructField("text", StringType()),
        StructField("problem", StringType()),
        StructField("flag", StringType()),
        StructField("raw", StringType()),
        StructField("account", StringType()),  # one row per file: its FileAccount as JSON
    ]
)


@dataclass(frozen=True)
class SourceLines:
    """Where one source's physical lines went, summed over its files (text formats only)."""

    files: int
    lines: int
    header: int
    blank: int
    records: int  # records the files hold (a malformed line is not one)
    malformed: int
    columns_by_file: dict[str, list[str]] = field(default_factory=dict)


def _parse_file(path: str, content: bytes, fmt: TextFormat, rank: int):
    """Rows of one file: its records (ordered by the file's rank, then line), then its account."""
    name = PurePosixPath(path).name
    reader = read_csv if fmt.kind == "csv" else read_json_lines
    records, account = reader(content, fmt)
    for r in records:
        order = (rank << 32) + r.line
        yield (path, name, r.line, order, r.n_lines, r.values, r.text, r.problem, r.flag, r.raw, None)
    account_json = json.dumps(account.__dict__)
    yield (path, name, None, None, None, None, None, None, None, None, account_json)


def read_text_source(
    spark: SparkSession, source: SourceMapping, fmt: TextFormat
) -> tuple[DataFrame, SourceLines]:
    """(rows of the source with the ``features.records`` columns, its line account)."""
    files = spark.read.format("binaryFile").load(source.path)
    # files in path order, then lines: the order in which duplicates are kept
    ranks = {p: i for i, p in enumerate(sorted(r["path"] for r in files.select("path").collect()))}
    if not ranks:
        raise ConfigError(f"source {source.name!r}: no file to read at {source.path}")
    by_file = files.select("path", "content").repartition(len(ranks), "path")
    parsed = spark.createDataFrame(
        by_file.rdd.flatMap(
            lambda row: _parse_file(row.path, bytes(row.content), fmt, ranks[row.path])
        ),
        _PARSED,
    ).localCheckpoint()
    accounts = {
        r["path"]: FileAccount(**json.loads(r["account"]))
        for r in parsed.where(F.col("account").isNotNull()).select("path", "account").collect()
    }
    lines = SourceLines(
        files=len(accounts),
        lines=sum(a.lines for a in accounts.values()),
        header=sum(a.header for a in accounts.values()),
        blank=sum(a.blank for a in accounts.values()),
        malformed=sum(a.malformed for a in accounts.values()),
        records=sum(a.records for a in accounts.values()),
        columns_by_file={f: a.columns for f, a in accounts.items()},
    )
    rows = parsed.where(F.col("account").isNull())
    meta = [
        F.concat(F.col("file"), F.lit(" line "), F.col("line").cast("string")).alias(LOCATION),
        F.col("n_lines").alias(LINES),
        F.col("order").alias(ORDER),
        F.col("problem").alias(PROBLEM),
        F.col("raw").alias(RAW),
        F.col("flag").alias(FLAG),
    ]
    if fmt.kind == "csv":
        columns = list(dict.fromkeys(c for cols in lines.columns_by_file.values() for c in cols))
        data = [F.col("values")[c].alias(c) for c in columns]
        return rows.select(*data, *meta), lines
    good = rows.where(F.col("text").isNotNull()).select("text")
    schema = (
        spark.read.json(good.rdd.map(lambda r: r[0])).schema
        if not good.isEmpty()
        else StructType([])
    )
    parsed_json = rows.select(F.from_json("text", schema).alias("_json"), *meta)
    return parsed_json.select("_json.*", *READER_COLUMNS), lines


def read_table_source(spark: SparkSession, source: SourceMapping) -> DataFrame:
    """A Parquet or Delta source as Spark reads it, each record given its position."""
    raw = spark.read.options(**source.options).format(source.format).load(source.path)
    return raw.select(
        "*",
        F.lit(None).cast(StringType()).alias(LOCATION),
        F.lit(None).cast(IntegerType()).alias(LINES),
        F.monotonically_increasing_id().cast(LongType()).alias(ORDER),
        F.lit(None).cast(StringType()).alias(PROBLEM),
        F.lit(None).cast(StringType()).alias(RAW),
        F.lit(None).cast(StringType()).alias(FLAG),
    )

