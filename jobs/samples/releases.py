"""Deterministic synthetic releases (albums, singles, compilations) of the sample catalog, with truth.

Stores and distributors deliver *releases*: an album, an EP, a compilation, with its UPC, label
and track list. Deduplicating them is hard for two opposite reasons. The same release arrives
several times (another store's copy with its own spelling, a re-delivery with a new id, a copy
with typos), while *different* releases look almost the same: the deluxe edition, the remaster
and the Japan edition of an album share its title up to a suffix, its artist and most of its
tracks. ``generate_releases`` fabricates such a feed from a catalog made by
``jobs.samples.catalog.generate_catalog`` and says, per row, which true release it is.

Truth model. The catalog has no release table: each track is one release of one recording, with
its album title, date and label drawn per track. Releases are rebuilt the way the catalog's
builder thinks of them:

* an *album family* is one artist's album title (``base_album_title`` strips the edition
  suffixes the builder appends). Its ``album`` tracks form the original album; its ``deluxe``,
  ``remaster`` and ``regional_reissue`` tracks form one edition each. An edition lists the
  original album's tracks (in its own spelling where it has a track of that recording, a
  remaster tag added on most remastered ones) and then its own extra (bonus) tracks. Each edition
  is a true release of its own: these are the hard negatives.
* a ``single`` is one artist's "Title - Single" (or "- EP"): all its tracks, one per recording.
* a ``compilation`` is one (album title, label): the tracks of every artist on it, cut into
  releases of at most ``MAX_COMPILATION_TRACKS``; more than one artist makes it "Various
  Artists". Several chunks of one big series ("Greatest Hits") are distinct releases under one
  title, told apart only by their tracks.

The artist of a family is recovered through the catalog's noise: every spelling of a
recording's first credit ("The X", "X, The", "x", a transliteration, a typo) is one artist, and
recordings that share a spelling are one artist too. A release is credited with the spelling most
of its own tracks use, and dated by the earliest of them.

Each release built so is one ``true_release_id`` with its catalog ``release_kind``. Then about
``DUPLICATE_RATE`` of them are delivered again (``SECOND_DUPLICATE_RATE`` of those twice), as
a ``store_copy`` (another source: case, "VA", remaster tags, UPC as EAN-13 or missing ...), a
``redelivery`` (same source, a new id, maybe one track more or less) or a ``typo_copy``: new
``release_id``, same ``true_release_id``. All draws come from ``random.Random(seed)`` and
``numpy.random.default_rng(seed)`` (never global state or ``hash()``), so the same inputs and seed
give identical frames; about 1.5 s of CPU per 100k tracks (plain Python, one pass per track and
per release).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
import logging
import random
import re
import string
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import numpy as np
import pandas as pd

from jobs.samples.catalog import (
    DELUXE_SUFFIXES,
    REGIONAL_SUFFIXES,
    RELEASE_KINDS,
    REMASTER_TAGS,
    SOURCE,
    VARIOUS_ARTISTS,
    strip_diacritics,
)

logger = logging.getLogger(__name__)

# Vocabulary and rate tables are kept dense on purpose (they are data, not code).
# fmt: off
# --- public constants ---------------------------------------------------------------------------

RELEASE_COLUMNS: tuple[str, ...] = (
    "release_id", "source", "title", "artists", "upc", "release_date", "release_year", "label",
    "track_count", "track_titles", "genre", "track_ids",
)
"""The columns of ``features.schemas.RELEASE_INPUT``, in order."""
RELEASE_GOLDEN_COLUMNS: tuple[str, ...] = ("release_id", "true_release_id", "release_kind")
"""The columns of ``features.schemas.RELEASE_GOLDEN``, in order."""
EDITION_KINDS: tuple[str, ...] = ("deluxe", "remaster", "regional_reissue")
"""Other releases of an album (hard negatives): same title up to a suffix, mostly same tracks."""
DUPLICATE_KINDS: tuple[str, ...] = ("store_copy", "redelivery", "typo_copy")
"""A true release delivered again: same ``true_release_id``, a new ``release_id``."""
RELEASE_GOLDEN_KINDS: tuple[str, ...] = RELEASE_KINDS + DUPLICATE_KINDS
"""Every ``release_golden.release_kind``: the catalog's release kinds, then the duplicates."""
BAD_RELEASE_KINDS: tuple[str, ...] = (
    "null_title", "invalid_upc", "negative_track_count", "zero_track_count", "duplicate_id",
    "null_id",
)

# --- structure and noise rates ------------------------------------------------------------------

DUPLICATE_RATE = 0.15  # share of true releases delivered more than once ...
SECOND_DUPLICATE_RATE = 0.2  # ... and of those, the share delivered a third time
DUPLICATE_KIND_WEIGHTS = {"store_copy": 50, "redelivery": 25, "typo_copy": 25}
UPC_RATE = 0.75  # true releases that carry a UPC (singles and old albums often have none)
MAX_COMPILATION_TRACKS = 24
EDITION_REMASTER_TAG_RATE = 0.8  # album tracks listed on a remaster get a remaster tag
GENRE_MISSING_RATE = 0.12
# store copies
STORE_SOURCES: tuple[str, ...] = ("store_a", "store_b", "store_c")
STORE_TITLE_CASE_RATE = 0.3
STORE_ARTIST_STYLE_RATE = 0.2  # "X, The", upper case, no accents
STORE_DROP_REMASTER_RATE = 0.7  # of copies whose tracks carry remaster tags
STORE_ADD_REMASTER_RATE = 0.5  # of copies of untagged remasters and compilations
STORE_TRACK_NUMBER_RATE = 0.15  # "01 Title", "1. Title"
STORE_CONCATENATED_RATE = 0.05  # every title in one element, as some feeds send them
STORE_UPC_MISSING_RATE = 0.25
STORE_UPC_EAN13_RATE = 0.25  # the UPC-A written as EAN-13 (a leading zero, same check digit)
STORE_LABEL_MISSING_RATE = 0.25
STORE_YEAR_ONLY_RATE = 0.15  # the store only knows the year
STORE_DATE_SHIFT_RATE = 0.15  # the store's street date is a few days off
STORE_GENRE_MISSING_RATE = 0.2
# re-deliveries and typo'd copies
REDELIVERY_TRACK_CHANGE_RATE = 0.3  # one track added (a bonus track) or removed
TYPO_COPY_SAME_SOURCE_RATE = 0.5
TYPO_COPY_TITLE_RATE = 0.6  # the typo is in the title, else in the artist
TYPO_COPY_TRACK_RATE = 0.7  # a track title misspelt as well
UPC_STRIDE = 7_654_321_013  # coprime with 10**11: release number -> distinct 11-digit bodies

# --- vocabularies -------------------------------------------------------------------------------

VARIOUS_ARTISTS_SPELLINGS = ("VA", "V.A.", "Various", "various artists", "Various Artists")
GENRE_WEIGHTS = {
    "Pop": 28, "Rock": 20, "Hip-Hop": 12, "Electronic": 10, "R&B": 8, "Country": 6, "Latin": 5,
    "Jazz": 4, "Metal": 4, "Classical": 3,
}
# How stores spell a genre ("free text as the source writes it").
GENRE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Pop": ("Pop", "pop", "Pop , Music"), "Rock": ("Rock", "Rock/Pop", "Alternative & Rock"),
    "Hip-Hop": ("Hip Hop/Rap", "Hip-Hop/Rap", "Rap"), "Electronic": ("Dance", "Electronica",
    "Electronic/Dance"), "R&B": ("R&B/Soul", "RnB", "Soul"), "Country": ("Country", "Americana"),
    "Latin": ("Latino", "Latin Pop"), "Jazz": ("Jazz", "Vocal Jazz"),
    "Metal": ("Heavy Metal", "Hard Rock & Metal"), "Classical": ("Classical", "Klassik"),
}
BONUS_TRACKS = ("Intro", "Outro", "Interlude", "Hidden Track", "{title} (Demo)",
                "{title} (Instrumental)", "{title} (Live)")
# fmt: on

_EDITION_SUFFIX = re.compile(
    "(?:"
    + "|".join(re.escape(s) for s in DELUXE_SUFFIXES + REGIONAL_SUFFIXES)
    + r"| \((?:\d{4} Remaster|Remastered)\))$"
)
_REMASTER_TAG = re.compile(
    r"(?i)\s+(?:-\s+(?:\d{4}\s+)?remaster(?:ed)?(?:\s+\d{4})?"
    r"|[\(\[](?:\d{4}\s+)?remaster(?:ed)?(?:\s+\d{4})?[\)\]])$"
)
_GLUED_FEAT = re.compile(r"\s+feat\.\s.*$")
_UNDATED_REMASTER_TAGS = tuple(tag for tag in REMASTER_TAGS if "{y}" not in tag)


def base_album_title(album: str) -> str:
    """The album an edition belongs to: "X (Deluxe)", "X (2011 Remaster)" -> "X"."""
    return _EDITION_SUFFIX.sub("", album)


def upc_check_digit(body: str) -> int:
    """GS1 check digit of the digits before it (11 for UPC-A, 12 for EAN-13)."""
    digits = [ord(d) - 48 for d in body]
    # weight 3 on the digit next to the check digit, then 1, 3, 1 ... leftwards
    total = 3 * sum(digits[-1::-2]) + sum(digits[-2::-2])
    return (10 - total % 10) % 10


def is_valid_upc(code: object) -> bool:
    """A 12-digit UPC-A or 13-digit EAN-13 whose check digit is right."""
    if not isinstance(code, str) or len(code) not in (12, 13) or not code.isdigit():
        return False
    return upc_check_digit(code[:-1]) == int(code[-1])


@functools.lru_cache(maxsize=1 << 16)
def _credit(name: str) -> str:
    """A release's first artist credit without a glued "feat. Y": how the artist is named."""
    return _GLUED_FEAT.sub("", name)


@functools.lru_cache(maxsize=1 << 16)
def _artist_key(credit: str) -> str:
    """Folds the catalog's benign spelling noise: case, accents, "The X"/"X, The", "&"/"and"."""
    key = strip_diacritics(credit).casefold().strip()
    if key.startswith("the "):
        key = key[4:]
    elif key.endswith(", the"):
        key = key[:-5]
    return key.replace(" and ", " & ")


class _Weighted:
    """Weighted choice by bisection over cumulative weights, much cheaper than ``choices``."""

    __slots__ = ("items", "cum")

    def __init__(self, weights: dict[Any, float]) -> None:
        total = float(sum(weights.values()))
        self.items = tuple(weights)
        self.cum = [c / total for c in accumulate(weights.values())]
        self.cum[-1] = 1.0

    def draw(self, u: float) -> Any:
        return self.items[bisect_right(self.cum, u)]


_DUPLICATE_KINDS = _Weighted(DUPLICATE_KIND_WEIGHTS)
_GENRES = _Weighted(GENRE_WEIGHTS)


@dataclass(slots=True)
class _Release:
    title: str
    artists: list[str]
    release_date: dt.date | None
    label: str | None
    track_titles: list[str]
    kind: str
    source: str
    track_ids: list[str | None] = dataclasses.field(default_factory=list)  # beside the titles
    genre: str | None = None
    upc: str | None = None
    group: int = -1
    release_year: int | None = None
    track_count: int = 0


@dataclass(slots=True)
class _Tracks:
    """The catalog's usable tracks as plain lists, in track order, with their artist."""

    track_id: list[str]
    title: list[str]
    album: list[str]
    credit: list[str]  # first artist credit, without a glued feat.
    artist: list[str]  # the artist behind it (a key of its spellings), or "~<recording>"
    release_date: list[dt.date | None]
    label: list[str | None]
    source: list[str]
    recording: list[str]
    kind: list[str]


def _union_find_artists(recordings: list[str], keys: list[str | None]) -> dict[str, str]:
    """Recording -> artist: spellings on one recording are one artist, shared spellings join.

    Union-find over spelling keys; each set is named by its smallest key, so the answer does not
    depend on the order of the tracks.
    """
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        root = key
        while parent[root] != root:
            root = parent[root]
        while parent[key] != root:  # path compression
            parent[key], key = root, parent[key]
        return root

    first_key: dict[str, str] = {}
    for recording, key in zip(recordings, keys, strict=True):
        if key is None:
            continue
        if key not in parent:
            parent[key] = key
        first = first_key.setdefault(recording, key)
        if first != key:
            a, b = find(first), find(key)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {recording: find(key) for recording, key in first_key.items()}


def _usable_tracks(tracks: pd.DataFrame, golden: pd.DataFrame) -> _Tracks:
    """Tracks joined to their truth (by track_id), those with a title, album and artist."""
    truth = golden[["track_id", "recording_id", "release_kind"]]
    columns = ["track_id", "source", "title", "artists", "album", "release_date", "label"]
    if len(tracks) == len(golden) and np.array_equal(
        tracks["track_id"].to_numpy(), truth["track_id"].to_numpy()
    ):
        frame = tracks[columns].reset_index(drop=True)
        frame["recording_id"] = truth["recording_id"].to_numpy()
        frame["release_kind"] = truth["release_kind"].to_numpy()
    else:
        frame = tracks[columns].merge(truth, on="track_id", how="inner", sort=False)
    keep = np.fromiter(
        (
            _is_text(title) and _is_text(album) and _has_items(artists) and kind in RELEASE_KINDS
            for title, album, artists, kind in zip(
                frame["title"].tolist(),
                frame["album"].tolist(),
                frame["artists"].tolist(),
                frame["release_kind"].tolist(),
                strict=True,
            )
        ),
        dtype=bool,
        count=len(frame),
    )
    frame = frame[keep]
    credits = [_credit(str(a[0])) for a in frame["artists"].tolist()]
    keys = [None if c == VARIOUS_ARTISTS else _artist_key(c) for c in credits]
    recordings = frame["recording_id"].tolist()
    artist_of = _union_find_artists(recordings, keys)
    dates = frame["release_date"].tolist()
    return _Tracks(
        track_id=frame["track_id"].tolist(),
        title=frame["title"].tolist(),
        album=frame["album"].tolist(),
        credit=credits,
        artist=[artist_of.get(r, "~" + r) for r in recordings],
        release_date=[d if isinstance(d, dt.date) else None for d in dates],
        label=[x if isinstance(x, str) else None for x in frame["label"].tolist()],
        source=frame["source"].tolist(),
        recording=recordings,
        kind=frame["release_kind"].tolist(),
    )


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _has_items(values: object) -> bool:
    return isinstance(values, list | tuple | np.ndarray) and len(values) > 0


def _first_per_recording(t: _Tracks, rows: Sequence[int]) -> dict[str, int]:
    """Recording -> its first track among ``rows``: a release lists a recording once."""
    out: dict[str, int] = {}
    for i in rows:
        out.setdefault(t.recording[i], i)
    return out


def _mode(values: Sequence[Any]) -> Any:
    """Most common non-null value, the first seen on ties; None when there is none."""
    if len(values) == 1:  # most releases: skip the counting
        return values[0]
    counts: dict[Any, int] = {}
    for value in values:
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


class _ReleaseBuilder:
    """Rebuilds the catalog's releases from its tracks, then delivers some of them again."""

    def __init__(self, tracks: _Tracks, seed: int) -> None:
        self.t = tracks
        self.rnd = random.Random(seed)
        self.u = self.rnd.random
        self.genres: dict[str, str] = {}  # artist -> genre, drawn when first seen
        self.upc_offset = self.rnd.randrange(10**11)

    # --- small random helpers -------------------------------------------------------------------

    def _choice(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.u() * len(seq))]

    def _int(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi]."""
        return lo + int(self.u() * (hi - lo + 1))

    def _typo(self, text: str) -> str:
        """One keyboard slip (swap, drop or double a character) that changes the text."""
        for _ in range(4):
            if len(text) < 3:
                break
            i, op = self._int(0, len(text) - 2), self._int(0, 2)
            if op == 0:
                slipped = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
            elif op == 1:
                slipped = text[:i] + text[i + 1 :]
            else:
                slipped = text[:i] + text[i] + text[i:]
            if slipped != text:
                return slipped
        return text + text[-1:]

    # --- true releases --------------------------------------------------------------------------

    def _release(
        self,
        kind: str,
        own: Sequence[int],
        listed: Sequence[int],
        titles: list[str],
        artist: str | None,
    ) -> _Release:
        """A release of ``kind`` described by its own tracks ``own``, listing ``titles``.

        ``listed``: the catalog track standing for each title (its track id is delivered).

        ``artist`` is the one artist behind it, or None for several (then "Various Artists").
        """
        t = self.t
        credits = [t.credit[i] for i in own if t.credit[i] != VARIOUS_ARTISTS]
        credit = _mode(credits) if artist is not None and credits else VARIOUS_ARTISTS
        dates = [t.release_date[i] for i in own if t.release_date[i] is not None]
        if artist is None or artist.startswith("~"):
            genre = _GENRES.draw(self.u())
        else:
            genre = self.genres.get(artist) or self.genres.setdefault(
                artist, _GENRES.draw(self.u())
            )
        return _Release(
            title=t.album[own[0]],
            artists=[credit],
            release_date=min(dates) if dates else None,
            label=_mode([t.label[i] for i in own]),
            track_titles=titles,
            kind=kind,
            source=t.source[own[0]],
            track_ids=[t.track_id[i] for i in listed],
            genre=None if self.u() < GENRE_MISSING_RATE else genre,
        )

    def _family(self, artist: str, by_kind: dict[str, list[int]]) -> list[_Release]:
        """An album and its editions; each edition lists the album's tracks, then its bonus."""
        t = self.t
        album = _first_per_recording(t, by_kind.get("album", []))
        out = []
        if album:
            rows = list(album.values())
            out.append(self._release("album", rows, rows, self._titles(album), artist))
        for kind in EDITION_KINDS:
            if kind not in by_kind:
                continue
            own = _first_per_recording(t, by_kind[kind])
            dates = [t.release_date[i] for i in own.values() if t.release_date[i] is not None]
            tags = REMASTER_TAGS if dates else _UNDATED_REMASTER_TAGS
            titles, listed = [], []
            for recording, i in album.items():
                listed.append(own.get(recording, i))
                if recording in own:
                    titles.append(t.title[own[recording]])
                elif kind == "remaster" and self.u() < EDITION_REMASTER_TAG_RATE:
                    tag = self._choice(tags).format(y=min(dates).year if dates else "")
                    titles.append(t.title[i] + tag)
                else:
                    titles.append(t.title[i])
            titles += [t.title[i] for r, i in own.items() if r not in album]
            listed += [i for r, i in own.items() if r not in album]
            out.append(self._release(kind, list(own.values()), listed, titles, artist))
        return out

    def _titles(self, first: dict[str, int]) -> list[str]:
        return [self.t.title[i] for i in first.values()]

    def true_releases(self) -> list[_Release]:
        """One release per album family edition, single and compilation chunk, numbered."""
        t = self.t
        families: dict[tuple[str, str], dict[str, list[int]]] = {}
        singles: dict[tuple[str, str], list[int]] = {}
        compilations: dict[tuple[str, str | None], list[int]] = {}
        for i, kind in enumerate(t.kind):
            if kind == "single":
                singles.setdefault((t.artist[i], t.album[i]), []).append(i)
            elif kind == "compilation":
                compilations.setdefault((t.album[i], t.label[i]), []).append(i)
            else:  # only editions carry a suffix: an album's title is the family's
                album = t.album[i] if kind == "album" else base_album_title(t.album[i])
                family = (t.artist[i], album)
                families.setdefault(family, {}).setdefault(kind, []).append(i)
        releases: list[_Release] = []
        for (artist, _), by_kind in families.items():
            releases += self._family(artist, by_kind)
        for (artist, _), rows in singles.items():
            first = _first_per_recording(t, rows)
            own = list(first.values())
            releases.append(self._release("single", own, own, self._titles(first), artist))
        for rows in compilations.values():
            first = list(_first_per_recording(t, rows).values())
            for lo in range(0, len(first), MAX_COMPILATION_TRACKS):
                chunk = first[lo : lo + MAX_COMPILATION_TRACKS]
                artists = {t.artist[i] for i in chunk}
                artist = next(iter(artists)) if len(artists) == 1 else None
                titles = [t.title[i] for i in chunk]
                releases.append(self._release("compilation", chunk, chunk, titles, artist))
        for number, release in enumerate(releases):
            release.group = number
            release.release_year = _year(release.release_date)
            release.track_count = len(release.track_titles)
            if self.u() < UPC_RATE:
                body = f"{(number * UPC_STRIDE + self.upc_offset) % 10**11:011d}"
                release.upc = body + str(upc_check_digit(body))
        return releases

    # --- duplicates -----------------------------------------------------------------------------

    def _store_copy(self, r: _Release) -> None:
        """Another store's listing: its own casing, credits, tags, identifiers and dates."""
        u = self.u
        r.source = self._choice([s for s in STORE_SOURCES if s != r.source])
        if u() < STORE_TITLE_CASE_RATE:
            r.title = self._choice((str.upper, str.lower, string.capwords))(r.title)
        if r.artists == [VARIOUS_ARTISTS]:
            r.artists = [self._choice(VARIOUS_ARTISTS_SPELLINGS[:-1])]
        elif u() < STORE_ARTIST_STYLE_RATE:
            name = r.artists[0]
            if name.startswith("The "):
                name = f"{name[4:]}, The"
            elif not name.isascii():
                name = strip_diacritics(name)
            else:
                name = name.upper()
            r.artists = [name]
        titles = r.track_titles
        if any(_REMASTER_TAG.search(x) for x in titles):
            if u() < STORE_DROP_REMASTER_RATE:
                titles = [_REMASTER_TAG.sub("", x) for x in titles]
        elif r.kind in ("remaster", "compilation") and u() < STORE_ADD_REMASTER_RATE:
            titles = [x + " (Remastered)" for x in titles]
        x = u()
        if x < STORE_TRACK_NUMBER_RATE:
            style = "{n:02d} {t}" if u() < 0.5 else "{n}. {t}"
            titles = [style.format(n=n, t=title) for n, title in enumerate(titles, 1)]
        elif x < STORE_TRACK_NUMBER_RATE + STORE_CONCATENATED_RATE and len(titles) > 1:
            titles = [" / ".join(titles)]
        r.track_titles = titles
        if r.upc is not None:
            x = u()
            if x < STORE_UPC_MISSING_RATE:
                r.upc = None
            elif x < STORE_UPC_MISSING_RATE + STORE_UPC_EAN13_RATE:
                r.upc = "0" + r.upc
        if u() < STORE_LABEL_MISSING_RATE:
            r.label = None
        if r.release_date is not None:
            x = u()
            if x < STORE_YEAR_ONLY_RATE:
                r.release_date = None  # the year stays
            elif x < STORE_YEAR_ONLY_RATE + STORE_DATE_SHIFT_RATE:
                r.release_date = r.release_date + dt.timedelta(days=self._int(-14, 14))
                r.release_year = r.release_date.year
        if r.genre is not None:
            spellings = GENRE_SPELLINGS.get(r.genre, (r.genre,))
            r.genre = None if u() < STORE_GENRE_MISSING_RATE else self._choice(spellings)

    def _redelivery(self, r: _Release) -> None:
        """The same feed again: identical, or one track more (a bonus) or less."""
        if self.u() >= REDELIVERY_TRACK_CHANGE_RATE:
            return
        titles = list(r.track_titles)
        if len(titles) > 2 and self.u() < 0.5:
            gone = self._int(0, len(titles) - 1)
            del titles[gone]
            r.track_ids = [x for i, x in enumerate(r.track_ids) if i != gone]
        else:
            titles.append(self._choice(BONUS_TRACKS).format(title=titles[0]))
        r.track_titles, r.track_count = titles, len(titles)

    def _typo_copy(self, r: _Release) -> None:
        """A hand-keyed copy: a slip in the title or the artist, often in a track title too."""
        if self.u() >= TYPO_COPY_SAME_SOURCE_RATE:
            r.source = self._choice(STORE_SOURCES)
        if self.u() < TYPO_COPY_TITLE_RATE or r.artists == [VARIOUS_ARTISTS]:
            r.title = self._typo(r.title)
        else:
            r.artists = [self._typo(r.artists[0])]
        if self.u() < TYPO_COPY_TRACK_RATE:
            titles = list(r.track_titles)
            i = self._int(0, len(titles) - 1)
            titles[i] = self._typo(titles[i])
            r.track_titles = titles

    def duplicate(self, original: _Release, kind: str) -> _Release:
        copy = dataclasses.replace(
            original,
            artists=list(original.artists),
            track_titles=list(original.track_titles),
            track_ids=list(original.track_ids),
        )
        copy.kind = kind
        if kind == "store_copy":
            self._store_copy(copy)
        elif kind == "redelivery":
            self._redelivery(copy)
        else:
            self._typo_copy(copy)
        return copy

    def with_duplicates(self, releases: list[_Release]) -> list[_Release]:
        """The true releases, each followed by the copies of it that were delivered again."""
        u = self.u
        out: list[_Release] = []
        for release in releases:
            out.append(release)
            if u() < DUPLICATE_RATE:
                n = 2 if u() < SECOND_DUPLICATE_RATE else 1
                out += [self.duplicate(release, _DUPLICATE_KINDS.draw(u())) for _ in range(n)]
        return out


def _year(day: dt.date | None) -> int | None:
    return day.year if day is not None else None


def _empty_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    releases = pd.DataFrame({c: pd.Series(dtype=object) for c in RELEASE_COLUMNS})
    releases["track_count"] = releases["track_count"].astype(np.int64)
    golden = pd.DataFrame({c: pd.Series(dtype=object) for c in RELEASE_GOLDEN_COLUMNS})
    return releases, golden


def generate_releases(
    tracks: pd.DataFrame, golden: pd.DataFrame, *, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate the releases a catalog's tracks were released on, delivered as feeds do.

    Args:
        tracks: Catalog tracks with ``jobs.samples.catalog.TRACK_COLUMNS`` (pass them before
            ``inject_bad_rows``; tracks without title, album or artist are skipped).
        golden: Their truth (``GOLDEN_COLUMNS``); ``track_id``, ``recording_id`` and
            ``release_kind`` are read. Joined by ``track_id``, so row order does not matter
            beyond which track a release lists first.
        seed: Seed for every draw; the same inputs and seed give identical frames.

    Returns:
        ``(releases, release_golden)``, row-aligned. ``releases`` has ``RELEASE_COLUMNS``
        (``artists`` and ``track_titles`` lists of str, ``release_date`` ``datetime.date`` or
        None, ``release_year`` int or None, ``track_count`` int64, the rest str or None);
        ``release_golden`` has ``RELEASE_GOLDEN_COLUMNS``. Two rows are the same release iff
        their ``true_release_id`` is equal; ``release_kind`` is the catalog's kind of the true
        release (``album``, ``deluxe`` ...) or, for a copy of it, one of ``DUPLICATE_KINDS``.
    """
    # Hundreds of thousands of small, acyclic objects: cyclic GC passes only cost time (~35%).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        builder = _ReleaseBuilder(_usable_tracks(tracks, golden), seed)
        true_releases = builder.true_releases()
        rows = builder.with_duplicates(true_releases)
    finally:
        if gc_was_enabled:
            gc.enable()
    if not rows:
        return _empty_frames()
    order = np.random.default_rng(seed).permutation(len(rows))  # copies not next to originals
    rows = [rows[i] for i in order.tolist()]
    n = len(rows)
    width = max(8, len(str(n)))
    ids = [f"RL{i:0{width}d}" for i in range(1, n + 1)]
    group_width = max(8, len(str(len(true_releases))))

    def column(name: str) -> np.ndarray:
        return np.fromiter((getattr(r, name) for r in rows), dtype=object, count=n)

    releases = pd.DataFrame(
        {
            "release_id": ids,
            "source": column("source"),
            "title": column("title"),
            "artists": column("artists"),
            "upc": column("upc"),
            "release_date": column("release_date"),
            "release_year": column("release_year"),
            "label": column("label"),
            "track_count": np.fromiter((r.track_count for r in rows), np.int64, n),
            "track_titles": column("track_titles"),
            "genre": column("genre"),
            "track_ids": column("track_ids"),
        },
        columns=list(RELEASE_COLUMNS),
    )
    release_golden = pd.DataFrame(
        {
            "release_id": ids,
            "true_release_id": [f"RG{r.group:0{group_width}d}" for r in rows],
            "release_kind": column("kind"),
        },
        columns=list(RELEASE_GOLDEN_COLUMNS),
    )
    logger.info(
        "generated %d releases: %d true, %d delivered again",
        n,
        len(true_releases),
        n - len(true_releases),
    )
    return releases, release_golden


# --- spoiled rows -------------------------------------------------------------------------------


def inject_bad_releases(
    releases: pd.DataFrame, rate: float, seed: int = 42
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Spoil a share of rows the way feeds do, so the quarantine path has work.

    Each spoiled row gets one of BAD_RELEASE_KINDS, in turn: a null or blank title, a UPC with
    a wrong check digit, a negative track count or none while titles are listed, a null id, or
    (``duplicate_id``) a second row under an existing release_id (source 'sample-dup', so the
    original stays first in content order). The golden table is untouched: spoiled releases keep
    their truth, excluded ones simply take no part. Returns the spoiled frame and the count per
    kind.
    """
    rng = np.random.default_rng(seed + 3)  # not the tracks' or videos' stream: other rows spoil
    n_bad = int(round(len(releases) * rate))
    if n_bad == 0:
        return releases, {}
    out = releases.copy()
    rows = rng.choice(len(out), size=n_bad, replace=False)
    kinds = [BAD_RELEASE_KINDS[i % len(BAD_RELEASE_KINDS)] for i in range(n_bad)]
    counts: dict[str, int] = {}
    duplicates = []
    col = out.columns.get_loc
    for row, kind in zip(rows.tolist(), kinds, strict=True):
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "null_title":
            out.iat[row, col("title")] = None if row % 2 else "  "
        elif kind == "invalid_upc":
            upc = out.iat[row, col("upc")]
            if not is_valid_upc(upc):
                body = f"{row:011d}"[-11:]
                upc = body + str(upc_check_digit(body))
            wrong = (int(upc[-1]) + 1 + row % 9) % 10  # any other digit breaks the check
            out.iat[row, col("upc")] = upc[:-1] + str(wrong)
        elif kind == "negative_track_count":
            out.iat[row, col("track_count")] = -abs(int(out.iat[row, col("track_count")])) or -1
        elif kind == "zero_track_count":
            out.iat[row, col("track_count")] = 0
        elif kind == "null_id":
            out.iat[row, col("release_id")] = None
        else:
            dup = out.iloc[[row]].copy()
            dup["source"] = SOURCE + "-dup"
            dup["title"] = dup["title"] + " (duplicate feed row)"
            duplicates.append(dup)
    if duplicates:
        out = pd.concat([out, *duplicates], ignore_index=True)
    return out, counts
