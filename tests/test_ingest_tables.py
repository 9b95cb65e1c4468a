"""A source mapping may fill an entity's other input tables: a works feed, track credits."""

from __future__ import annotations

import pytest
import yaml

from features.errors import ConfigError
from features.schemas import DECLARED_RELATIONS, QUARANTINE, TRACK_CREDITS
from jobs import ingest
from jobs.runtime.delta import read_table
from jobs.runtime.mapping import load_mapping
from tests.conftest import test_config as config_in  # not collected as a test

NO_GATE = "quality.max_quarantined_share=1"  # these files are hostile on purpose

CREDITS = """isrc_or_id,writer,what
T1,Max Martin,Composer
T1,"Martin, Max",Lyricist
T2,Shellback,writer
,Nobody,writer
"""


def _mapping(tmp_path, csv, table="credits"):
    tree = {
        "entity": "works",
        "table": table,
        "linkage": "dedupe_only",
        "sources": {
            "label": {
                "path": str(csv),
                "format": "csv",
                "options": {"header": True},
                "id": {"column": "isrc_or_id"},
                "columns": {"name": "writer", "role": "what"},
            }
        },
    }
    path = tmp_path / "credits.yaml"
    path.write_text(yaml.safe_dump(tree))
    return path


def test_a_mapping_fills_the_credits_table_of_works(spark, tmp_path):
    cfg = config_in(tmp_path, NO_GATE)
    csv = tmp_path / "credits.csv"
    csv.write_text(CREDITS)
    result = ingest.run(
        spark, cfg, mapping_path=_mapping(tmp_path, csv), datasets_dir=None, run_id="r1"
    )
    written = read_table(spark, cfg.table_path("track_credits"), TRACK_CREDITS)
    rows = sorted(tuple(r) for r in written.collect())
    # a track credits several names: its id repeats; a row without an id is quarantined;
    # what the mapping does not map (credit_id, instrument, ipi, isni) is null
    unmapped = (None, None, None, None)
    assert rows == [
        ("T1", "label", "Martin, Max", "Lyricist", *unmapped),
        ("T1", "label", "Max Martin", "Composer", *unmapped),
        ("T2", "label", "Shellback", "writer", *unmapped),
    ]
    assert result.rows_excluded == {"label": 1}
    quarantine = read_table(spark, cfg.table_path(cfg.quarantine_table), QUARANTINE)
    assert quarantine.where("entity_type = 'works.credits'").count() == 1


def test_a_table_the_entity_does_not_have_is_named(tmp_path):
    path = _mapping(tmp_path, tmp_path / "x.csv", table="lyrics")
    with pytest.raises(ConfigError, match="no input table 'lyrics'.*credits, feed"):
        load_mapping(path)


RELATIONS = """id,track,kind,sampled_track,sampled_title,sampled_artist
W1,T1,sample,T9,,
W2,T2,interpolation,,Stayin' Alive,Bee Gees
,T3,sample,T9,,
"""


def test_a_mapping_fills_the_declared_relations_of_recordings(spark, tmp_path):
    cfg = config_in(tmp_path, NO_GATE)
    csv = tmp_path / "relations.csv"
    csv.write_text(RELATIONS)
    tree = {
        "entity": "recordings",
        "table": "declared_relations",
        "linkage": "dedupe_only",
        "sources": {
            "whosampled": {
                "path": str(csv),
                "format": "csv",
                "options": {"header": True},
                "id": {"column": "id"},
                "columns": {
                    "track_id": "track",
                    "relation_type": "kind",
                    "target_track_id": "sampled_track",
                    "target_title": "sampled_title",
                    "target_artist": "sampled_artist",
                },
            }
        },
    }
    path = tmp_path / "relations.yaml"
    path.write_text(yaml.safe_dump(tree))
    result = ingest.run(spark, cfg, mapping_path=path, datasets_dir=None, run_id="r1")
    written = read_table(spark, cfg.table_path("declared_relations"), DECLARED_RELATIONS)
    rows = sorted(
        (r.track_id, r.relation_type, r.target_track_id, r.target_title, r.relation_id)
        for r in written.collect()
    )
    # the mapping's id is the relation's; a row without one is quarantined here
    assert rows == [
        ("T1", "sample", "T9", None, "W1"),
        ("T2", "interpolation", None, "Stayin' Alive", "W2"),
    ]
    assert result.rows_excluded == {"whosampled": 1}
