"""A second Delta implementation (delta-rs, the ``deltalake`` package) reads what Spark wrote.

Every output table of the shared resolved sample (recordings, releases, videos,
works, the shared quarantine, evaluation, error and model comparison tables,
and the release manifest)
is read by delta-rs and by Spark and compared row by row; the release
manifest's versions are read back by delta-rs with time travel; and the
change feed of a table that a run rewrote is the same from both readers.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from features.schemas import CONTRACT_VERSION
from jobs.runtime.contracts import column_comments, output_tables
from jobs.runtime.delta import table_exists
from jobs.runtime.release import latest_release
from tests.conftest import delta_rs_table

deltalake = pytest.importorskip("deltalake")


def _plain(value: Any, tz: ZoneInfo) -> Any:
    """A value as both readers can agree on: rows as dicts, timestamps in UTC, NaN as a marker."""
    if isinstance(value, dict):
        return {k: _plain(v, tz) for k, v in value.items()}
    if hasattr(value, "asDict"):
        return _plain(value.asDict(recursive=False), tz)
    if isinstance(value, (list, tuple)):
        return [_plain(v, tz) for v in value]
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=tz)
        return aware.astimezone(dt.UTC)
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def _sorted(rows: list[dict], tz: ZoneInfo) -> list[str]:
    return sorted(repr(_plain(r, tz)) for r in rows)


@pytest.fixture(scope="module")
def lakehouse(
    spark, resolved_sample, resolved_releases, compared_releases, resolved_videos, resolved_works
):
    cfg = resolved_sample[0]
    tz = ZoneInfo(spark.conf.get("spark.sql.session.timeZone"))
    tables = {
        name: cfg.table_path(name)
        for name in output_tables(cfg)
        if table_exists(spark, cfg.table_path(name))
    }
    return cfg, tz, tables


def test_every_output_table_reads_the_same_in_delta_rs(spark, lakehouse):
    cfg, tz, tables = lakehouse
    e = {name: cfg.entity(name) for name in ("recordings", "releases", "videos", "works")}
    expected = {
        cfg.published_runs_table,
        cfg.quarantine_table,
        cfg.evaluation_table,
        cfg.lifecycle.comparison_table,
        e["recordings"].groups_table,
        e["recordings"].pairs_table,
        e["recordings"].id_history_table,
        e["releases"].groups_table,
        e["releases"].pairs_table,
        e["releases"].id_history_table,
        e["videos"].tables["matches"],
        e["videos"].tables["unmatched"],
        e["works"].tables["works"],
        e["works"].tables["version_relations"],
    }
    assert expected <= set(tables), sorted(expected - set(tables))
    for name, path in sorted(tables.items()):
        ours = [r.asDict(recursive=False) for r in spark.read.format("delta").load(path).collect()]
        theirs = delta_rs_table(path).to_pylist()
        assert len(theirs) == len(ours), name
        assert _sorted(theirs, tz) == _sorted(ours, tz), name


def test_the_latest_release_reads_at_its_versions_in_delta_rs(spark, lakehouse):
    cfg, tz, tables = lakehouse
    manifest = delta_rs_table(tables[cfg.published_runs_table])
    rows = [r for r in manifest.to_pylist() if r["entity_type"] == "recordings"]
    assert rows, "no release of recordings in the manifest"
    release = latest_release(spark, cfg, "recordings")
    for name, version in release.items():
        listed = max((r for r in rows if r["table_name"] == name), key=lambda r: r["finished_at"])
        assert listed["table_version"] == version
        assert deltalake.DeltaTable(cfg.table_path(name), version=version).version() == version
        assert delta_rs_table(cfg.table_path(name), version).num_rows == listed["row_count"], name


def test_the_change_feed_is_the_same_in_delta_rs(spark, lakehouse):
    cfg, tz, tables = lakehouse
    path = tables[cfg.entity("recordings").groups_table]
    assert (
        deltalake.DeltaTable(path).metadata().configuration.get("delta.enableChangeDataFeed")
        == "true"
    )
    ours = (
        spark.read.format("delta")
        .option("readChangeFeed", "true")
        .option("startingVersion", 0)
        .load(path)
        .collect()
    )
    feed = deltalake.DeltaTable(path).load_cdf(starting_version=0)
    theirs = pa.RecordBatchReader.from_stream(feed).read_all().to_pylist()
    assert ours, "the feed is empty: nothing to compare"

    def rows(feed: list[dict]) -> list[str]:  # the commit's timestamp: each reader its own rounding
        return _sorted([{k: v for k, v in r.items() if k != "_commit_timestamp"} for r in feed], tz)

    assert rows(theirs) == rows([r.asDict(recursive=False) for r in ours])


def test_columns_carry_their_descriptions_and_tables_their_versions(spark, lakehouse):
    cfg, tz, tables = lakehouse
    contracts = output_tables(cfg)
    for name, path in sorted(tables.items()):
        table = deltalake.DeltaTable(path)
        assert table.metadata().configuration.get("contract_version") == CONTRACT_VERSION, name
        comments = {f.name: f.metadata.get("comment") for f in table.schema().fields}
        assert comments == column_comments(contracts[name]), name
    groups = cfg.entity("recordings").groups_table
    published_model = {
        r["model_version"] for r in spark.read.format("delta").load(tables[groups]).collect()
    }
    model = deltalake.DeltaTable(tables[groups]).metadata().configuration.get("model_version")
    assert {model} == published_model


# What BigQuery reads as a BigLake Delta table (docs.delta.io, "Google BigQuery
# connector"): reader version 3 at most, with deletion vectors and column mapping.
BIGLAKE_READER_VERSION, BIGLAKE_READER_FEATURES = 3, {"deletionVectors", "columnMapping"}


def test_every_output_table_keeps_to_the_features_bigquery_reads(lakehouse):
    _, _, tables = lakehouse
    for name, path in sorted(tables.items()):
        protocol = deltalake.DeltaTable(path).protocol()
        assert protocol.min_reader_version <= BIGLAKE_READER_VERSION, (name, protocol)
        assert set(protocol.reader_features or ()) <= BIGLAKE_READER_FEATURES, (name, protocol)
