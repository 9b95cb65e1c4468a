"""Block samples: whole blocks stay together, records without the key are not lost."""

from __future__ import annotations

import pytest

from features.sampling import sample_blocks

N_ARTISTS = 400
TRACKS_PER_ARTIST = 3
N_ARTISTLESS = 1200
FRACTION = 0.25


@pytest.fixture(scope="module")
def tracks(spark):
    rows = [
        (f"A{a:04d}-{t}", f"artist{a}") for a in range(N_ARTISTS) for t in range(TRACKS_PER_ARTIST)
    ] + [(f"N{i:05d}", None) for i in range(N_ARTISTLESS)]
    return spark.createDataFrame(rows, "track_id string, artist string")


def test_whole_blocks_are_kept_and_records_without_the_key_are_sampled_on_their_own(tracks):
    sample = sample_blocks(
        tracks, key="artist", fraction=FRACTION, seed=7, null_key_by="track_id"
    ).collect()
    by_artist: dict[str, int] = {}
    for row in sample:
        if row.artist is not None:
            by_artist[row.artist] = by_artist.get(row.artist, 0) + 1
    # every sampled artist with all of its tracks, about the fraction of artists
    assert set(by_artist.values()) == {TRACKS_PER_ARTIST}
    assert len(by_artist) == pytest.approx(FRACTION * N_ARTISTS, rel=0.3)
    # records without an artist: about the same fraction, not none and not all
    artistless = sum(1 for row in sample if row.artist is None)
    assert artistless == pytest.approx(FRACTION * N_ARTISTLESS, rel=0.2)


def test_without_an_id_records_without_the_key_are_left_out_and_a_whole_sample_keeps_all(tracks):
    sample = sample_blocks(tracks, key="artist", fraction=FRACTION, seed=7)
    assert sample.where("artist IS NULL").count() == 0
    assert sample.count() > 0
    whole = sample_blocks(tracks, key="artist", fraction=1.0, null_key_by="track_id")
    assert whole.count() == N_ARTISTS * TRACKS_PER_ARTIST + N_ARTISTLESS
