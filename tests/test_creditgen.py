"""The sample's credits: every credit has its truth, names go wrong the ways labels spell them."""

from __future__ import annotations

import pandas as pd
import pytest

from features.identifiers import ipi_check, isni_check
from jobs.samples.catalog import build_catalog_and_works, generate_catalog_and_works
from jobs.samples.credits import (
    BAD_CREDIT_KINDS,
    CREDIT_COLUMNS,
    generate_credits,
    inject_bad_credits,
)

N = 4000


@pytest.fixture(scope="module")
def generated():
    builder, tracks, golden, feed, writers = build_catalog_and_works(N, seed=42)
    credits, truth = generate_credits(builder, tracks, writers, seed=42)
    return tracks, writers, credits, truth


def test_every_credit_has_one_truth(generated):
    tracks, writers, credits, truth = generated
    assert list(credits.columns) == list(CREDIT_COLUMNS)
    assert credits["credit_id"].is_unique
    by_credit = truth.set_index("credit_id")
    assert set(credits["credit_id"]) <= set(by_credit.index)
    # the rest are the tracks' main artists, under the id the contributor builder gives them
    artist_ids = set(by_credit.index) - set(credits["credit_id"])
    assert artist_ids and all(i.endswith("#a0") for i in artist_ids)
    assert set(truth.loc[truth["credit_id"].isin(artist_ids), "name_variant"]) == {"artist"}
    assert len(artist_ids) > 0.8 * len(tracks)
    # the works' writer rows are there as they were, each with an id
    kept = credits.loc[credits["role"].isin(["writer", "composer", "lyricist"])]
    pd.testing.assert_frame_equal(
        kept[["track_id", "source", "name", "role"]].reset_index(drop=True).head(len(writers)),
        writers.reset_index(drop=True),
    )


def test_roles_and_identifiers(generated):
    _, _, credits, truth = generated
    assert {"writer", "producer", "mixer", "remixer", "performer"} <= set(credits["role"])
    performers = credits.loc[credits["role"] == "performer"]
    assert performers["instrument"].notna().all()
    ipis = credits["ipi"].dropna()
    assert 0.2 < len(ipis) / len(credits) < 0.9
    assert all(ipi_check(i[:9]) == i[9:] for i in ipis)
    assert all(isni_check(i[:15]) == i[15] for i in credits["isni"].dropna())
    # one person, one IPI: never two IPIs for a person, nor two people for an IPI
    joined = credits.merge(truth, on="credit_id")
    with_ipi = joined.dropna(subset=["ipi"])
    assert with_ipi.groupby("person_id")["ipi"].nunique().max() == 1
    assert with_ipi.groupby("ipi")["person_id"].nunique().max() == 1


def test_name_variants(generated):
    _, _, credits, truth = generated
    joined = credits.merge(truth, on="credit_id")
    variants = set(joined["name_variant"])
    assert {"plain", "inverted", "initial", "typo", "legal", "country", "upper"} <= variants
    inverted = joined.loc[joined["name_variant"] == "inverted", "name"]
    whole = (
        ~inverted.str.contains(" ") | inverted.str.startswith("The ") | inverted.str.contains(" & ")
    )
    assert (inverted.str.contains(", ") | whole).all()  # mononyms, bands and duos stay whole
    assert joined.loc[joined["name_variant"] == "country", "name"].str.endswith(")").all()
    # a legal name shares no name with the person's other credits: its IPI and ISNI do
    legal = joined.loc[joined["name_variant"] == "legal"]
    assert legal["ipi"].notna().all()
    for person, rows in legal.groupby("person_id"):
        others = joined.loc[(joined["person_id"] == person) & (joined["name_variant"] != "legal")]
        assert not set(rows["name"]) & set(others["name"])


def test_same_name_different_people_share_no_collaborators(generated):
    """People of one name never share anyone credited beside them (mixers aside: by chance)."""
    _, _, credits, truth = generated
    joined = credits.merge(truth, on="credit_id")
    people = joined.loc[joined["name_variant"] == "plain"].groupby("name")["person_id"].unique()
    homonyms = people[people.map(len) > 1]
    assert len(homonyms) >= 2
    on_track = truth.assign(track_id=truth["credit_id"].map(_track_of(credits)))
    mixers = set(joined.loc[joined["role"] == "mixer", "person_id"])

    def beside(person: str) -> set[str]:
        tracks = set(on_track.loc[on_track["person_id"] == person, "track_id"])
        return set(on_track.loc[on_track["track_id"].isin(tracks), "person_id"]) - {person}

    for persons in homonyms:
        shared = set.intersection(*(beside(p) for p in persons))
        assert shared <= mixers, (persons, shared - mixers)


def _track_of(credits: pd.DataFrame):
    """credit id -> track id, artist credits ("<track>#a0") included."""
    ids = dict(zip(credits["credit_id"], credits["track_id"], strict=True))
    return lambda cid: cid.split("#")[0] if "#" in cid else ids[cid]


def test_tracks_are_the_same_with_credits(generated):
    tracks, writers, _, _ = generated
    again, _, _, writers_again = generate_catalog_and_works(N, seed=42)
    pd.testing.assert_frame_equal(tracks, again)
    pd.testing.assert_frame_equal(writers, writers_again)


def test_bad_credits(generated):
    _, _, credits, _ = generated
    spoiled, counts = inject_bad_credits(credits, rate=0.01, seed=1)
    assert set(counts) == set(BAD_CREDIT_KINDS) and sum(counts.values()) == round(
        len(credits) * 0.01
    )
    assert len(spoiled) == len(credits)  # nothing dropped: the features stage quarantines
    assert (spoiled["name"].str.strip() == "").sum() == counts["blank_name"]
    bad_ipi = spoiled["ipi"].dropna()
    assert sum(ipi_check(i[:9]) != i[9:] for i in bad_ipi) == counts["invalid_ipi"]


def test_spell_person_leaves_bands_whole():
    from jobs.samples.catalog import spell_person

    assert spell_person("Max Martin", "inverted") == "Martin, Max"
    assert spell_person("Max Martin", "initial") == "M. Martin"
    for band in ("The Velvet Pirates", "Ana & Lo"):  # not "Pirates, The Velvet", "T. Pirates"
        assert spell_person(band, "inverted") == spell_person(band, "initial") == band
