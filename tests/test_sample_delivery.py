"""Tests of the day-2 delivery generator (pure Python, no Spark).

A delivery is what the incremental resolve (jobs.stages.deliver) is measured on, so these tests
pin down its contract (columns, change kinds, ids, truth, determinism) and that the forced merge
and split are exactly what the module promises: whole recordings moved, nothing else touched.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from features.identifiers import iswc_check_digit
from features.schemas import TRACK_GOLDEN, TRACK_INPUT
from jobs.runtime.config import SampleConfig
from jobs.samples.catalog import ISRC_PATTERN, VARIOUS_ARTISTS
from jobs.samples.datasets import SampleDataset, generate_datasets
from jobs.samples.delivery import Delivery, DeliveryError, generate_delivery

N = 2000
RATE = 0.05
SEED = 7
BAD_ROW_RATE = 0.02  # ten times the default: plenty of spoiled rows to stay clear of


@pytest.fixture(scope="module")
def day1() -> SampleDataset:
    sample = SampleConfig(
        n_tracks=N, seed=42, bad_row_rate=BAD_ROW_RATE, video_rate=0.0,
        entities={"tracks": "recordings"},
    )  # fmt: skip
    return generate_datasets(sample)["tracks"]


@pytest.fixture(scope="module")
def delivery(day1: SampleDataset) -> Delivery:
    return generate_delivery(day1.rows, day1.golden, rate=RATE, seed=SEED)


@pytest.fixture(scope="module")
def day1_rows(day1: SampleDataset) -> pd.DataFrame:
    """Day 1's rows by track id (the first copy of a duplicated id)."""
    return day1.rows.drop_duplicates("track_id").set_index("track_id")


@pytest.fixture(scope="module")
def day1_truth(day1: SampleDataset) -> pd.DataFrame:
    return day1.golden.set_index("track_id")


@pytest.fixture(scope="module")
def truth(delivery: Delivery) -> pd.DataFrame:
    return delivery.golden.set_index("track_id")


def _normalized(isrc: object) -> str | None:
    return None if isrc is None else str(isrc).replace("-", "").upper()


def _spoiled_ids(rows: pd.DataFrame) -> set[str]:
    """Track ids ``inject_bad_rows`` spoiled, found from the rows alone."""
    spoiled = set(rows.loc[rows["track_id"].duplicated(keep=False), "track_id"])
    for row in rows.itertuples(index=False):
        isrc, iswc = _normalized(row.isrc), row.iswc
        code = None if iswc is None else re.sub(r"[.\-\s]", "", iswc)
        if (
            not isinstance(row.title, str)
            or not row.title.strip()
            or (isrc is not None and not re.match(ISRC_PATTERN, isrc))
            or not 0 < row.duration_ms <= 4 * 3600 * 1000
            or (code is not None and iswc_check_digit(code[1:10]) != int(code[10]))
        ):
            spoiled.add(row.track_id)
    return spoiled


def _ids(delivery: Delivery, change: str) -> list[str]:
    return delivery.rows.loc[delivery.rows["change"] == change, "track_id"].tolist()


def _tracks_of(day1_truth: pd.DataFrame, recording_id: str) -> list[str]:
    return sorted(day1_truth.index[day1_truth["recording_id"] == recording_id])


# --- contract ---------------------------------------------------------------------------------


def test_columns_and_change_values(delivery: Delivery) -> None:
    assert list(delivery.rows.columns) == [*TRACK_INPUT.fieldNames(), "change"]
    assert set(delivery.rows["change"]) == {"new", "changed", "deleted"}
    assert list(delivery.golden.columns) == TRACK_GOLDEN.fieldNames()
    assert delivery.golden.notna().all().all()


def test_track_ids_are_unique_and_the_truth_covers_new_and_changed(delivery: Delivery) -> None:
    assert delivery.rows["track_id"].is_unique
    assert delivery.golden["track_id"].is_unique
    assert set(delivery.golden["track_id"]) == set(
        _ids(delivery, "new") + _ids(delivery, "changed")
    )


def test_new_ids_continue_the_numbering_and_the_others_exist(
    delivery: Delivery, day1: SampleDataset
) -> None:
    known = set(day1.rows["track_id"])
    last = max(int(t[1:]) for t in known)
    new = _ids(delivery, "new")
    assert all(re.fullmatch(r"T[0-9]{7}", t) for t in new)
    assert sorted(int(t[1:]) for t in new) == list(range(last + 1, last + 1 + len(new)))
    assert set(_ids(delivery, "changed")) <= known
    assert set(_ids(delivery, "deleted")) <= known


def test_counts_follow_the_rate(delivery: Delivery, day1: SampleDataset) -> None:
    k = max(10, round(RATE * len(day1.rows)))
    counts = delivery.rows["change"].value_counts()
    slack = len(delivery.forced["merge"]["moved"])  # the merge moves a whole recording
    assert k <= len(delivery.rows) <= k + slack
    assert counts["new"] == round(0.6 * k)
    assert counts["deleted"] == round(0.2 * k)
    assert abs(counts["changed"] - 0.2 * k) <= slack
    assert delivery.forced["deleted"]["ids"] == sorted(_ids(delivery, "deleted"))


def test_deleted_rows_keep_only_id_and_source(delivery: Delivery) -> None:
    deleted = delivery.rows[delivery.rows["change"] == "deleted"]
    rest = deleted.drop(columns=["track_id", "source", "change"])
    assert rest.isna().all().all()
    assert deleted["source"].eq("sample").all()


def test_nothing_is_built_on_a_spoiled_row(
    delivery: Delivery, day1: SampleDataset, day1_rows: pd.DataFrame, truth: pd.DataFrame
) -> None:
    spoiled = _spoiled_ids(day1.rows)
    assert len(spoiled) >= N * BAD_ROW_RATE * 0.9  # the check has something to find
    forced = delivery.forced
    used = set(_ids(delivery, "changed") + _ids(delivery, "deleted"))
    used |= {*forced["merge"]["into"], *forced["split"]["stay"]}
    assert not used & spoiled
    assert delivery.rows.loc[delivery.rows["change"] != "deleted", "title"].str.strip().ne("").all()


# --- new tracks -------------------------------------------------------------------------------


def test_new_releases_copy_a_clean_studio_track(
    delivery: Delivery,
    day1: SampleDataset,
    day1_rows: pd.DataFrame,
    day1_truth: pd.DataFrame,
    truth: pd.DataFrame,
) -> None:
    spoiled = _spoiled_ids(day1.rows)
    new = delivery.rows[delivery.rows["change"] == "new"].set_index("track_id")
    copies = [
        t for t in new.index if truth.at[t, "recording_id"] in set(day1_truth["recording_id"])
    ]
    assert len(copies) == round(0.5 * len(new))
    for track_id in copies:
        row, recording_id = new.loc[track_id], truth.at[track_id, "recording_id"]
        assert truth.at[track_id, "recording_kind"] == "studio"
        # a clean day-1 track of the recording, as another store prints it (several may look
        # alike: one of them is the copy)
        bases = [
            b
            for b in _tracks_of(day1_truth, recording_id)
            if b not in spoiled
            and day1_rows.at[b, "title"] == row["title"]
            and list(day1_rows.at[b, "artists"]) == list(row["artists"])
            and day1_rows.at[b, "isrc"] == row["isrc"]
            and abs(day1_rows.at[b, "duration_ms"] - row["duration_ms"]) <= 1000
            and all(row[c] != day1_rows.at[b, c] for c in ("album", "label", "release_date"))
        ]
        assert bases, f"{track_id}: no clean day-1 track of {recording_id} it copies"
        assert row["isrc"] is not None
        assert truth.at[track_id, "work_id"] == day1_truth.at[bases[0], "work_id"]


def test_brand_new_recordings_share_nothing_with_day1(
    delivery: Delivery, day1: SampleDataset, truth: pd.DataFrame
) -> None:
    ids = delivery.forced["new_recordings"]["ids"]
    assert set(ids) <= set(_ids(delivery, "new"))
    assert len(ids) == len(_ids(delivery, "new")) - round(0.5 * len(_ids(delivery, "new")))
    fresh = truth.loc[ids]
    assert not set(fresh["recording_id"]) & set(day1.golden["recording_id"])
    assert not set(fresh["work_id"]) & set(day1.golden["work_id"])
    assert fresh.groupby("recording_id").size().between(1, 3).all()
    rows = delivery.rows.set_index("track_id").loc[ids]
    day1_isrcs = {_normalized(i) for i in day1.rows["isrc"].dropna()}
    assert not {_normalized(i) for i in rows["isrc"].dropna()} & day1_isrcs
    day1_artists = {a.casefold() for names in day1.rows["artists"] for a in names}
    delivered = {a.casefold() for names in rows["artists"] for a in names if a != VARIOUS_ARTISTS}
    assert not delivered & day1_artists


# --- changed tracks ---------------------------------------------------------------------------


def test_forced_merge_moves_a_whole_recording_onto_another(
    delivery: Delivery, day1_rows: pd.DataFrame, day1_truth: pd.DataFrame, truth: pd.DataFrame
) -> None:
    into, moved = delivery.forced["merge"]["into"], delivery.forced["merge"]["moved"]
    a, b = day1_truth.loc[into[0], "recording_id"], day1_truth.loc[moved[0], "recording_id"]
    assert a != b
    assert into == _tracks_of(day1_truth, a) and len(into) >= 2
    assert moved == _tracks_of(day1_truth, b) and len(moved) >= 2
    assert set(day1_truth.loc[into + moved, "recording_kind"]) == {"studio"}
    artists_a = {x for names in day1_rows.loc[into, "artists"] for x in names}
    artists_b = {x for names in day1_rows.loc[moved, "artists"] for x in names}
    assert not artists_a & artists_b
    rows = delivery.rows.set_index("track_id")
    first = day1_rows.loc[into[0]]
    assert first["isrc"] is not None
    for track_id in moved:
        row = rows.loc[track_id]
        assert row["change"] == "changed"
        assert (row["title"], row["isrc"], row["duration_ms"]) == (
            first["title"], first["isrc"], first["duration_ms"]
        )  # fmt: skip
        assert list(row["artists"]) == list(first["artists"])
        for kept in ("album", "label", "release_date"):
            assert row[kept] == day1_rows.at[track_id, kept]
        assert truth.at[track_id, "recording_id"] == a
        assert truth.at[track_id, "work_id"] == day1_truth.at[into[0], "work_id"]
    assert not set(into) & set(rows.index)  # A's own tracks stay as they are


def test_forced_split_moves_one_track_to_a_new_song(
    delivery: Delivery, day1: SampleDataset, day1_truth: pd.DataFrame, truth: pd.DataFrame
) -> None:
    stay, moved = delivery.forced["split"]["stay"], delivery.forced["split"]["moved"]
    assert len(moved) == 1 and len(stay) >= 2
    c = day1_truth.at[moved[0], "recording_id"]
    assert sorted(stay + moved) == _tracks_of(day1_truth, c)
    assert day1_truth.at[moved[0], "recording_kind"] == "studio"
    merge = delivery.forced["merge"]
    assert c not in set(day1_truth.loc[merge["into"] + merge["moved"], "recording_id"])
    row = delivery.rows.set_index("track_id").loc[moved[0]]
    assert row["change"] == "changed"
    assert row["isrc"] is not None
    assert _normalized(row["isrc"]) not in {_normalized(i) for i in day1.rows["isrc"].dropna()}
    assert row["title"] != day1.rows.set_index("track_id").at[moved[0], "title"]
    assert truth.at[moved[0], "recording_id"] not in set(day1.golden["recording_id"])
    assert not set(stay) & set(delivery.rows["track_id"])  # C's other tracks stay as they are


def test_title_fixes_keep_the_recording(
    delivery: Delivery, day1_rows: pd.DataFrame, day1_truth: pd.DataFrame, truth: pd.DataFrame
) -> None:
    forced = {*delivery.forced["merge"]["moved"], *delivery.forced["split"]["moved"]}
    fixes = delivery.rows[
        (delivery.rows["change"] == "changed") & ~delivery.rows["track_id"].isin(forced)
    ]
    assert len(fixes) >= 1
    for row in fixes.itertuples(index=False):
        before = day1_rows.loc[row.track_id]
        assert row.title != before["title"]
        siblings = day1_rows.loc[_tracks_of(day1_truth, truth.at[row.track_id, "recording_id"])]
        # a tag dropped, or the spelling another release of the recording uses
        assert before["title"].startswith(row.title) or row.title in set(siblings["title"])
        for column in ("artists", "album", "duration_ms", "isrc", "release_date", "label", "iswc"):
            assert str(getattr(row, column)) == str(before[column]), (row.track_id, column)
        assert truth.loc[row.track_id].equals(day1_truth.loc[row.track_id])


def test_no_change_touches_the_forced_recordings(
    delivery: Delivery, day1_truth: pd.DataFrame, truth: pd.DataFrame
) -> None:
    merge, split = delivery.forced["merge"], delivery.forced["split"]
    forced_ids = merge["into"] + merge["moved"] + split["stay"] + split["moved"]
    recordings = set(day1_truth.loc[forced_ids, "recording_id"])
    others = delivery.rows.loc[~delivery.rows["track_id"].isin(merge["moved"] + split["moved"])]
    assert not set(others["track_id"]) & set(forced_ids)
    new = truth.loc[_ids(delivery, "new")]
    assert not set(new["recording_id"]) & recordings  # no new release of them either


# --- determinism and arguments ----------------------------------------------------------------


def test_same_seed_gives_the_same_delivery(day1: SampleDataset, delivery: Delivery) -> None:
    again = generate_delivery(day1.rows, day1.golden, rate=RATE, seed=SEED)
    pd.testing.assert_frame_equal(again.rows, delivery.rows)
    pd.testing.assert_frame_equal(again.golden, delivery.golden)
    assert again.forced == delivery.forced
    other = generate_delivery(day1.rows, day1.golden, rate=RATE, seed=SEED + 1)
    assert not other.rows["track_id"].equals(delivery.rows["track_id"])


@pytest.mark.parametrize("rate", [0.0, 1.0, -0.1])
def test_a_rate_out_of_range_is_refused(day1: SampleDataset, rate: float) -> None:
    with pytest.raises(DeliveryError, match="rate must be within"):
        generate_delivery(day1.rows, day1.golden, rate=rate, seed=SEED)
