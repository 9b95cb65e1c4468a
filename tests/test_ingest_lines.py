"""Every physical line of an ingested file is a record or a quarantine row with its line number.

Real Spark and Delta: a hostile CSV and JSON-lines file go through ``jobs.ingest``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from features.errors import ConfigError, ResolutionError
from features.parsing import INGEST_REASON_PREFIX
from features.quality import RECORD_EXCLUDED, RECORD_FLAGGED
from features.schemas import QUARANTINE, TRACK_INPUT
from jobs import ingest
from jobs.runtime.delta import read_table
from jobs.stages.ingest import SourceAccount, check_accounts, summary_lines
from tests.conftest import test_config as config_in  # not collected as a test

NO_GATE = "quality.max_quarantined_share=1"  # these files are hostile on purpose

# one physical line per entry; line 1 is the header
HOSTILE_LINES = [
    b"id,title,artists,length",
    b"t1,Clean Song,Artist One,3:10",
    b't2,"Unclosed Song,Artist Two,3:20',  # the quote never closes
    b"t3,After The Quote,Artist Three,3:30",  # must not be swallowed by t2
    b"t4,Short Row",  # too few fields
    b"t5,Long Row,Artist Five,3:50,surplus",  # too many
    "t6,Beyoncé Dance,Artist Six,4:00".encode("latin-1"),  # not UTF-8
    b"t7,Nul\x00Song,Artist Seven,4:10",
    b't8,"Two',  # a proper quoted value holding a newline: lines 9 and 10
    b'Lines",Artist Eight,4:20',
    b"t9,Last Clean Song,Artist Nine,4:30",
]
MALFORMED = {  # line -> reason (after the ingest prefix)
    3: "quote never closed",
    5: "2 fields where the header has 4",
    6: "5 fields where the header has 4",
    7: "invalid utf-8 bytes at byte 10 (declare the source's encoding or a fallback_encoding)",
    8: "NUL byte in line",
}


def _mapping(tmp_path: Path, options: dict | None = None, sources: dict | None = None) -> Path:
    tree = {
        "entity": "recordings",
        "linkage": "dedupe_only",
        "sources": sources
        or {
            "feed": {
                "path": str(tmp_path / "feed.csv"),
                "format": "csv",
                "options": options or {},
                "id": {"column": "id"},
                "columns": {"title": "title", "artists": "artists", "duration_ms": "length"},
            }
        },
    }
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False))
    return path


def test_every_line_of_a_hostile_csv_is_a_record_or_a_located_quarantine_row(spark, tmp_path):
    (tmp_path / "feed.csv").write_bytes(b"\n".join(HOSTILE_LINES) + b"\n")
    cfg = config_in(tmp_path, NO_GATE)

    result = ingest.run(spark, cfg, mapping_path=_mapping(tmp_path), datasets_dir=None, run_id="r1")

    written = {r.track_id: r for r in read_table(spark, result.input_table, TRACK_INPUT).collect()}
    assert set(written) == {"t1", "t3", "t9", "t8"}
    assert written["t1"].title == "Clean Song" and written["t1"].artists == ["Artist One"]
    assert written["t3"].title == "After The Quote" and written["t3"].duration_ms == 210000
    assert written["t8"].title == "Two\nLines" and written["t8"].artists == ["Artist Eight"]
    assert written["t9"].title == "Last Clean Song"

    rows = read_table(spark, cfg.table_path(cfg.quarantine_table), QUARANTINE).collect()
    malformed = {
        int(r.location.removeprefix("feed.csv line ")): r.reason.removeprefix(INGEST_REASON_PREFIX)
        for r in rows
        if r.action == RECORD_EXCLUDED
    }
    assert malformed == MALFORMED
    assert {r.raw_value for r in rows if r.location == "feed.csv line 4"} == set()
    assert [r.raw_value for r in rows if r.location == "feed.csv line 3"] == [
        't2,"Unclosed Song,Artist Two,3:20'
    ]

    # lines 1..11: header, 4 records over 5 lines, 5 malformed lines
    account = result.accounts["feed"]
    assert account == SourceAccount(
        records_read=9,
        records_written=4,
        records_quarantined=5,
        lines=11,
        header=1,
        blank=0,
        lines_written=5,
        lines_quarantined=5,
    )
    assert result.rows_written == len(written)
    assert "  feed: 11 lines = 1 header + 0 blank + 5 in 4 records written + 5 in 5 quarantined" in (
        summary_lines(result)
    )


def test_a_declared_fallback_encoding_keeps_the_line_and_flags_it(spark, tmp_path):
    (tmp_path / "feed.csv").write_bytes(b"\n".join(HOSTILE_LINES[:2] + HOSTILE_LINES[6:7]))
    cfg = config_in(tmp_path, NO_GATE)
    mapping = _mapping(tmp_path, {"fallback_encoding": "cp1252"})

    result = ingest.run(spark, cfg, mapping_path=mapping, datasets_dir=None, run_id="r1")

    titles = {r.track_id: r.title for r in read_table(spark, result.input_table).collect()}
    assert titles == {"t1": "Clean Song", "t6": "Beyoncé Dance"}
    rows = read_table(spark, cfg.table_path(cfg.quarantine_table), QUARANTINE).collect()
    assert [(r.record_id, r.action, r.location) for r in rows] == [
        ("t6", RECORD_FLAGGED, "feed.csv line 3")
    ]
    assert rows[0].reason.endswith("decoded as cp1252")


def test_duplicate_ids_keep_the_first_in_file_order(spark, tmp_path):
    # one source of two files: the later file and the later line lose, whatever their content
    (tmp_path / "feed").mkdir()
    (tmp_path / "feed" / "a.csv").write_text("id,title\nx,Zebra First\ny,Only Y\nx,Aardvark 2\n")
    (tmp_path / "feed" / "b.csv").write_text("id,title\nx,Aardvark In B\n")
    cfg = config_in(tmp_path, NO_GATE)
    source = {
        "path": str(tmp_path / "feed" / "*.csv"),
        "format": "csv",
        "id": {"column": "id"},
        "columns": {"title": "title"},
    }
    mapping = _mapping(tmp_path, sources={"feed": source})

    result = ingest.run(spark, cfg, mapping_path=mapping, datasets_dir=None, run_id="r1")

    titles = {r.track_id: r.title for r in read_table(spark, result.input_table).collect()}
    assert titles == {"x": "Zebra First", "y": "Only Y"}
    rows = read_table(spark, cfg.table_path(cfg.quarantine_table), QUARANTINE).collect()
    assert sorted((r.location, r.reason.removeprefix(INGEST_REASON_PREFIX)) for r in rows) == [
        ("a.csv line 4", "duplicate id: the first in file order is kept (a.csv line 2)"),
        ("b.csv line 2", "duplicate id: the first in file order is kept (a.csv line 2)"),
    ]
    assert result.accounts["feed"].lines == 6 and result.accounts["feed"].header == 2


def test_json_lines_account_for_bad_json_and_non_objects(spark, tmp_path):
    (tmp_path / "feed.jsonl").write_bytes(
        b'{"id": "j1", "title": "Fine"}\n[1, 2]\n\n{"id": "j2", "title": \n{"id": "j3", "title": "Ok"}\n'
    )
    sources = {
        "feed": {
            "path": str(tmp_path / "feed.jsonl"),
            "format": "json",
            "id": {"column": "id"},
            "columns": {"title": "title"},
        }
    }
    cfg = config_in(tmp_path, NO_GATE)
    result = ingest.run(
        spark, cfg, mapping_path=_mapping(tmp_path, sources=sources), datasets_dir=None, run_id="r"
    )
    titles = {r.track_id: r.title for r in read_table(spark, result.input_table).collect()}
    assert titles == {"j1": "Fine", "j3": "Ok"}
    rows = read_table(spark, cfg.table_path(cfg.quarantine_table), QUARANTINE).collect()
    assert sorted(r.location for r in rows) == ["feed.jsonl line 2", "feed.jsonl line 4"]
    assert result.accounts["feed"].blank == 1 and result.accounts["feed"].problem() is None


def test_an_account_that_does_not_add_up_fails_the_ingest_with_its_numbers():
    from jobs.stages.ingest import IngestResult

    lost = SourceAccount(
        records_read=3,
        records_written=2,
        records_quarantined=1,
        lines=5,
        header=1,
        lines_written=2,
        lines_quarantined=1,
    )
    result = IngestResult(
        entity="recordings",
        linkage="dedupe_only",
        input_table="t",
        rows_read={"feed": 3},
        rows_excluded={"feed": 1},
        rows_written=2,
        fields={},
        accounts={"feed": lost},
    )
    with pytest.raises(ResolutionError, match=r"feed: 5 lines read, 4 accounted for"):
        check_accounts(result)


def test_unknown_reader_options_are_refused_with_a_suggestion(tmp_path):
    from jobs.runtime.mapping import load_mapping

    (tmp_path / "feed.csv").write_text("id,title\n")
    mapping = _mapping(tmp_path, {"fallback_encodng": "cp1252", "sep": ";;", "encoding": "nope"})
    with pytest.raises(ConfigError) as err:
        load_mapping(mapping)
    message = str(err.value)
    assert "sources.feed.options.fallback_encodng: unknown key (did you mean fallback_encoding?)" in (
        message
    )
    assert "sources.feed.options.sep: must be one character" in message
    assert "sources.feed.options.encoding: unknown encoding 'nope'" in message


def test_an_input_mostly_quarantined_fails_after_writing_the_quarantine(spark, tmp_path):
    (tmp_path / "feed.csv").write_bytes(b"\n".join(HOSTILE_LINES) + b"\n")
    cfg = config_in(tmp_path, "quality.max_quarantined_share=0.5")
    with pytest.raises(ResolutionError) as err:
        ingest.run(spark, cfg, mapping_path=_mapping(tmp_path), datasets_dir=None, run_id="r1")
    message = str(err.value)
    assert "mapping.yaml -> tracks: 5 of 9 records (55.6%) quarantined" in message
    assert "above quality.max_quarantined_share 50%" in message
    assert "_row: ingest: quote never closed (1)" in message
    rows = read_table(spark, cfg.table_path(cfg.quarantine_table), QUARANTINE)
    assert rows.count() == 5  # the rows that explain it are there
    assert not Path(cfg.table_path("tracks")).exists()  # the input table was not written
