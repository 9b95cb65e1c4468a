"""The sample's declared samples and interpolations: every way a feed names a target, with truth."""

from __future__ import annotations

import pandas as pd
import pytest

from jobs.samples.catalog import generate_catalog_and_works
from jobs.samples.relations import (
    BAD_RELATION_KINDS,
    RELATION_COLUMNS,
    TRUTH_COLUMNS,
    generate_relations,
    inject_bad_relations,
)

N = 4000


@pytest.fixture(scope="module")
def generated():
    tracks, golden, _feed, _writers = generate_catalog_and_works(N, seed=42)
    relations, truth = generate_relations(tracks, golden, seed=42)
    return tracks, golden, relations, truth


def test_relations_and_truth_line_up_and_point_at_other_songs(generated):
    tracks, golden, relations, truth = generated
    assert list(relations.columns) == list(RELATION_COLUMNS)
    assert list(truth.columns) == list(TRUTH_COLUMNS)
    assert len(relations) >= 20 and relations["relation_id"].is_unique
    assert list(relations["relation_id"]) == list(truth["relation_id"])
    g = golden.set_index("track_id")
    kinds = relations["relation_type"].str.lower().str[:5]
    assert set(kinds) == {"sampl", "inter"}
    for row, want in zip(relations.itertuples(), truth["target_truth"], strict=True):
        sampler = g.loc[row.track_id]
        assert sampler["recording_kind"] == "studio"
        if want is None:
            continue
        if row.relation_type.lower().startswith("sampl"):
            assert want in set(golden["recording_id"]) and want != sampler["recording_id"]
            if row.target_track_id is not None:
                assert g.loc[row.target_track_id, "recording_id"] == want
        else:
            assert want in set(golden["work_id"]) and want != sampler["work_id"]
            if row.target_track_id is not None:
                assert g.loc[row.target_track_id, "work_id"] == want


def test_targets_are_named_every_way_and_some_are_not_in_the_catalog(generated):
    tracks, _, relations, truth = generated
    by_id = relations["target_track_id"].notna()
    by_iswc = relations["target_iswc"].notna()
    by_title = relations["target_title"].notna()
    assert by_id.any() and by_iswc.any() and by_title.any()
    assert (by_id.astype(int) + by_iswc.astype(int) + by_title.astype(int) == 1).all()
    missing = truth["target_truth"].isna()
    assert 0 < missing.sum() < 0.2 * len(truth)
    gone = relations.loc[missing & by_id, "target_track_id"]
    assert not gone.isin(tracks["track_id"]).any()


def test_generation_is_deterministic_and_bad_rows_are_of_every_kind(generated):
    tracks, golden, relations, truth = generated
    again, again_truth = generate_relations(tracks, golden, seed=42)
    pd.testing.assert_frame_equal(relations, again)
    pd.testing.assert_frame_equal(truth, again_truth)
    spoiled, counts = inject_bad_relations(relations, 0.002, seed=42)
    assert set(counts) == set(BAD_RELATION_KINDS)
    assert spoiled["track_id"].isna().sum() == counts["missing_track"]
    assert (spoiled["relation_type"] == "remake").sum() == counts["unknown_type"]
    changed = (spoiled.fillna("~") != relations.fillna("~")).any(axis=1)
    assert changed.sum() == sum(counts.values())
