"""Tests of the synthetic video generator (pure Python, no Spark).

Video matching quality is measured against this generator's truth, so the tests pin down the
contract (columns, types, determinism) and every truth rule: which recording a video of each
kind may show, and how its duration and publication date relate to that recording.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from pyspark.sql.pandas.types import to_arrow_schema

from features.schemas import VIDEO_GOLDEN, VIDEO_INPUT
from jobs.samples.catalog import ISRC_PATTERN, generate_catalog
from jobs.samples.videos import (
    BAD_VIDEO_KINDS,
    STUDIO_VIDEO_KINDS,
    VERSION_RECORDING_KINDS,
    VIDEO_COLUMNS,
    VIDEO_GOLDEN_COLUMNS,
    VIDEO_KIND_SHARES,
    VIDEO_KINDS,
    core_title,
    generate_videos,
    inject_bad_videos,
    recording_profiles,
    version_title,
)

N_TRACKS = 20_000  # about 4k studio recordings -> about 2.8k videos at the default rate


@pytest.fixture(scope="module")
def catalog() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_catalog(N_TRACKS, seed=42)


@pytest.fixture(scope="module")
def generated(
    catalog: tuple[pd.DataFrame, pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_videos(*catalog, seed=42)


@pytest.fixture(scope="module")
def videos(generated: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    """Videos with their truth and what the catalog says about the recording they show."""
    frame, truth = generated
    return frame.join(truth.drop(columns="video_id"))


@pytest.fixture(scope="module")
def recordings(catalog: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    """Per recording, straight from the catalog: kind, median duration, first release date."""
    tracks, golden = catalog
    joined = tracks.join(golden.drop(columns="track_id"))
    by_rec = joined.groupby("recording_id")
    return pd.DataFrame(
        {
            "recording_kind": by_rec["recording_kind"].first(),
            "work_id": by_rec["work_id"].first(),
            "audio_ms": by_rec["duration_ms"].median().round().astype("int64"),
            "first_release": pd.to_datetime(joined["release_date"])
            .groupby(joined["recording_id"])
            .min(),
        }
    )


def _of_kind(videos: pd.DataFrame, kind: str) -> pd.DataFrame:
    chosen = videos[videos["video_kind"] == kind]
    assert len(chosen) > 10, f"too few {kind} videos to test anything"
    return chosen


def _target(videos: pd.DataFrame, recordings: pd.DataFrame) -> pd.DataFrame:
    """Videos that show a catalog recording, joined to that recording."""
    shown = videos.dropna(subset=["recording_id"])
    return shown.join(recordings, on="recording_id")


# --- contract ---------------------------------------------------------------------------------


def test_columns_follow_the_contracts(generated: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    frame, truth = generated
    assert list(frame.columns) == VIDEO_INPUT.fieldNames() == list(VIDEO_COLUMNS)
    assert list(truth.columns) == VIDEO_GOLDEN.fieldNames() == list(VIDEO_GOLDEN_COLUMNS)


def test_types_fit_the_contracts(generated: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    frame, truth = generated
    assert frame["duration_ms"].dtype == np.int64
    assert pd.api.types.is_datetime64_dtype(frame["published_at"])
    for column in ("video_id", "source", "title", "channel_name"):
        assert frame[column].map(lambda v: isinstance(v, str) and v.strip() != "").all(), column
    for column in ("description", "isrc"):
        assert frame[column].dropna().map(lambda v: isinstance(v, str)).all(), column
    assert frame["description"].isna().any() and frame["isrc"].isna().any()
    assert (frame["source"] == "sample").all()
    # VIDEO_GOLDEN: video_id and video_kind are not nullable, recording_id is
    assert truth["video_id"].notna().all() and truth["video_kind"].notna().all()
    assert truth["recording_id"].dropna().map(lambda v: isinstance(v, str)).all()
    assert truth["recording_id"].isna().any()


def test_frames_convert_to_the_contract_arrow_schemas(
    generated: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """What Spark's Arrow path would do with the frames, without starting Spark."""
    frame, truth = generated
    for data, contract in ((frame, VIDEO_INPUT), (truth, VIDEO_GOLDEN)):
        schema = to_arrow_schema(contract, timezone="UTC")
        table = pa.Table.from_pandas(data, schema=schema, preserve_index=False)
        assert table.schema == schema and table.num_rows == len(data)
    spoiled, _ = inject_bad_videos(frame, 0.05)
    schema = to_arrow_schema(VIDEO_INPUT, timezone="UTC")
    assert pa.Table.from_pandas(spoiled, schema=schema, preserve_index=False).num_rows == len(
        spoiled
    )


def test_ids_unique_youtube_like_and_aligned(generated: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    frame, truth = generated
    assert frame["video_id"].is_unique
    assert frame["video_id"].str.fullmatch(r"[A-Za-z0-9_-]{10}[AEIMQUYcgkosw048]").all()
    assert (frame["video_id"] == truth["video_id"]).all()


def test_same_inputs_and_seed_give_identical_frames(
    catalog: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    tracks, golden = catalog[0].head(6000), catalog[1].head(6000)
    first, second = generate_videos(tracks, golden, seed=9), generate_videos(tracks, golden, seed=9)
    pd.testing.assert_frame_equal(first[0], second[0])
    pd.testing.assert_frame_equal(first[1], second[1])
    other = generate_videos(tracks, golden, seed=10)
    assert first[0]["title"].tolist() != other[0]["title"].tolist()


def test_independent_of_string_hash_seed() -> None:
    """Set iteration or ``hash()`` would make the videos vary between processes."""
    code = (
        "import hashlib, sys; sys.path.insert(0, '.'); "
        "from jobs.samples.catalog import generate_catalog; "
        "from jobs.samples.videos import generate_videos; "
        "v, g = generate_videos(*generate_catalog(3000, seed=5), seed=5); "
        "print(hashlib.sha256(repr((v.to_numpy().tolist(), g.to_numpy().tolist()))"
        ".encode()).hexdigest())"
    )
    root = Path(__file__).resolve().parents[1]
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    v, g = generate_videos(*generate_catalog(3000, seed=5), seed=5)
    expected = hashlib.sha256(repr((v.to_numpy().tolist(), g.to_numpy().tolist())).encode())
    assert digests == {expected.hexdigest()}


def test_row_order_of_tracks_does_not_matter(catalog: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Tracks are matched to their truth by track_id, not by position."""
    tracks, golden = catalog[0].head(4000), catalog[1].head(4000)
    shuffled = golden.sample(frac=1.0, random_state=3)
    a = generate_videos(tracks, golden, seed=4)
    b = generate_videos(tracks, shuffled, seed=4)
    pd.testing.assert_frame_equal(a[0], b[0])


def test_video_rate_bounds(catalog: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    tracks, golden = catalog[0].head(3000), catalog[1].head(3000)
    for rate in (-0.1, 1.5):
        with pytest.raises(ValueError, match="video_rate"):
            generate_videos(tracks, golden, video_rate=rate)
    empty, empty_truth = generate_videos(tracks, golden, video_rate=0.0)
    assert empty.empty and empty_truth.empty
    assert list(empty.columns) == list(VIDEO_COLUMNS)
    assert list(empty_truth.columns) == list(VIDEO_GOLDEN_COLUMNS)
    assert empty["duration_ms"].dtype == np.int64
    assert pd.api.types.is_datetime64_dtype(empty["published_at"])


def test_video_rate_is_the_share_of_studio_recordings_with_videos(
    catalog: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    tracks, golden = catalog
    studio = golden.loc[golden["recording_kind"] == "studio", "recording_id"].unique()
    for rate in (0.1, 0.3, 0.6):
        _, truth = generate_videos(tracks, golden, seed=1, video_rate=rate)
        shown = truth.loc[truth["video_kind"].isin(STUDIO_VIDEO_KINDS), "recording_id"]
        share = shown.nunique() / len(studio)
        # a chosen recording shows up here unless all its videos are live/cover/... (~8%)
        assert rate * 0.8 < share <= rate * 1.05, (rate, share)


def test_size_for_the_sample(generated: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    assert 2000 <= len(generated[0]) <= 4000


# --- mix ----------------------------------------------------------------------------------------


def test_kind_shares_documented() -> None:
    assert VIDEO_KIND_SHARES == {
        "official_video": 0.25,
        "lyric_video": 0.12,
        "audio": 0.10,
        "topic": 0.15,
        "live": 0.08,
        "cover": 0.10,
        "fan_upload": 0.12,
        "non_music": 0.05,
        "version": 0.03,
    }
    assert set(VIDEO_KINDS) == set(VIDEO_KIND_SHARES)
    assert sum(VIDEO_KIND_SHARES.values()) == pytest.approx(1.0)


def test_kind_shares_within_tolerance() -> None:
    """~23k videos: across seeds a share varies by at most 0.004 (one standard deviation)."""
    _, truth = generate_videos(*generate_catalog(50_000, seed=7), seed=7, video_rate=1.0)
    shares = truth["video_kind"].value_counts(normalize=True)
    assert set(shares.index) == set(VIDEO_KINDS)
    for kind, expected in VIDEO_KIND_SHARES.items():
        assert abs(shares[kind] - expected) <= 0.004 + 0.05 * expected, (kind, shares[kind])


def test_some_recordings_have_several_videos(videos: pd.DataFrame) -> None:
    per_recording = videos.dropna(subset=["recording_id"]).groupby("recording_id")
    kinds = per_recording["video_kind"].agg(set)
    assert (per_recording.size() >= 3).any()
    assert kinds.map(lambda k: {"official_video", "lyric_video", "topic"} <= k).sum() >= 5


# --- truth --------------------------------------------------------------------------------------


def test_every_recording_id_exists_in_the_catalog(
    videos: pd.DataFrame, catalog: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    shown = videos["recording_id"].dropna()
    assert shown.isin(set(catalog[1]["recording_id"])).all()


def test_studio_kinds_show_the_studio_recording(
    videos: pd.DataFrame, recordings: pd.DataFrame
) -> None:
    shown = _target(videos, recordings)
    studio_kinds = videos[videos["video_kind"].isin(STUDIO_VIDEO_KINDS)]
    assert studio_kinds["recording_id"].notna().all()
    kinds = shown.loc[shown["video_kind"].isin(STUDIO_VIDEO_KINDS), "recording_kind"]
    assert (kinds == "studio").all()


def test_live_videos_never_show_a_studio_recording(
    videos: pd.DataFrame, recordings: pd.DataFrame
) -> None:
    live = _target(_of_kind(videos, "live"), recordings)
    assert (live["recording_kind"] == "live").all()
    assert len(live) > 0  # catalog live takes do get videos ...
    assert _of_kind(videos, "live")["recording_id"].isna().any()  # ... and other shows too


def test_cover_videos_show_a_cover_recording_or_none(
    videos: pd.DataFrame, recordings: pd.DataFrame
) -> None:
    covers = _target(_of_kind(videos, "cover"), recordings)
    assert (covers["recording_kind"] == "cover").all()
    assert len(covers) > 0
    assert _of_kind(videos, "cover")["recording_id"].isna().any()


def test_cover_channel_is_the_performer(
    videos: pd.DataFrame, catalog: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    """A catalog cover's video is on its performer's channel, never the original artist's."""
    tracks, golden = catalog
    first_artist = tracks["artists"].str[0]
    covers = videos[(videos["video_kind"] == "cover") & videos["recording_id"].notna()]
    for channel, recording_id in zip(covers["channel_name"], covers["recording_id"], strict=True):
        credited = set(first_artist[golden["recording_id"] == recording_id])
        assert channel in credited, (channel, credited)


def test_version_videos_show_the_version(videos: pd.DataFrame, recordings: pd.DataFrame) -> None:
    version = _target(_of_kind(videos, "version"), recordings)
    assert len(version) == len(_of_kind(videos, "version"))
    assert version["recording_kind"].isin(VERSION_RECORDING_KINDS).all()


def test_non_music_shows_no_recording(videos: pd.DataFrame) -> None:
    assert _of_kind(videos, "non_music")["recording_id"].isna().all()


def test_topic_duration_is_the_audio(videos: pd.DataFrame, recordings: pd.DataFrame) -> None:
    topic = _target(_of_kind(videos, "topic"), recordings)
    assert (topic["duration_ms"] == topic["audio_ms"]).all()


def test_official_video_pads_the_audio(videos: pd.DataFrame, recordings: pd.DataFrame) -> None:
    official = _target(_of_kind(videos, "official_video"), recordings)
    pad = official["duration_ms"] - official["audio_ms"]
    assert (pad >= 0).all() and (pad <= 91_000).all()
    assert 0.6 < pad.between(5_000, 41_000).mean() < 0.95


@pytest.mark.parametrize(
    "kind,tolerance_ms", [("lyric_video", 2000), ("audio", 2000), ("fan_upload", 3000)]
)
def test_durations_near_the_audio(
    videos: pd.DataFrame, recordings: pd.DataFrame, kind: str, tolerance_ms: int
) -> None:
    shown = _target(_of_kind(videos, kind), recordings)
    assert (shown["duration_ms"] - shown["audio_ms"]).abs().max() <= tolerance_ms


def test_published_after_the_first_release(videos: pd.DataFrame, recordings: pd.DataFrame) -> None:
    shown = _target(videos, recordings).dropna(subset=["first_release"])
    assert (shown["published_at"] >= shown["first_release"]).all()
    assert videos["published_at"].min() >= pd.Timestamp("2005-04-23")
    assert videos["published_at"].max() <= pd.Timestamp("2025-07-01")


# --- what the videos look like ------------------------------------------------------------------


def test_official_titles_and_channels(videos: pd.DataFrame) -> None:
    official = _of_kind(videos, "official_video")
    titles = official["title"]
    for marker in ("(Official Music Video)", "[Official Video]", "[4K]", "| Official", "[M/V]"):
        assert titles.str.contains(marker, regex=False).any(), marker
    assert titles.str.contains("\u300c", regex=False).any()  # ARTIST「Title」MV
    vevo = official.loc[official["channel_name"].str.endswith("VEVO"), "channel_name"]
    assert len(vevo) > 0 and not vevo.str.contains(" ").any()


def test_topic_videos_look_auto_generated(
    videos: pd.DataFrame, catalog: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    tracks, golden = catalog
    topic = _of_kind(videos, "topic")
    assert topic["channel_name"].str.endswith(" - Topic").all()
    assert topic["description"].str.startswith("Provided to YouTube by ").all()
    assert topic["description"].str.endswith("Auto-generated by YouTube.").all()
    assert topic["title"].isin(set(tracks["title"])).all()  # the release's own title
    assert 0.55 < topic["isrc"].notna().mean() < 0.8
    isrc = topic["isrc"].dropna()
    assert isrc.str.fullmatch(ISRC_PATTERN).all()
    catalog_isrc = tracks["isrc"].str.replace("-", "").str.upper()
    owner = pd.DataFrame({"isrc": catalog_isrc, "recording_id": golden["recording_id"]})
    pairs = set(zip(owner["isrc"], owner["recording_id"], strict=True))
    recording = topic.loc[isrc.index, "recording_id"]
    assert all(pair in pairs for pair in zip(isrc, recording, strict=True))
    assert videos.loc[videos["video_kind"] != "topic", "isrc"].notna().sum() < 0.05 * len(videos)


def test_fan_uploads_are_messy(videos: pd.DataFrame) -> None:
    titles = _of_kind(videos, "fan_upload")["title"]
    assert (titles == titles.str.lower()).mean() > 0.2
    assert titles.str.contains(r"\[HQ\]|1080p| by |\|\|", regex=True).mean() > 0.3
    assert not titles.str.contains("official", case=False).any()


def test_non_music_mentions_artists(videos: pd.DataFrame) -> None:
    titles = _of_kind(videos, "non_music")["title"]
    assert titles.str.contains("Reacting to|tutorial|Tutorial", regex=True).any()


# --- helpers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,core,version",
    [
        ("Love Song - Remastered 2011", "Love Song", "Love Song"),
        ("Fire (feat. Kalo Mira) (Live)", "Fire", "Fire (Live)"),
        ("Fire feat. A & B - Live at Wembley 1990", "Fire", "Fire (Live at Wembley 1990)"),
        ("Rain [feat. X] - DJ Y Remix (Stereo)", "Rain", "Rain (DJ Y Remix)"),
        ("Hold On! (2009 Remaster)", "Hold On!", "Hold On!"),
        ("Rock'n'roll Café (Originally Performed by Zoë)", "Rock'n'roll Café",
         "Rock'n'roll Café (Originally Performed by Zoë)"),
        ("Angels, Dark Sky", "Angels, Dark Sky", "Angels, Dark Sky"),
        ("Кариша - Mono Version", "Кариша", "Кариша"),
    ],
)  # fmt: skip
def test_title_cleaning(raw: str, core: str, version: str) -> None:
    assert core_title(pd.Series([raw])).iloc[0] == core
    assert version_title(pd.Series([raw])).iloc[0] == version


def test_title_cleaning_keeps_none() -> None:
    assert core_title(pd.Series([None], dtype=object)).isna().all()


def test_recording_profiles_read_through_noise() -> None:
    tracks = pd.DataFrame(
        {
            "track_id": ["T1", "T2", "T3", "T4", "T5"],
            "source": "sample",
            "title": [
                "Fire (feat. Kalo Mira)",
                "fire",
                "Fire - Remastered 2011",
                "Fire (Live)",
                None,
            ],
            "artists": [["Zoë Kay"], ["Various Artists"], ["Zoe Kay", "Kalo Mira"], ["Zoë Kay"],
                        ["Zoë Kay"]],
            "album": ["A", "Hits", "A", "Live", "A"],
            "duration_ms": [200_000, 201_000, 199_000, 260_000, 999_000],
            "isrc": [None, None, None, None, None],
            "release_date": [dt.date(2001, 5, 1), None, dt.date(2011, 1, 1), dt.date(2003, 1, 1),
                             dt.date(1990, 1, 1)],
            "label": ["L", None, "L", "L", "L"],
        }
    )  # fmt: skip
    golden = pd.DataFrame(
        {
            "track_id": ["T1", "T2", "T3", "T4", "T5"],
            "recording_id": ["R1", "R1", "R1", "R2", "R1"],
            "work_id": ["W1"] * 5,
            "recording_kind": ["studio", "studio", "studio", "live", "studio"],
            "release_kind": ["album", "compilation", "remaster", "album", "album"],
        }
    )
    profiles = recording_profiles(tracks, golden)
    studio, live = profiles.loc["R1"], profiles.loc["R2"]
    assert studio["title"] == "Fire" and live["title"] == "Fire"
    assert live["version_title"] == "Fire (Live)"
    assert studio["artist"] == "Zoë Kay"  # "Various Artists" never names a recording
    assert studio["artist_latin"] == "Zoe Kay"
    assert studio["featured"] == "Kalo Mira"
    assert studio["audio_ms"] == 200_000  # the blank-titled track takes no part
    assert studio["first_release"] == dt.date(2001, 5, 1)
    assert live["featured"] is None and live["artist_latin"] is None


# --- spoiled rows -------------------------------------------------------------------------------


def test_inject_bad_videos_counts_what_it_spoils(
    generated: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    frame = generated[0]
    spoiled, counts = inject_bad_videos(frame, 0.05, seed=3)
    n_bad = round(len(frame) * 0.05)
    assert set(counts) == set(BAD_VIDEO_KINDS)
    assert sum(counts.values()) == n_bad
    title = spoiled["title"]
    assert (title.isna() | (title.str.strip() == "")).sum() == counts["null_title"]
    assert (spoiled["duration_ms"] < 0).sum() == counts["negative_duration"]
    normalized = spoiled["isrc"].dropna().str.replace(r"[\s\-_.]", "", regex=True).str.upper()
    assert (~normalized.str.fullmatch(ISRC_PATTERN)).sum() == counts["invalid_isrc"]
    assert spoiled["video_id"].isna().sum() == counts["null_id"]
    ids = spoiled["video_id"].dropna()
    assert ids.duplicated().sum() == counts["duplicate_id"]
    assert len(spoiled) == len(frame) + counts["duplicate_id"]
    assert (spoiled["source"] == "sample-dup").sum() == counts["duplicate_id"]
    assert spoiled["duration_ms"].dtype == np.int64
    # the input is left alone
    assert frame["video_id"].notna().all() and (frame["duration_ms"] > 0).all()


def test_inject_bad_videos_is_deterministic_and_optional(
    generated: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    frame = generated[0]
    a, counts_a = inject_bad_videos(frame, 0.02, seed=3)
    b, counts_b = inject_bad_videos(frame, 0.02, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert counts_a == counts_b
    untouched, none = inject_bad_videos(frame, 0.0)
    assert untouched is frame and none == {}
