"""Deterministic day-2 deliveries of the sample catalog's tracks, with their truth.

After the first load a catalog keeps receiving deliveries: new tracks, corrections of old ones,
take-downs. ``generate_delivery`` fabricates one such delivery for the ``tracks`` data set that
``jobs.samples.datasets.generate_datasets`` makes (``jobs.stages.deliver`` applies it): the
``TRACK_INPUT`` columns plus ``change`` (new, changed, deleted), and the truth of every new or
changed track afterwards. Of ``max(MIN_ROWS, round(rate * n))`` rows, about

* ``NEW_SHARE`` are new tracks: half another release of a day-1 studio recording (a clean track
  of it copied as another store prints it: same title, artists, ISRC and duration within a
  second, another album, label and date), half the 1-3 releases of brand-new songs by artists
  day 1 has never seen, made by the catalog's own builder (its names, noise and ISRCs);
* ``DELETED_SHARE`` are take-downs of day-1 tracks (only ``track_id`` and ``source`` kept);
* the rest are changed: one forced merge (every track of a studio recording B re-delivered as
  the studio recording A, A's identifiers and all), one forced split (one track of a studio
  recording C re-delivered as a brand-new song), and title fixes that keep the recording (a
  remaster tag dropped, a typo or an all-caps/lower-case spelling replaced by the recording's
  usual spelling).

The forced merge and split are what an incremental resolve must get right beyond adding and
removing records: a group must grow by whole records of another group, and a record must leave
its group. ``Delivery.forced`` names their tracks so tests can check exactly that.

Nothing is built on a spoiled row (``jobs.samples.catalog.inject_bad_rows``: blank title, bad
ISRC, duration or ISWC, duplicated id), and a recording used by the forced merge or split has
all of its tracks clean and takes part in nothing else. All draws come from
``random.Random(seed)`` and ``numpy.random.default_rng(seed)``, so the same inputs and seed give
identical frames.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from features.errors import ResolutionError
from features.identifiers import iswc_check_digit
from features.schemas import (
    CHANGE_COLUMN,
    CHANGE_KINDS,
    CHANGED,
    DELETED,
    NEW,
    TRACK_GOLDEN,
    TRACK_INPUT,
)

# The catalog builder's private parts make fresh songs exactly as day 1's were made.
from jobs.samples.catalog import (
    _ARTIST_TYPES,
    _FIRST_RELEASE_KINDS,
    _REISSUE_KINDS,
    COMPILATION_LABELS,
    COMPILATION_NAMES,
    DELUXE_SUFFIXES,
    ISRC_COUNTRIES,
    ISRC_PATTERN,
    MAX_DATE,
    MIN_DATE,
    REGIONAL_SUFFIXES,
    REMASTER_TAGS,
    SOURCE,
    VARIOUS_ARTISTS,
    _Artist,
    _CatalogBuilder,
    _Recording,
    _Weighted,
    strip_diacritics,
)

logger = logging.getLogger(__name__)

DELIVERY_COLUMNS: tuple[str, ...] = (*TRACK_INPUT.fieldNames(), CHANGE_COLUMN)
GOLDEN_COLUMNS: tuple[str, ...] = tuple(TRACK_GOLDEN.fieldNames())

MIN_ROWS = 10
NEW_SHARE = 0.6
DELETED_SHARE = 0.2  # the rest are changed: the forced merge and split first, then title fixes
NEW_RELEASE_SHARE = 0.5  # of the new rows: another release of a day-1 studio recording
FRESH_RELEASES = (1, 3)  # tracks of one brand-new recording (min, max)
NEW_RELEASE_KINDS = {"compilation": 50, "regional_reissue": 30, "deluxe": 20}
DURATION_JITTER_MS = 1000  # another store's copy of a track: duration off by up to a second
MAX_DURATION_MS = 4 * 3600 * 1000  # features.tracks: longer (or not positive) is spoiled
SPLIT_MIN_TRACKS = 3
MERGE_MIN_TRACKS = 2
_MAX_DRAWS = 10_000  # fresh names: give up (and say so) rather than loop for ever

_ISRC_RE = re.compile(ISRC_PATTERN)
_ISWC_SEPARATORS = re.compile(r"[\s.\-]")
_REMASTER_SUFFIX = re.compile(
    "(?:"
    + "|".join(re.escape(t).replace(re.escape("{y}"), r"\d{4}") for t in REMASTER_TAGS)
    + ")$",
    re.IGNORECASE,
)
_TITLE_TAIL = re.compile(r" (?:\(|\[|- |feat\.|ft\.|featuring ).*$", re.IGNORECASE)


class DeliveryError(ResolutionError, ValueError):
    """A delivery cannot be made from these day-1 tracks with these arguments."""


@dataclass(frozen=True)
class Delivery:
    rows: pd.DataFrame  # TRACK_INPUT columns + "change", one row per track_id, by track_id
    golden: pd.DataFrame  # TRACK_GOLDEN rows of every new or changed track after the delivery
    # "merge": {"into", "moved"}, "split": {"stay", "moved"}, "deleted": {"ids"},
    # "new_recordings": {"ids"}: track ids, for tests
    forced: dict[str, dict[str, list[str]]]


# --- day 1 ----------------------------------------------------------------------------------------


def normalized_isrc(isrc: Any) -> str | None:
    """'us-ab1-23-00001' -> 'USAB12300001'; None for a missing value."""
    if isrc is None or isrc is pd.NA or (isinstance(isrc, float) and np.isnan(isrc)):
        return None
    return str(isrc).replace("-", "").strip().upper()


def _iswc_ok(iswc: Any) -> bool:
    """A missing ISWC is fine; a present one needs the shape and a right check digit."""
    if iswc is None or (isinstance(iswc, float) and np.isnan(iswc)):
        return True
    code = _ISWC_SEPARATORS.sub("", str(iswc)).upper()
    return bool(re.fullmatch(r"T[0-9]{10}", code)) and iswc_check_digit(code[1:10]) == int(code[10])


def _on_distinct(values: pd.Series, func: Callable[[Any], Any]) -> pd.Series:
    """``func`` of each present value, called once per distinct value (catalogs repeat them a
    lot); NaN where the value is missing."""
    distinct = values.dropna().unique()
    return values.map(dict(zip(distinct, map(func, distinct), strict=True)))


def clean_track_mask(tracks: pd.DataFrame) -> pd.Series:
    """Rows nobody spoiled: a title, a well-formed ISRC or none, a sane duration, a right ISWC
    or none, and a track id delivered once (a duplicated id spoils both copies)."""
    has_title = _on_distinct(tracks["title"], lambda t: isinstance(t, str) and t.strip() != "")
    isrc = _on_distinct(tracks["isrc"], lambda i: bool(_ISRC_RE.match(normalized_isrc(i) or "")))
    isrc_ok = tracks["isrc"].isna() | isrc.eq(True)
    duration = pd.to_numeric(tracks["duration_ms"], errors="coerce")
    duration_ok = (duration > 0) & (duration <= MAX_DURATION_MS)
    iswc_ok = tracks["iswc"].isna() | _on_distinct(tracks["iswc"], _iswc_ok).eq(True)
    once = ~tracks["track_id"].duplicated(keep=False) & tracks["track_id"].notna()
    return has_title.eq(True) & isrc_ok & duration_ok & iswc_ok & once


def _plain(value: Any) -> Any:
    """None for pandas' missing values (NaN, NA, NaT), the value itself otherwise."""
    return None if value is None or (np.ndim(value) == 0 and pd.isna(value)) else value


def _artist_key(name: str) -> str:
    key = strip_diacritics(name).casefold().strip()
    key = key.removeprefix("the ").removesuffix(", the")
    return re.sub(r"\s+", " ", key)


def _title_key(title: str) -> str:
    """The song part of a title: no version tag or featured artist, case and accents folded."""
    return _TITLE_TAIL.sub("", strip_diacritics(title).casefold()).strip()


def _number(ids: pd.Series) -> int:
    """The largest number in ids such as 'T0000123' or 'R00000042' (-1 for none)."""
    digits = (str(i).lstrip(string.ascii_uppercase) for i in ids.dropna().unique())
    return max((int(d) for d in digits if d.isdigit()), default=-1)


def _grouped(keys: Iterable[str], values: Iterable[str]) -> dict[str, list[str]]:
    """``values`` per key, in their order (pandas' ``agg(list)`` is slow on many groups)."""
    groups: dict[str, list[str]] = {}
    for key, value in zip(keys, values, strict=True):
        groups.setdefault(key, []).append(value)
    return groups


class _Day1:
    """The day-1 catalog as the delivery needs it: clean tracks with their truth, per recording."""

    def __init__(self, tracks: pd.DataFrame, golden: pd.DataFrame) -> None:
        tracks = tracks.reset_index(drop=True)
        known = tracks.merge(golden, on="track_id", how="left", validate="many_to_one")
        known["isrc_key"] = _on_distinct(known["isrc"], normalized_isrc)
        clean = known[clean_track_mask(tracks) & known["recording_id"].notna()]
        self.clean = clean.sort_values("track_id").set_index("track_id", drop=False)
        self.isrcs = frozenset(known["isrc_key"].dropna())
        names = {a for names in tracks["artists"] if names is not None for a in names}
        self.artist_keys = {_artist_key(a) for a in names}
        titles = tracks["title"].dropna().unique()
        self.title_keys = {_title_key(t) for t in titles if isinstance(t, str)}
        self.labels = sorted({str(lb) for lb in tracks["label"].dropna()})
        ids = tracks["track_id"].dropna()
        width = ids.str.len().max() - 1 if len(ids) else 7
        self.id_width = int(max(width, 7))
        self.last_track = _number(ids)
        self.last_recording = _number(golden["recording_id"])
        self.last_work = _number(golden["work_id"])
        # recordings: their truth, every day-1 track of them, the clean ones in id order
        truth = golden.drop_duplicates("recording_id").set_index("recording_id")
        clean_ids = _grouped(self.clean["recording_id"], self.clean["track_id"])
        self.recordings = pd.DataFrame(
            {
                "kind": truth["recording_kind"],
                "n_tracks": golden.groupby("recording_id").size(),
            }
        ).sort_index()
        self.recordings["clean_ids"] = [clean_ids.get(r, []) for r in self.recordings.index]
        self.recordings["n_clean"] = self.recordings["clean_ids"].map(len)
        # a track whose ISRC belongs to its own recording only: a copy of it is that recording
        owners = known.dropna(subset=["isrc_key"]).groupby("isrc_key")["recording_id"].nunique()
        own_isrc = clean["isrc_key"].map(owners).eq(1)
        self.anchors = frozenset(clean.loc[own_isrc, "track_id"])
        # the usual spelling of each recording's title (seen at least twice)
        counts = clean.groupby(["recording_id", "title"]).size().reset_index(name="n")
        self.title_count = {
            (r, t): n
            for r, t, n in zip(counts["recording_id"], counts["title"], counts["n"], strict=True)
        }
        counts = counts[counts["n"] >= 2].sort_values(
            ["recording_id", "n", "title"], ascending=[True, False, True]
        )
        top = counts.drop_duplicates("recording_id")
        self.usual_title = dict(zip(top["recording_id"], top["title"], strict=True))

    def row(self, track_id: str) -> dict[str, Any]:
        """A clean day-1 track's input row (plain Python values)."""
        values = self.clean.loc[track_id]
        row = {c: _plain(values[c]) for c in TRACK_INPUT.fieldNames()}
        row["artists"] = [str(a) for a in values["artists"]]
        row["duration_ms"] = int(values["duration_ms"])
        return row

    def whole_studio(self, min_tracks: int) -> list[str]:
        """Studio recordings all of whose day-1 tracks are clean, at least ``min_tracks``."""
        r = self.recordings
        ok = (
            (r["kind"] == "studio") & (r["n_clean"] == r["n_tracks"]) & (r["n_clean"] >= min_tracks)
        )
        return r.index[ok].tolist()

    def artist_keys_of(self, recording_id: str) -> set[str]:
        names = self.clean.loc[self.recordings.at[recording_id, "clean_ids"], "artists"]
        return {_artist_key(a) for artists in names for a in artists if a != VARIOUS_ARTISTS}


# --- fresh songs ----------------------------------------------------------------------------------


class _FreshSongs:
    """Songs by artists day 1 has never seen, with titles and ISRCs it never used.

    The catalog's builder draws the names, titles, durations and per-release noise, so new
    tracks look like old ones; only its pools are swapped for fresh ones. Fresh artists take
    ISRC prefixes from the top of the builder's prefix space (day 1 uses the bottom), and every
    ISRC is checked against day 1's anyway.
    """

    def __init__(self, day1: _Day1, seed: int) -> None:
        self.builder = _CatalogBuilder(1, seed)
        self.taken_artists = set(day1.artist_keys)
        self.taken_titles = set(day1.title_keys)
        self.taken_isrcs = day1.isrcs
        self.next_prefix = len(ISRC_COUNTRIES) * 36**3 - 1

    def _artist(self) -> _Artist:
        b = self.builder
        for _ in range(_MAX_DRAWS):
            name, latin = b._artist_name(_ARTIST_TYPES.draw(b.u()))
            keys = {_artist_key(name), _artist_key(latin or name)}
            if not keys & self.taken_artists:
                self.taken_artists |= keys
                self.next_prefix -= 1
                return b._new_artist(name, latin, self.next_prefix + 1)
        raise DeliveryError(f"no artist name unused by day 1 after {_MAX_DRAWS} draws")

    def _title(self) -> str:
        for _ in range(_MAX_DRAWS):
            title = self.builder._title()
            if _title_key(title) not in self.taken_titles:
                self.taken_titles.add(_title_key(title))
                return title
        raise DeliveryError(f"no title unused by day 1 after {_MAX_DRAWS} draws")

    def recording(self) -> _Recording:
        """A new studio recording of a new song by a new artist, with its own ISRC."""
        b = self.builder
        artist, title = self._artist(), self._title()
        duration = int(min(max(b.rnd.gauss(230, 55), 120), 420) * 1000) + b._int(0, 999)
        ordinal = b._int(MIN_DATE, MAX_DATE - 180)
        rec = b._register(_Recording(-1, "studio", title, artist, (), duration, ordinal, (0, 0)))
        while normalized_isrc(rec.isrc) in self.taken_isrcs:
            rec.isrc = b._isrc(artist, ordinal)
        rec.album = b._album_for(artist)
        return rec

    def releases(self, rec: _Recording, n: int) -> list[dict[str, Any]]:
        """``n`` tracks of ``rec`` as the catalog prints releases: rows with ``release_kind``."""
        b = self.builder
        for i in range(n):
            b._release(rec, (_REISSUE_KINDS if i else _FIRST_RELEASE_KINDS).draw(b.u()), i)
        rows = [
            dict(zip(b.rows, values, strict=True)) for values in zip(*b.rows.values(), strict=True)
        ]
        for values in b.rows.values():
            values.clear()
        for row in rows:
            if normalized_isrc(row["isrc"]) in self.taken_isrcs:  # never seen: guards only
                row["isrc"] = rec.isrc
            row["duration_ms"] = int(row["duration_ms"])
        return rows


# --- the delivery -----------------------------------------------------------------------------------


def _one_slip(typed: str, meant: str) -> bool:
    """Whether ``typed`` is ``meant`` with one keyboard slip: two neighbours swapped, or one
    character dropped or doubled (the catalog's typos)."""
    if len(typed) == len(meant):
        diff = [i for i, (x, y) in enumerate(zip(typed, meant, strict=True)) if x != y]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and typed[diff[0]] == meant[diff[1]]
            and typed[diff[1]] == meant[diff[0]]
        )
    if abs(len(typed) - len(meant)) != 1:
        return False
    short, long = sorted((typed, meant), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _studio_truth(recording_id: str, work_id: str, row: dict[str, Any]) -> dict[str, Any]:
    """The golden row of a track of a brand-new (studio) recording."""
    return {
        "recording_id": recording_id,
        "work_id": work_id,
        "recording_kind": "studio",
        "release_kind": row["release_kind"],
    }


class _DeliveryBuilder:
    """Collects the delivery's rows and truth, the forced changes first: they pick the
    recordings that every later change must leave alone."""

    def __init__(self, day1: _Day1, seed: int) -> None:
        self.day1 = day1
        self.rnd = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.fresh = _FreshSongs(day1, seed * 7919 + 29)
        self.rows: list[dict[str, Any]] = []
        self.golden: list[dict[str, Any]] = []
        self.used: set[str] = set()  # day-1 track ids the delivery changed, deleted or copied
        self.closed: set[str] = set()  # recordings of the forced merge and split: off limits
        self.forced: dict[str, dict[str, list[str]]] = {}
        self.next_track = day1.last_track + 1
        self.next_recording = day1.last_recording + 1
        self.next_work = day1.last_work + 1

    # --- small helpers ----------------------------------------------------------------------------

    def _pick(self, items: list[Any]) -> Any:
        return items[int(self.np_rng.integers(len(items)))]

    def _shuffled(self, items: Iterable[Any]) -> list[Any]:
        items = list(items)
        return [items[i] for i in self.np_rng.permutation(len(items)).tolist()]

    def _new_id(self) -> str:
        track_id = f"T{self.next_track:0{self.day1.id_width}d}"
        self.next_track += 1
        return track_id

    def _fresh_truth(self) -> tuple[str, str]:
        """A recording id and a work id that day 1 never used."""
        ids = f"R{self.next_recording:08d}", f"W{self.next_work:08d}"
        self.next_recording += 1
        self.next_work += 1
        return ids

    def _add(self, row: dict[str, Any], change: str, truth: dict[str, Any] | None) -> None:
        self.rows.append(
            {**{c: row.get(c) for c in TRACK_INPUT.fieldNames()}, CHANGE_COLUMN: change}
        )
        if truth is not None:
            self.golden.append({"track_id": row["track_id"], **truth})

    def _day1_truth(self, track_id: str) -> dict[str, Any]:
        values = self.day1.clean.loc[track_id]
        return {c: values[c] for c in GOLDEN_COLUMNS[1:]}

    def _free_clean_ids(self) -> Iterator[str]:
        """Clean day-1 tracks not yet used, outside the forced recordings, in random order."""
        clean = self.day1.clean
        open_ = ~clean["recording_id"].isin(sorted(self.closed))
        for track_id in self._shuffled(clean.index[open_].tolist()):
            if track_id not in self.used:
                yield track_id

    # --- forced changes ---------------------------------------------------------------------------

    def merge(self) -> None:
        """Every track of studio recording B re-delivered as studio recording A."""
        day1 = self.day1
        studio = day1.whole_studio(MERGE_MIN_TRACKS)
        a = next((r for r in self._shuffled(studio) if self._mergeable_into(r)), None)
        if a is None:
            raise DeliveryError(
                "forced merge: no studio recording with all of its (>= 2) tracks clean whose "
                "first track carries its own ISRC; generate a bigger day-1 catalog"
            )
        a_artists = day1.artist_keys_of(a)
        b = next(
            (
                r
                for r in self._shuffled(studio)
                if r != a and not day1.artist_keys_of(r) & a_artists
            ),
            None,
        )
        if b is None:
            raise DeliveryError(
                f"forced merge: no other artist's studio recording to merge into {a}"
            )
        a_ids, b_ids = day1.recordings.at[a, "clean_ids"], day1.recordings.at[b, "clean_ids"]
        first = day1.row(a_ids[0])
        truth_a = self._day1_truth(a_ids[0])
        for track_id in b_ids:
            row = day1.row(track_id)
            for column in ("title", "artists", "isrc", "duration_ms", "iswc"):
                row[column] = list(first[column]) if column == "artists" else first[column]
            truth = {**truth_a, "release_kind": day1.clean.at[track_id, "release_kind"]}
            self._add(row, CHANGED, truth)
        self.closed |= {a, b}
        self.used |= {*a_ids, *b_ids}
        self.forced["merge"] = {"into": list(a_ids), "moved": list(b_ids)}

    def _mergeable_into(self, recording_id: str) -> bool:
        """Whether B's tracks can take this recording's first track's identity: its ISRC is
        the recording's own and it names the artist (not "Various Artists")."""
        first = self.day1.recordings.at[recording_id, "clean_ids"][0]
        return (
            first in self.day1.anchors
            and VARIOUS_ARTISTS not in self.day1.clean.at[first, "artists"]
        )

    def split(self) -> None:
        """One track of studio recording C re-delivered as a brand-new song."""
        day1 = self.day1
        candidates = [r for r in day1.whole_studio(SPLIT_MIN_TRACKS) if r not in self.closed]
        if not candidates:
            raise DeliveryError(
                f"forced split: no studio recording with all of its (>= {SPLIT_MIN_TRACKS}) "
                "tracks clean; generate a bigger day-1 catalog"
            )
        c = self._pick(candidates)
        c_ids = day1.recordings.at[c, "clean_ids"]
        moved = self._pick(c_ids)
        rec = self.fresh.recording()
        row = self.fresh.releases(rec, 1)[0]
        row.update(track_id=moved, source=day1.clean.at[moved, "source"], iswc=None, genre=None)
        row["isrc"] = row["isrc"] or rec.isrc  # the split is told by its own ISRC
        self._add(row, CHANGED, _studio_truth(*self._fresh_truth(), row))
        self.closed.add(c)
        self.used |= set(c_ids)
        self.forced["split"] = {"stay": [t for t in c_ids if t != moved], "moved": [moved]}

    # --- regular changes --------------------------------------------------------------------------

    def new_releases(self, n: int) -> None:
        """Another store's release of ``n`` day-1 studio recordings, one track each."""
        day1 = self.day1
        anchors = day1.clean.loc[sorted(day1.anchors)]
        anchors = anchors[
            (anchors["recording_kind"] == "studio")
            & ~anchors["recording_id"].isin(sorted(self.closed))
        ]
        kinds = _Weighted.of(NEW_RELEASE_KINDS)
        recordings = self._shuffled(anchors["recording_id"].unique().tolist())[:n]
        by_recording = _grouped(anchors["recording_id"], anchors["track_id"])
        for recording_id in recordings:
            basis = self._pick(by_recording[recording_id])
            row = day1.row(basis)
            kind = kinds.draw(self.rnd.random())
            row.update(self._another_release(row, kind))
            row["track_id"] = self._new_id()
            row["duration_ms"] += self.rnd.randint(-DURATION_JITTER_MS, DURATION_JITTER_MS)
            truth = {**self._day1_truth(basis), "release_kind": kind}
            self._add(row, NEW, truth)
            self.used.add(basis)
        if len(recordings) < n:
            logger.warning(
                "only %d of %d new releases: too few studio recordings", len(recordings), n
            )

    def _another_release(self, row: dict[str, Any], kind: str) -> dict[str, Any]:
        """Album, label and date of a later release of ``kind``, each unlike ``row``'s."""
        r = self.rnd
        old_date: dt.date | None = row["release_date"]
        if old_date is None:
            ordinal = r.randint(MIN_DATE, MAX_DATE)
        else:
            ordinal = old_date.toordinal() + r.randint(365, 15 * 365)
            if ordinal > MAX_DATE:
                ordinal = max(MIN_DATE, old_date.toordinal() - r.randint(30, 3 * 365))
        date = dt.date.fromordinal(ordinal)
        album, label = row["album"], row["label"]
        if kind == "deluxe" and album:
            new_album = album + r.choice(DELUXE_SUFFIXES)
        elif kind == "regional_reissue" and album:
            new_album = album + r.choice(REGIONAL_SUFFIXES)
        else:
            new_album = r.choice(COMPILATION_NAMES).format(
                n=r.randint(1, 99),
                artist=row["artists"][0],
                decade=date.year // 10 * 10 % 100,
                year=date.year,
            )
        if new_album == album:
            new_album = f"{album} ({date.year} Edition)"
        pool = COMPILATION_LABELS if kind == "compilation" else self.day1.labels
        labels = [lb for lb in pool if lb != label] or [
            lb for lb in COMPILATION_LABELS if lb != label
        ]
        return {"album": new_album, "label": r.choice(labels), "release_date": date}

    def fresh_recordings(self, n: int) -> None:
        """``n`` tracks of brand-new recordings, 1-3 each."""
        ids: list[str] = []
        while len(ids) < n:
            rec = self.fresh.recording()
            count = min(self.rnd.randint(*FRESH_RELEASES), n - len(ids))
            recording_id, work_id = self._fresh_truth()
            for row in self.fresh.releases(rec, count):
                row.update(track_id=self._new_id(), source=SOURCE, iswc=None, genre=None)
                self._add(row, NEW, _studio_truth(recording_id, work_id, row))
                ids.append(row["track_id"])
        self.forced["new_recordings"] = {"ids": ids}

    def _fixed_title(self, track_id: str) -> tuple[str, str] | None:
        """(kind, title) of a correction that keeps the recording, or None for none."""
        clean = self.day1.clean
        title, recording_id = clean.at[track_id, "title"], clean.at[track_id, "recording_id"]
        stripped = _REMASTER_SUFFIX.sub("", title).strip()
        if stripped != title and stripped:
            return "remaster_tag", stripped
        usual = self.day1.usual_title.get(recording_id)
        if usual is None or usual == title:
            return None
        if title.casefold() == usual.casefold() and title in (title.upper(), title.lower()):
            return "case", usual
        if self.day1.title_count[(recording_id, title)] == 1 and _one_slip(title, usual):
            return "typo", usual
        return None

    def title_fixes(self, n: int) -> None:
        """``n`` corrected titles, each kind of correction about as often as the others."""
        found: dict[str, list[tuple[str, str]]] = {"remaster_tag": [], "case": [], "typo": []}
        for track_id in self._free_clean_ids():
            fix = self._fixed_title(track_id)
            if fix is not None and len(found[fix[0]]) < n:
                found[fix[0]].append((track_id, fix[1]))
            if all(len(v) >= n for v in found.values()):
                break
        chosen: list[tuple[str, str]] = []
        queues = [list(v) for v in found.values()]
        while len(chosen) < n and any(queues):
            for queue in queues:
                if queue and len(chosen) < n:
                    chosen.append(queue.pop(0))
        for track_id, title in chosen:
            row = self.day1.row(track_id)
            row["title"] = title
            self._add(row, CHANGED, self._day1_truth(track_id))
            self.used.add(track_id)
        if len(chosen) < n:
            logger.warning("only %d of %d title fixes: too few titles to correct", len(chosen), n)

    def deletions(self, n: int) -> None:
        ids = []
        for track_id in self._free_clean_ids():
            if len(ids) == n:
                break
            ids.append(track_id)
        for track_id in ids:
            self._add(
                {"track_id": track_id, "source": self.day1.clean.at[track_id, "source"]},
                DELETED,
                None,
            )
        self.used |= set(ids)
        self.forced["deleted"] = {"ids": sorted(ids)}

    def result(self) -> Delivery:
        rows = sorted(self.rows, key=lambda row: row["track_id"])
        golden = sorted(self.golden, key=lambda row: row["track_id"])
        # object columns of plain Python values: Spark's createDataFrame takes them as they are
        frame = pd.DataFrame(
            {c: pd.Series([row[c] for row in rows], dtype=object) for c in DELIVERY_COLUMNS}
        )
        truth = pd.DataFrame(
            {c: pd.Series([row[c] for row in golden], dtype=object) for c in GOLDEN_COLUMNS}
        )
        forced = {k: self.forced[k] for k in ("merge", "split", "deleted", "new_recordings")}
        return Delivery(frame, truth, forced)


def generate_delivery(
    tracks: pd.DataFrame, golden: pd.DataFrame, *, rate: float, seed: int
) -> Delivery:
    """A day-2 delivery for the sample catalog's ``tracks`` (see the module docstring).

    Args:
        tracks: Day 1's track rows (``TRACK_INPUT`` columns), spoiled rows and all.
        golden: Day 1's truth (``TRACK_GOLDEN``), one row per track id.
        rate: Delivered rows as a share of day 1's, in (0, 1); at least ``MIN_ROWS`` rows
            (a few more when the forced merge's recording has many tracks).
        seed: Seed of every draw: the same inputs and seed give identical deliveries.

    Returns:
        A ``Delivery``: its rows by track id, the truth of its new and changed tracks, and the
        track ids of the forced merge and split, the deletions and the brand-new recordings.

    Raises:
        DeliveryError: If ``rate`` is out of range, or day 1 is too small for the forced merge
            and split.
    """
    if not 0.0 < rate < 1.0:
        raise DeliveryError(f"rate must be within (0, 1), got {rate}")
    n_rows = max(MIN_ROWS, round(rate * len(tracks)))
    n_new = round(NEW_SHARE * n_rows)
    n_deleted = round(DELETED_SHARE * n_rows)
    n_changed = n_rows - n_new - n_deleted
    n_new_releases = round(NEW_RELEASE_SHARE * n_new)
    builder = _DeliveryBuilder(_Day1(tracks, golden), seed)
    builder.merge()
    builder.split()
    n_fixes = max(0, n_changed - len(builder.rows))
    builder.new_releases(n_new_releases)
    builder.fresh_recordings(n_new - n_new_releases)
    builder.title_fixes(n_fixes)
    builder.deletions(n_deleted)
    delivery = builder.result()
    counts = delivery.rows[CHANGE_COLUMN].value_counts().to_dict()
    logger.info(
        "delivery of %d rows (%s) for %d day-1 tracks: merge %d into %d, split 1 of %d",
        len(delivery.rows),
        ", ".join(f"{counts.get(k, 0)} {k}" for k in CHANGE_KINDS),
        len(tracks),
        len(delivery.forced["merge"]["moved"]),
        len(delivery.forced["merge"]["into"]),
        len(delivery.forced["split"]["stay"]) + 1,
    )
    return delivery
