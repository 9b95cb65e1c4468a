"""Tests of the synthetic release generator (pure Python, no Spark).

Release deduplication is measured against this generator's truth, so the tests pin down the
contract (columns, types, determinism) and the truth model: a copy of a release shares its
true_release_id, an edition of an album (deluxe, remaster, regional) never does.
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

from features.schemas import RELEASE_GOLDEN, RELEASE_INPUT
from jobs.samples.catalog import RELEASE_KINDS, VARIOUS_ARTISTS, generate_catalog
from jobs.samples.releases import (
    BAD_RELEASE_KINDS,
    DUPLICATE_KIND_WEIGHTS,
    DUPLICATE_KINDS,
    EDITION_KINDS,
    MAX_COMPILATION_TRACKS,
    RELEASE_COLUMNS,
    RELEASE_GOLDEN_COLUMNS,
    STORE_SOURCES,
    base_album_title,
    generate_releases,
    inject_bad_releases,
    is_valid_upc,
    upc_check_digit,
)

N_TRACKS = 20_000  # about 11k true releases -> about 13k rows


@pytest.fixture(scope="module")
def catalog() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_catalog(N_TRACKS, seed=42)


@pytest.fixture(scope="module")
def generated(catalog: tuple[pd.DataFrame, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_releases(*catalog, seed=42)


@pytest.fixture(scope="module")
def releases(generated: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    """Releases with their truth."""
    frame, truth = generated
    return frame.join(truth.drop(columns="release_id"))


@pytest.fixture(scope="module")
def originals(releases: pd.DataFrame) -> pd.DataFrame:
    """One row per true release: the first delivery, not a copy."""
    return releases[releases["release_kind"].isin(RELEASE_KINDS)]


def _edition_album_pairs(originals: pd.DataFrame) -> pd.DataFrame:
    """Each deluxe/remaster/regional release next to the album of its title and artist."""
    albums = originals[originals["release_kind"] == "album"].assign(
        base=lambda f: f["title"], artist=lambda f: f["artists"].str[0].str.casefold()
    )
    editions = originals[originals["release_kind"].isin(EDITION_KINDS)].assign(
        base=lambda f: f["title"].map(base_album_title),
        artist=lambda f: f["artists"].str[0].str.casefold(),
    )
    return editions.merge(albums, on=["base", "artist"], suffixes=("", "_album"))


# --- contract ---------------------------------------------------------------------------------


def test_columns_follow_the_contracts(generated: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    frame, truth = generated
    assert list(frame.columns) == RELEASE_INPUT.fieldNames() == list(RELEASE_COLUMNS)
    assert list(truth.columns) == RELEASE_GOLDEN.fieldNames() == list(RELEASE_GOLDEN_COLUMNS)


def test_types_fit_the_contracts(generated: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    frame, truth = generated
    for column in ("artists", "track_titles"):
        values = frame[column]
        assert values.map(lambda v: isinstance(v, list) and len(v) > 0).all(), column
        assert values.map(lambda v: all(isinstance(x, str) and x.strip() for x in v)).all()
    for column in ("release_id", "source", "title"):
        assert frame[column].map(lambda v: isinstance(v, str) and v.strip() != "").all(), column
    for column in ("upc", "label", "genre"):
        assert frame[column].dropna().map(lambda v: isinstance(v, str)).all(), column
        assert frame[column].isna().any(), f"{column} is never missing"
    assert frame["track_count"].dtype == np.int64 and (frame["track_count"] > 0).all()
    years = frame["release_year"]
    assert years.map(lambda y: y is None or type(y) is int).all()
    assert years.isna().any() and years.notna().mean() > 0.9
    dates = frame["release_date"]
    assert dates.map(lambda d: d is None or type(d) is dt.date).all()
    dated = frame[dates.notna()]
    assert (dated["release_date"].map(lambda d: d.year) == dated["release_year"]).all()
    # a store that only knows the year: no date, but a year
    assert (dates.isna() & years.notna()).any()
    for column in RELEASE_GOLDEN_COLUMNS:  # not nullable
        assert truth[column].map(lambda v: isinstance(v, str) and v != "").all(), column
    assert set(truth["release_kind"]) == set(RELEASE_KINDS) | set(DUPLICATE_KINDS)


def test_frames_convert_to_the_contract_arrow_schemas(
    generated: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """What Spark's Arrow path would do with the frames, without starting Spark."""
    frame, truth = generated
    spoiled, _ = inject_bad_releases(frame, 0.05)
    for data, contract in (
        (frame, RELEASE_INPUT),
        (spoiled, RELEASE_INPUT),
        (truth, RELEASE_GOLDEN),
    ):
        schema = to_arrow_schema(contract, timezone="UTC")
        table = pa.Table.from_pandas(data, schema=schema, preserve_index=False)
        assert table.schema == schema and table.num_rows == len(data)


def test_ids_unique_and_aligned(generated: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    frame, truth = generated
    assert frame["release_id"].is_unique
    assert frame["release_id"].str.fullmatch(r"RL\d{8}").all()
    assert (frame["release_id"] == truth["release_id"]).all()


def test_same_inputs_and_seed_give_identical_frames(
    catalog: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    tracks, golden = catalog[0].head(6000), catalog[1].head(6000)
    first, second = (
        generate_releases(tracks, golden, seed=9),
        generate_releases(tracks, golden, seed=9),
    )
    pd.testing.assert_frame_equal(first[0], second[0])
    pd.testing.assert_frame_equal(first[1], second[1])
    other = generate_releases(tracks, golden, seed=10)
    assert first[0]["title"].tolist() != other[0]["title"].tolist()


def test_independent_of_string_hash_seed() -> None:
    """Set iteration or ``hash()`` would make the releases vary between processes."""
    code = (
        "import hashlib, sys; sys.path.insert(0, '.'); "
        "from jobs.samples.catalog import generate_catalog; "
        "from jobs.samples.releases import generate_releases; "
        "r, g = generate_releases(*generate_catalog(3000, seed=5), seed=5); "
        "print(hashlib.sha256(repr((r.to_numpy().tolist(), g.to_numpy().tolist()))"
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
    r, g = generate_releases(*generate_catalog(3000, seed=5), seed=5)
    expected = hashlib.sha256(repr((r.to_numpy().tolist(), g.to_numpy().tolist())).encode())
    assert digests == {expected.hexdigest()}


def test_tracks_are_joined_to_their_truth_by_id(
    catalog: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    tracks, golden = catalog[0].head(4000), catalog[1].head(4000)
    shuffled = golden.sample(frac=1.0, random_state=3)
    a = generate_releases(tracks, golden, seed=4)
    b = generate_releases(tracks, shuffled, seed=4)
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])


def test_no_usable_tracks_gives_empty_frames(catalog: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    tracks = catalog[0].head(50).assign(album=None)
    frame, truth = generate_releases(tracks, catalog[1].head(50))
    assert list(frame.columns) == list(RELEASE_COLUMNS) and len(frame) == 0
    assert list(truth.columns) == list(RELEASE_GOLDEN_COLUMNS) and len(truth) == 0


# --- truth ------------------------------------------------------------------------------------


def test_every_duplicate_shares_its_originals_group(releases: pd.DataFrame) -> None:
    kinds = releases.groupby("true_release_id")["release_kind"]
    n_originals = kinds.agg(lambda k: int(k.isin(RELEASE_KINDS).sum()))
    assert (n_originals == 1).all(), "a group without exactly one original release"
    copies = releases[releases["release_kind"].isin(DUPLICATE_KINDS)]
    assert len(copies) > 0
    original = releases[releases["release_kind"].isin(RELEASE_KINDS)].set_index("true_release_id")
    joined = copies.join(original, on="true_release_id", rsuffix="_original")
    # a copy is the same release: same kind of thing, same size give or take a bonus track
    assert (joined["release_id"] != joined["release_id_original"]).all()
    assert ((joined["track_count"] - joined["track_count_original"]).abs() <= 1).all()
    redelivered = joined[joined["release_kind"] == "redelivery"]
    assert (redelivered["source"] == redelivered["source_original"]).all()
    assert (redelivered["title"] == redelivered["title_original"]).all()
    assert (redelivered["upc"].fillna("") == redelivered["upc_original"].fillna("")).all()
    stored = joined[joined["release_kind"] == "store_copy"]
    assert stored["source"].isin(STORE_SOURCES).all()
    assert (stored["title"].str.casefold() == stored["title_original"].str.casefold()).all()
    typos = joined[joined["release_kind"] == "typo_copy"]
    changed = (typos["title"] != typos["title_original"]) | (
        typos["artists"].str[0] != typos["artists_original"].str[0]
    )
    assert changed.all()


def test_store_copies_spell_things_their_own_way(releases: pd.DataFrame) -> None:
    stored = releases[releases["release_kind"] == "store_copy"]
    artists = stored["artists"].str[0]
    assert artists.isin(["VA", "V.A.", "Various", "various artists"]).any()
    assert (stored["upc"].str.len() == 13).any()  # UPC-A written as EAN-13
    assert stored["track_titles"].map(lambda t: t[0].startswith(("01 ", "1. "))).any()
    assert stored["track_titles"].map(lambda t: len(t) == 1 and " / " in t[0]).any()


def test_editions_of_an_album_are_other_releases(originals: pd.DataFrame) -> None:
    pairs = _edition_album_pairs(originals)
    counts = pairs["release_kind"].value_counts()
    assert set(counts.index) == set(EDITION_KINDS) and (counts > 300).all(), counts.to_dict()
    assert (pairs["true_release_id"] != pairs["true_release_id_album"]).all()
    # an edition lists the album's tracks (then its bonus ones): hard to tell apart
    assert (pairs["track_count"] >= pairs["track_count_album"]).mean() > 0.95
    # half of the regional editions even carry the album's exact title
    regional = pairs[pairs["release_kind"] == "regional_reissue"]
    assert (regional["title"] == regional["title_album"]).mean() > 0.4


def test_duplicate_share_within_target(releases: pd.DataFrame) -> None:
    copies = releases.groupby("true_release_id").size() - 1
    assert 0.13 <= (copies >= 1).mean() <= 0.17  # DUPLICATE_RATE 0.15
    assert 0.02 <= (copies >= 2).mean() <= 0.04  # ... and 0.2 of those twice
    kinds = releases.loc[releases["release_kind"].isin(DUPLICATE_KINDS), "release_kind"]
    shares = kinds.value_counts(normalize=True)
    total = sum(DUPLICATE_KIND_WEIGHTS.values())
    for kind, weight in DUPLICATE_KIND_WEIGHTS.items():
        assert abs(shares[kind] - weight / total) < 0.04, kind


def test_track_count_matches_the_listed_titles(releases: pd.DataFrame) -> None:
    listed = releases["track_titles"].str.len()
    # one element holding several titles (a single's medley title, "A / B", is one title)
    concatenated = releases["track_titles"].map(lambda t: len(t) == 1 and " / " in t[0]) & (
        releases["track_count"] > 1
    )
    assert (releases.loc[~concatenated, "track_count"] == listed[~concatenated]).all()
    joined = releases.loc[concatenated]
    parts = joined["track_titles"].str[0].str.count(" / ") + 1
    # a medley's title holds " / " itself ("Yesterday / Michelle"): at least as many parts
    assert (parts >= joined["track_count"]).all()
    assert (parts == joined["track_count"]).mean() > 0.9


def test_compilations_various_artists_and_bounded(originals: pd.DataFrame) -> None:
    compilations = originals[originals["release_kind"] == "compilation"]
    assert (compilations["track_count"] <= MAX_COMPILATION_TRACKS).all()
    assert (compilations["track_count"] == MAX_COMPILATION_TRACKS).any()
    various = compilations["artists"].str[0] == VARIOUS_ARTISTS
    assert 0.05 < various.mean() < 0.5
    assert (
        originals.loc[originals["release_kind"] != "compilation", "artists"].str[0]
        != VARIOUS_ARTISTS
    ).all()
    assert (originals["artists"].str.len() == 1).all()


def test_releases_are_built_from_the_catalogs_tracks(
    catalog: tuple[pd.DataFrame, pd.DataFrame], originals: pd.DataFrame
) -> None:
    tracks, golden = catalog
    albums = set(tracks["album"].dropna())
    assert originals["title"].isin(albums).all()
    titles = set(tracks["title"])
    singles = originals[originals["release_kind"] == "single"]
    assert singles["track_titles"].map(lambda t: all(x in titles for x in t)).all()
    assert 0.5 < len(originals) / len(tracks) < 0.7  # small albums: about 2 tracks each


# --- UPC --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("036000291452", True),  # the textbook UPC-A
        ("0036000291452", True),  # ... as EAN-13
        ("4006381333931", True),  # an EAN-13
        ("036000291453", False),
        ("03600029145", False),
        ("03600029145X", False),
        (None, False),
    ],
)
def test_is_valid_upc(code: str | None, valid: bool) -> None:
    assert is_valid_upc(code) is valid


def test_upcs_valid_unique_and_on_a_share(releases: pd.DataFrame, originals: pd.DataFrame) -> None:
    upcs = releases["upc"].dropna()
    assert upcs.map(is_valid_upc).all()
    assert upc_check_digit("03600029145") == 2
    assert 0.70 <= originals["upc"].notna().mean() <= 0.80  # UPC_RATE 0.75
    # one UPC, one true release (an EAN-13 copy is the UPC-A with a leading zero)
    as_upc_a = upcs.str[-12:]
    per_upc = releases.loc[upcs.index, "true_release_id"].groupby(as_upc_a).nunique()
    assert (per_upc == 1).all()


@pytest.mark.parametrize(
    ("album", "base"),
    [
        ("Golden Road (Deluxe Edition)", "Golden Road"),
        ("Golden Road (Deluxe)", "Golden Road"),
        ("Golden Road [Expanded Edition]", "Golden Road"),
        ("Golden Road (Japan Edition)", "Golden Road"),
        ("Golden Road (International Version)", "Golden Road"),
        ("Golden Road (Remastered)", "Golden Road"),
        ("Golden Road (2011 Remaster)", "Golden Road"),
        ("Golden Road (Live)", "Golden Road (Live)"),
        ("Deluxe", "Deluxe"),
    ],
)
def test_base_album_title(album: str, base: str) -> None:
    assert base_album_title(album) == base


# --- spoiled rows -------------------------------------------------------------------------------


def test_inject_bad_releases_counts_what_it_spoils(
    generated: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    frame = generated[0]
    spoiled, counts = inject_bad_releases(frame, 0.05, seed=3)
    n_bad = round(len(frame) * 0.05)
    assert set(counts) == set(BAD_RELEASE_KINDS)
    assert sum(counts.values()) == n_bad
    title = spoiled["title"]
    assert (title.isna() | (title.str.strip() == "")).sum() == counts["null_title"]
    assert (~spoiled["upc"].dropna().map(is_valid_upc)).sum() == counts["invalid_upc"]
    assert (spoiled["track_count"] < 0).sum() == counts["negative_track_count"]
    zero = spoiled["track_count"] == 0
    assert zero.sum() == counts["zero_track_count"]
    assert (spoiled.loc[zero, "track_titles"].str.len() > 0).all()
    assert spoiled["release_id"].isna().sum() == counts["null_id"]
    assert spoiled["release_id"].dropna().duplicated().sum() == counts["duplicate_id"]
    assert len(spoiled) == len(frame) + counts["duplicate_id"]
    assert (spoiled["source"] == "sample-dup").sum() == counts["duplicate_id"]
    assert spoiled["track_count"].dtype == np.int64
    # the input is left alone
    assert frame["release_id"].notna().all() and (frame["track_count"] > 0).all()
    assert frame["upc"].dropna().map(is_valid_upc).all()


def test_inject_bad_releases_is_deterministic_and_optional(
    generated: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    frame = generated[0]
    a, counts_a = inject_bad_releases(frame, 0.02, seed=3)
    b, counts_b = inject_bad_releases(frame, 0.02, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert counts_a == counts_b
    untouched, none = inject_bad_releases(frame, 0.0)
    assert untouched is frame and none == {}
