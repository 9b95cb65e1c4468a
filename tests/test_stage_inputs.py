"""A stage whose input tables are missing names all of them at once, before any work."""

from __future__ import annotations

import pytest

from features.errors import ResolutionError
from jobs.stages.features import build_features
from jobs.stages.resolve import resolve
from tests.conftest import test_config as config_in  # not collected as a test


def test_a_derived_entity_names_each_missing_table_of_its_source(spark, tmp_path):
    cfg = config_in(tmp_path)
    derived = next(e for e in cfg.entities.values() if e.derived is not None)
    source = derived.derived.derived_from
    with pytest.raises(ResolutionError) as err:
        build_features(spark, cfg, derived, "r1")
    message = str(err.value)
    assert f"features of {source}: " in message and f"groups of {source}: " in message


def test_a_link_entity_names_its_own_and_its_targets_missing_tables(spark, tmp_path):
    cfg = config_in(tmp_path)
    link = next(e for e in cfg.entities.values() if e.link is not None)
    target = link.link.links_to
    with pytest.raises(ResolutionError) as err:
        resolve(spark, cfg, link, "r1")
    lines = str(err.value).splitlines()
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        f"- features of {link.name}",
        f"- features of {target}",
        f"- groups of {target}",
    ]


def test_features_fail_when_most_of_the_input_is_quarantined(spark, tmp_path):
    from pathlib import Path

    from features.schemas import QUARANTINE, TRACK_INPUT
    from jobs.runtime.delta import read_table, write_table

    cfg = config_in(tmp_path, "quality.max_quarantined_share=0.5")
    entity = cfg.entity("recordings")
    names = [f.name for f in TRACK_INPUT.fields]
    rows = [
        {**dict.fromkeys(names), "track_id": tid, "title": "Song", "source": "s"}
        for tid in ("t1", None, " ")
    ]
    write_table(
        spark.createDataFrame([tuple(r[n] for n in names) for r in rows], TRACK_INPUT),
        cfg.table_path(entity.input_table),
        TRACK_INPUT,
    )
    with pytest.raises(ResolutionError, match=r"tracks: 2 of 3 records \(66.7%\) quarantined"):
        build_features(spark, cfg, entity, "r1")
    assert read_table(spark, cfg.table_path(cfg.quarantine_table), QUARANTINE).count() == 2
    assert not Path(cfg.table_path(entity.features_table)).exists()
