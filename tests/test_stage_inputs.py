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
