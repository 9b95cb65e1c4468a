"""Deterministic synthetic music videos (YouTube-like metadata) for the sample catalog, with truth.

A video platform shows the catalog's recordings again, under messier names: the official video
pads the audio with an intro, a lyric video is titled "Title - Artist (Lyrics)" on someone
else's channel, the auto-generated "Artist - Topic" upload carries the release's own title and
sometimes its ISRC. Around them sit videos that look alike but are *not* the recording: a live
take, a YouTuber's cover, a guitar tutorial, a reaction. ``generate_videos`` fabricates such a
feed for a catalog made by ``jobs.samples.catalog.generate_catalog`` and says, per video, which
recording it really shows (or that it shows none), so video-to-recording matching can be
measured against a known answer.

Everything about a recording (song title, artist, audio length, first release) is derived from
the ``(tracks, golden)`` frames, so any catalog with that shape works, not only the generator's.
All draws come from ``random.Random(seed)`` and ``numpy.random.default_rng(seed)`` (never global
state or ``hash()``): the same inputs and seed give identical frames.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import random
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import numpy as np
import pandas as pd

from jobs.samples.catalog import (
    BAND_ADJECTIVES,
    CITIES,
    SOURCE,
    SYLLABLES,
    TITLE_WORDS,
    VARIOUS_ARTISTS,
    VENUES,
    strip_diacritics,
)

logger = logging.getLogger(__name__)

# Vocabulary and rate tables are kept dense on purpose (they are data, not code).
# fmt: off
# --- public constants ---------------------------------------------------------------------------

VIDEO_COLUMNS: tuple[str, ...] = (
    "video_id", "source", "title", "channel_name", "description", "duration_ms", "published_at",
    "isrc",
)
"""The columns of ``features.schemas.VIDEO_INPUT``, in order."""
VIDEO_GOLDEN_COLUMNS: tuple[str, ...] = ("video_id", "recording_id", "video_kind")
"""The columns of ``features.schemas.VIDEO_GOLDEN``, in order."""
VIDEO_KIND_SHARES: dict[str, float] = {
    "official_video": 0.25, "lyric_video": 0.12, "audio": 0.10, "topic": 0.15, "live": 0.08,
    "cover": 0.10, "fan_upload": 0.12, "non_music": 0.05, "version": 0.03,
}
"""Expected share of each ``video_golden.video_kind`` among all videos (they sum to 1)."""
VIDEO_KINDS: tuple[str, ...] = tuple(VIDEO_KIND_SHARES)
STUDIO_VIDEO_KINDS = frozenset({"official_video", "lyric_video", "audio", "topic", "fan_upload"})
"""Kinds whose video always shows the studio recording itself."""
VERSION_RECORDING_KINDS: tuple[str, ...] = (
    "remix", "radio_edit", "extended_mix", "acoustic", "instrumental", "karaoke", "re_recording",
)
"""Hard-negative recordings that get ``version`` videos ("Title (X Remix) [Official Video]")."""
VIDEOS_PER_RECORDING = 2.0  # mean over recordings that get videos; popular songs get more
CATALOG_LIVE_RATE = 0.7  # a live video of a work with a catalog live take shows that take
CATALOG_COVER_RATE = 0.5  # a cover video of a work with a catalog cover shows that cover
TOPIC_ISRC_RATE = 0.7  # topic videos that carry the ISRC of their track (when it has one)
FEATURED_IN_TITLE_RATE = 0.6  # official/lyric/audio titles naming the featured artist
DESCRIPTION_MISSING_RATE = 0.1
NATIVE_MV_RATE = 0.6  # non-Latin artists whose official video is titled "Artist「Title」MV"
TYPO_RATE = 0.25  # of fan uploads
BAD_VIDEO_KINDS: tuple[str, ...] = (
    "null_title", "invalid_isrc", "negative_duration", "null_id", "duplicate_id",
)
YOUTUBE_LAUNCH = dt.date(2005, 4, 23).toordinal()
VEVO_LAUNCH = dt.date(2009, 12, 8).toordinal()
TOPIC_LAUNCH = dt.date(2013, 1, 1).toordinal()
MAX_PUBLISHED = dt.date(2025, 6, 30).toordinal()
_EPOCH = dt.date(1970, 1, 1).toordinal()

# --- title cleaning -----------------------------------------------------------------------------
# Catalog titles carry feat. credits, remaster notes and version tags; the song is what is left.

# Every alternative starts on a bracket or one whitespace character (never ``\s*``, which would
# be tried at every position): the leftover spaces are collapsed afterwards.
_BRACKETED = r"[\(\[][^\)\]]*[\)\]]"
_DASH_SUFFIX = r"\s[-\u2013]\s.*$"
_FEAT_WORD = r"(?:feat\.?|ft\.|featuring)"
_TAG_AHEAD = r"(?=\s*[\(\[]|\s-\s|$)"
_LOOSE_FEAT = rf"\s{_FEAT_WORD}\s.*?{_TAG_AHEAD}"
CORE_TITLE_PATTERN = re.compile(rf"(?i){_BRACKETED}|{_DASH_SUFFIX}|{_LOOSE_FEAT}")
"""Everything that is not the song: bracketed tags, a " - ..." suffix, an unbracketed feat."""
_REMASTER = r"(?:\d{4}\s+)?remaster(?:ed)?(?:\s+\d{4})?"
BENIGN_TAG_PATTERN = re.compile(
    rf"(?i)[\(\[]{_FEAT_WORD}\s[^\)\]]*[\)\]]|{_LOOSE_FEAT}"
    rf"|\s-\s+{_REMASTER}{_TAG_AHEAD}|[\(\[]{_REMASTER}[\)\]]"
    rf"|[\(\[](?:album version|mono|stereo)[\)\]]|\s-\s+(?:mono|single) version{_TAG_AHEAD}"
)
"""Tags that do not make a different recording: feat., remaster, mono/stereo, album version."""
FEATURED_PATTERN = re.compile(
    rf"(?i)(?:^|[\s\(\[]){_FEAT_WORD}\s+(.+?)\s*(?:[\)\]]|\s+-\s|\s+[\(\[]|$)"
)

# --- templates: (template, weight) or (template, channel style, weight) -------------------------
# Placeholders: {artist} {title} (with feat. when shown) {song} (bare) {vtitle} (with version
# tag) {original} {performer} {venue} {city} {year}.

OFFICIAL_TITLES = {
    "{artist} - {title} (Official Music Video)": 30, "{artist} - {title} (Official Video)": 20,
    "{artist} - {title} [Official Video]": 12, "{artist} - {title} (Official Video) [4K]": 6,
    "{artist} - {title} | Official Music Video": 6, "{artist} - {title} [M/V]": 4,
    "{artist} - {title} (Official HD Video)": 5, "{artist} - {title}": 10,
    "{title} - {artist} (Official Video)": 4, "{artist} \u2013 {title} (Official Music Video)": 3,
}
NATIVE_OFFICIAL_TITLES = {
    "{artist}\u300c{song}\u300dMV": 50, "{artist}\u300e{song}\u300fMusic Video": 25,
    "{artist} - {song} MV": 25,
}
OFFICIAL_CHANNELS = {"vevo": 30, "artist": 45, "artist_official": 15, "artist_music": 10}
LYRIC_TITLES = (
    ("{artist} - {title} (Lyric Video)", "official", 35),
    ("{artist} - {title} (Official Lyric Video)", "official", 30),
    ("{song} - {artist} (Lyrics)", "lyrics", 25),
    ("{artist} - {title} [Lyrics]", "lyrics", 10),
)
AUDIO_TITLES = {
    "{artist} - {title} (Official Audio)": 45, "{artist} - {title} (Audio)": 25,
    "{artist} - {title} (Visualizer)": 20, "{artist} - {title} [Official Audio]": 10,
}
LIVE_TITLES = (  # (template, filmed by the artist's team?, weight)
    ("{artist} - {song} (Live at {venue} {year})", True, 25),
    ("{song} (Live)", True, 15),
    ("{artist} - {song} | Live from {city}", True, 15),
    ("{artist} - {song} (Live) [Official Video]", True, 10),
    ("{artist} performs {song} live @ {venue}", True, 5),
    ("{artist} - {song} live @ {venue} {year} (front row)", False, 12),
    ("{artist} {song} LIVE {city} {year}", False, 10),
    ("{song} - {artist} live in {city} {year} 4K", False, 8),
)
COVER_TITLES = {
    "{song} - {original} (Cover)": 25, "{song} (Cover by {performer})": 20,
    "{performer} - {song} ({original} cover)": 20, "{original} - {song} | Cover by {performer}": 15,
    "{song} - {original} | {performer} Acoustic Cover": 10,
    "{song} ({original}) - {performer} cover": 10,
}
FAN_TITLES = {
    "{song} || {artist} lyrics HD": 15, "{artist}- {song} (lyrics)": 20,
    "{SONG} - {ARTIST} [HQ]": 15, "{song} by {artist}": 15, "{artist} {song} 1080p": 10,
    "{artist} - {song} (with lyrics)": 10, "{artist} - {song} [HD] full song": 10,
    "{song} - {artist} (audio)": 5,
}
NON_MUSIC_TITLES = (  # (template, (min, max) seconds)
    ("Reacting to {artist} for the first time!!", (300, 1500)),
    ("FIRST TIME HEARING {artist} - {song} | REACTION", (360, 1500)),
    ("How to play {song} on guitar (easy tutorial)", (300, 1200)),
    ("{song} - {artist} | Piano Tutorial", (180, 900)),
    ("{artist} interview ({year})", (120, 1800)),
    ("{artist} - {song} (Behind the Scenes)", (120, 720)),
    ("Top 10 {artist} songs", (480, 1200)),
    ("{artist} talks about writing {song}", (90, 600)),
    ("my {adjective} morning routine vlog", (300, 1200)),
    ("unboxing my new guitar!! ({year})", (240, 900)),
)
VERSION_TITLES = (  # (template, style, weight); style sets duration, channel and ISRC
    ("{artist} - {vtitle} [Official Video]", "official", 35),
    ("{artist} - {vtitle} (Official Audio)", "audio", 25),
    ("{artist} - {vtitle} (Visualizer)", "audio", 10),
    ("{vtitle}", "topic", 30),
)
DESCRIPTIONS = {
    "official_video": (
        "Official music video for \u201c{song}\u201d by {artist}.\n\nListen to {artist}: "
        "https://{handle}.lnk.to/listen\n\nFollow {artist}:\nInstagram: "
        "https://instagram.com/{handle}\n\n#{handle} #{hashtag}",
        "{artist} - {song} (Official Music Video)\nDirected by {director}\n\u00a9 {year} {label}",
        "Stream \u201c{song}\u201d everywhere: https://{handle}.lnk.to/{hashtag}",
    ),
    "lyric_video": (
        "Lyrics to \u201c{song}\u201d by {artist}\n\n{lyrics}",
        "\U0001f3b5 {artist} - {song}\n\u2b07 Lyrics \u2b07\n{lyrics}",
    ),
    "audio": (
        "Official audio for \u201c{song}\u201d by {artist}.\n\u00a9 {year} {label}",
        "{artist} - {song}\nStream: https://{handle}.lnk.to/listen",
    ),
    "live": (
        "{artist} performing \u201c{song}\u201d live at {venue}.",
        "filmed this from the crowd, what a night!! #{hashtag}",
    ),
    "cover": (
        "My cover of {song} by {original}! Hope you like it \u2764\nSpotify: "
        "https://open.spotify.com/artist/{handle}",
        "I do not own the rights to this song. Original by {original}.",
    ),
    "fan_upload": (
        "I do not own this song. All rights go to {artist}. No copyright infringement intended.",
        "lyrics in the comments \U0001f447",
        "{song} - {artist}",
    ),
    "non_music": (
        "Don't forget to like and subscribe!",
        "In this video I {verb} {song} by {artist}.",
        "Thanks for watching \U0001f60a #{hashtag}",
    ),
}
LYRIC_CHANNELS = ("7clouds", "Lyrics Vault", "Dan Music", "Vibe Lyrics", "lyricsvibes",
                  "Taz Network", "Unique Vibes", "SyrebralVibes")
FAN_CHANNEL_WORDS = ("music", "lyrics", "vibes", "beats", "songs", "melody", "sound", "tunes",
                     "playlist", "hits")
FAN_CHANNEL_NAMES = ("music lover {n}", "{word}{word2}", "xX{word}Xx", "{name} {n}",
                     "DJ {name}", "{word} channel", "{name}'s {word}", "{word}4life")
COVER_SUFFIXES = ("", "", "", " Music", " Covers", " Acoustic")
DIRECTORS = ("Jo Marlow", "Ana Kiel", "Sam Ortega", "Lee Brandt", "Mika Sato", "Theo Vance")
NON_MUSIC_VERBS = ("react to", "teach you", "talk about", "break down")
# fmt: on


# --- public helpers -----------------------------------------------------------------------------


def core_title(titles: pd.Series) -> pd.Series:
    """The song a catalog title names: "Fire (feat. X) - Live at Wembley 1990" -> "Fire".

    Videos name the song, not the release; stripping every tag lets one title stand for all
    releases (and versions) of a recording's work.
    """
    return _squeeze(titles.str.replace(CORE_TITLE_PATTERN, "", regex=True))


def version_title(titles: pd.Series) -> pd.Series:
    """A title with only benign tags removed, its version tag bracketed.

    "Fire (feat. X) - DJ Y Remix (Stereo)" -> "Fire (DJ Y Remix)": what the version's own
    video would be called.
    """
    cleaned = _squeeze(titles.str.replace(BENIGN_TAG_PATTERN, "", regex=True))
    return cleaned.str.replace(r"\s-\s(.+)$", r" (\1)", regex=True)


def _squeeze(titles: pd.Series) -> pd.Series:
    return titles.str.replace(r"\s{2,}", " ", regex=True).str.strip()


def recording_profiles(
    tracks: pd.DataFrame, golden: pd.DataFrame, work_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per recording: what its videos would call it and how long it plays.

    Args:
        tracks: Catalog tracks (``TRACK_COLUMNS`` of ``jobs.samples.catalog``), clean or spoiled.
        golden: Their truth, keyed by ``track_id``.
        work_ids: Profile only the recordings of these works (all when None).

    Returns:
        A frame indexed by ``recording_id`` (sorted) with ``work_id``, ``recording_kind``,
        ``title`` (the most common core title), ``version_title``, ``artist`` (the most common
        first-credited artist, never "Various Artists"), ``artist_latin`` (an ASCII spelling of
        a non-ASCII artist seen on some release, else None), ``featured`` (most common feat.
        credit in titles, else None), ``audio_ms`` (median track duration, int64) and
        ``first_release`` (earliest release date, None when no track has one). Tracks with a
        blank title or a non-positive duration take no part.
    """
    frame = _aligned(tracks, golden)
    if work_ids is not None:
        frame = frame[frame["work_id"].isin(work_ids)]
    return _profiles_of(_usable(frame))


def _usable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that can describe a recording: a title and a positive duration."""
    keep = (
        frame["title"].notna()
        & (frame["title"].str.strip().str.len() > 0)
        & (frame["duration_ms"] > 0)
    )
    return frame[keep].reset_index(drop=True)


def _profiles_of(frame: pd.DataFrame) -> pd.DataFrame:
    rec = frame["recording_id"]
    # Spellings repeat across releases (artists across works too): clean each one once.
    first = _per_unique(frame["artists"].str[0], _first_artist)
    artist = _mode_by(rec, first, by_spelling_frequency=True)
    ascii_first = first.where(_per_unique(first, lambda s: s.map(str.isascii)).eq(True))
    latin = _mode_by(rec, ascii_first, by_spelling_frequency=True)
    # The song's name is best read off every release of its work: studio, live, covers ...
    work_title = _mode_by(frame["work_id"], _per_unique(frame["title"], core_title))
    featured = _per_unique(frame["title"], lambda s: s.str.extract(FEATURED_PATTERN)[0])
    by_rec = frame.groupby("recording_id", sort=True)
    profiles = pd.DataFrame(
        {
            "work_id": by_rec["work_id"].first(),
            "recording_kind": by_rec["recording_kind"].first(),
            "title": by_rec["work_id"].first().map(work_title),
            "version_title": _mode_by(rec, _per_unique(frame["title"], version_title)),
            "artist": artist,
            "artist_latin": latin,
            "featured": _mode_by(rec, featured, by_spelling_frequency=True),
            "audio_ms": by_rec["duration_ms"].median().round().astype(np.int64),
            "first_release": _first_release(frame),
        }
    )
    # A recording credited only to "Various Artists" keeps that name rather than none at all.
    profiles["artist"] = profiles["artist"].fillna(VARIOUS_ARTISTS)
    native = ~profiles["artist"].map(str.isascii)
    profiles["artist_latin"] = profiles["artist_latin"].where(native)
    profiles = profiles.astype({"artist_latin": object, "featured": object})
    for column in ("artist_latin", "featured", "first_release"):
        profiles[column] = profiles[column].where(profiles[column].notna(), None)
    return profiles


def _first_artist(names: pd.Series) -> pd.Series:
    """A release's first credit as the artist's own name: no glued feat., no "X, The"."""
    names = names.str.replace(r"\s+feat\.\s.*$", "", regex=True)
    names = names.str.replace(r"^(.*), The$", r"The \1", regex=True)
    return names.where(names != VARIOUS_ARTISTS)


def _per_unique(values: pd.Series, transform: Any) -> pd.Series:
    """``transform(values)`` computed once per distinct value (nulls stay null)."""
    codes, uniques = pd.factorize(values)
    if len(uniques) == 0:
        return pd.Series([None] * len(values), index=values.index, dtype=object)
    done = np.asarray(transform(pd.Series(uniques, dtype=object)).to_numpy(), dtype=object)
    out = np.append(done, None)[codes]  # code -1 (null) picks the appended None
    return pd.Series(out, index=values.index, dtype=object)


def _aligned(tracks: pd.DataFrame, golden: pd.DataFrame) -> pd.DataFrame:
    """Tracks joined to their truth; positional when row-aligned (the generator's output)."""
    truth = golden[["track_id", "recording_id", "work_id", "recording_kind"]]
    columns = ["track_id", "title", "artists", "album", "duration_ms", "isrc", "release_date"]
    columns += ["label"]
    if len(tracks) == len(golden) and np.array_equal(
        tracks["track_id"].to_numpy(), truth["track_id"].to_numpy()
    ):
        joined = tracks[columns].reset_index(drop=True)
        for column in ("recording_id", "work_id", "recording_kind"):
            joined[column] = truth[column].to_numpy()
        return joined
    return tracks[columns].merge(truth, on="track_id", how="inner")


def _first_release(frame: pd.DataFrame) -> pd.Series:
    """Earliest release date per recording (None when no track has a date)."""
    ordinals = _per_unique(
        frame["release_date"],
        lambda days: days.map(lambda d: d.toordinal() if isinstance(d, dt.date) else np.nan),
    ).astype(np.float64)
    first = ordinals.groupby(frame["recording_id"], sort=True).min()
    return first.map(lambda o: None if np.isnan(o) else dt.date.fromordinal(int(o)))


def _mode_by(
    keys: pd.Series, values: pd.Series, *, by_spelling_frequency: bool = False
) -> pd.Series:
    """The best-supported non-null value per key, indexed by the sorted keys.

    A value scores its number of rows; an all-lower or all-upper spelling counts half ("love
    song" on one release of two should not name the song in its videos). With
    ``by_spelling_frequency`` a row counts as often as its spelling occurs anywhere in
    ``values``: an artist's name is printed on many releases, a typo of it on one. Ties go to
    the spelling more common overall, then to the smallest (deterministic). Vectorised over
    integer codes: it runs on every track of a million-track catalog.
    """
    key_codes, key_uniques = pd.factorize(keys, sort=True)
    value_codes, value_uniques = pd.factorize(values)
    present = (key_codes >= 0) & (value_codes >= 0)
    k, v = key_codes[present].astype(np.int64), value_codes[present].astype(np.int64)
    if len(k) == 0:
        return pd.Series(dtype=object)
    text = pd.Series(value_uniques, dtype=object).astype(str)
    lower, upper = text.str.lower(), text.str.upper()
    one_case = (((text == lower) | (text == upper)) & (lower != upper)).to_numpy()
    overall = np.bincount(v, minlength=len(value_uniques)).astype(np.float64)
    weight = np.where(one_case, 0.5, 1.0)[v] * (overall[v] if by_spelling_frequency else 1.0)
    pair_codes, pair_of_row = np.unique(k * len(value_uniques) + v, return_inverse=True)
    score = np.bincount(pair_of_row.ravel(), weights=weight)
    pair_key, pair_value = pair_codes // len(value_uniques), pair_codes % len(value_uniques)
    value_rank = np.empty(len(value_uniques), dtype=np.int64)
    value_rank[np.argsort(text.to_numpy(), kind="stable")] = np.arange(len(value_uniques))
    order = np.lexsort((value_rank[pair_value], -overall[pair_value], -score, pair_key))
    sorted_keys = pair_key[order]
    best = order[np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]]
    return pd.Series(
        np.asarray(value_uniques, dtype=object)[pair_value[best]],
        index=pd.Index(np.asarray(key_uniques, dtype=object)[pair_key[best]]),
        dtype=object,
    )


# --- generation ---------------------------------------------------------------------------------


class _Weighted:
    """Weighted choice by bisection over cumulative weights."""

    __slots__ = ("items", "cum")

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        total = float(sum(weights))
        self.items = tuple(items)
        self.cum = [c / total for c in accumulate(weights)]
        self.cum[-1] = 1.0

    @classmethod
    def of(cls, weights: dict[Any, float]) -> _Weighted:
        return cls(tuple(weights), tuple(weights.values()))

    @classmethod
    def rows(cls, rows: Sequence[tuple[Any, ...]]) -> _Weighted:
        """Rows whose last field is the weight; draws return the other fields."""
        return cls([row[:-1] for row in rows], [row[-1] for row in rows])

    def draw(self, u: float) -> Any:
        return self.items[bisect_right(self.cum, u)]


_OFFICIAL_TITLES = _Weighted.of(OFFICIAL_TITLES)
_NATIVE_OFFICIAL_TITLES = _Weighted.of(NATIVE_OFFICIAL_TITLES)
_OFFICIAL_CHANNELS = _Weighted.of(OFFICIAL_CHANNELS)
_LYRIC_TITLES = _Weighted.rows(LYRIC_TITLES)
_AUDIO_TITLES = _Weighted.of(AUDIO_TITLES)
_LIVE_TITLES = _Weighted.rows(LIVE_TITLES)
_OFFICIAL_LIVE_TITLES = _Weighted.rows([row for row in LIVE_TITLES if row[1]])
_COVER_TITLES = _Weighted.of(COVER_TITLES)
_FAN_TITLES = _Weighted.of(FAN_TITLES)
_VERSION_TITLES = _Weighted.rows(VERSION_TITLES)


@dataclass(slots=True)
class _Video:
    title: str
    channel_name: str
    description: str | None
    duration_ms: int
    published_s: int  # seconds since the epoch
    isrc: str | None
    recording_id: str | None
    video_kind: str


@dataclass(frozen=True, slots=True)
class _Profile:
    recording_id: str
    kind: str
    title: str
    version_title: str
    artist: str
    artist_latin: str | None
    featured: str | None
    audio_ms: int
    first_release: int  # date ordinal; YOUTUBE_LAUNCH when no release date is known


_NON_WORD = re.compile(r"[\W_]+")


def _is_non_latin(name: str) -> bool:
    return any(ord(c) >= 0x370 for c in name)


class _VideoBuilder:
    """Draws the videos of the selected studio recordings, one recording at a time."""

    def __init__(
        self, profiles: pd.DataFrame, track_rows: pd.DataFrame, rnd: random.Random
    ) -> None:
        self.rnd = rnd
        self.u = rnd.random
        first = profiles["first_release"].map(
            lambda d: d.toordinal() if isinstance(d, dt.date) else YOUTUBE_LAUNCH
        )
        self.profiles = {
            row[0]: _Profile(*row)
            for row in zip(
                profiles.index,
                profiles["recording_kind"],
                profiles["title"],
                profiles["version_title"],
                profiles["artist"],
                profiles["artist_latin"],
                profiles["featured"],
                profiles["audio_ms"].tolist(),
                first.tolist(),
                strict=True,
            )
        }
        self.work_of = dict(zip(profiles.index, profiles["work_id"], strict=True))
        self.by_work: dict[str, dict[str, list[str]]] = {}
        for rec_id, work, kind in zip(
            profiles.index, profiles["work_id"], profiles["recording_kind"], strict=True
        ):
            self.by_work.setdefault(work, {}).setdefault(kind, []).append(rec_id)
        self.track_rows = {
            rec: positions.tolist()
            for rec, positions in track_rows.groupby("recording_id", sort=True).indices.items()
        }
        self.tracks = {c: track_rows[c].tolist() for c in track_rows.columns}

    # --- small random helpers -------------------------------------------------------------------

    def _choice(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.u() * len(seq))]

    def _int(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi]."""
        return lo + int(self.u() * (hi - lo + 1))

    def _typo(self, text: str) -> str:
        """One keyboard slip: swap, drop or duplicate a character."""
        if len(text) < 3:
            return text
        i, op = self._int(0, len(text) - 2), self._int(0, 2)
        if op == 0:
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        return text[:i] + text[i + 1 :] if op == 1 else text[:i] + text[i] + text[i:]

    def _name(self) -> str:
        n = self._int(2, 3)
        return "".join(self._choice(SYLLABLES) for _ in range(n)).capitalize()

    def _published(self, floor: int, release: int, prompt: float = 0.0) -> int:
        """Seconds since the epoch, on or after ``release`` (and ``floor``, the platform's).

        ``prompt`` is the chance that a video of a recording released after ``floor`` goes up
        within two months of the release; the rest spread over the years since, early ones
        more likely.
        """
        start = max(floor, release)
        if release >= floor and self.u() < prompt:
            day = start + self._int(0, 60)
        else:
            day = start + int(self.u() ** 2 * max(0, MAX_PUBLISHED - start))
        day = max(release, min(day, MAX_PUBLISHED))
        return (day - _EPOCH) * 86_400 + self._int(0, 86_399)

    def _near(self, audio_ms: int, spread_ms: int) -> int:
        return audio_ms + self._int(-spread_ms, spread_ms)

    # --- names and text ---------------------------------------------------------------------------

    def _display_artist(self, p: _Profile) -> str:
        """Native name, or its Latin spelling when the catalog shows one (half the time)."""
        if p.artist_latin is not None and self.u() < 0.5:
            return p.artist_latin
        return p.artist

    def _artist_channel(self, p: _Profile, style: str) -> str:
        name = p.artist_latin or p.artist
        if style == "vevo":
            return _NON_WORD.sub("", strip_diacritics(name)) + "VEVO"
        if style == "artist_official":
            return f"{p.artist} Official"
        if style == "artist_music":
            return f"{p.artist} Music"
        return p.artist

    def _song(self, p: _Profile) -> str:
        """The title as the artist's own uploads print it, with the feat. credit or not."""
        if p.featured is None or self.u() >= FEATURED_IN_TITLE_RATE:
            return p.title
        return p.title + (f" ft. {p.featured}" if self.u() < 0.5 else f" (feat. {p.featured})")

    def _fan_channel(self) -> str:
        return self._choice(FAN_CHANNEL_NAMES).format(
            n=self._int(1, 2009),
            word=self._choice(FAN_CHANNEL_WORDS),
            word2=self._choice(FAN_CHANNEL_WORDS),
            name=self._name(),
        )

    def _description(self, kind: str, p: _Profile, **fields: Any) -> str | None:
        if self.u() < DESCRIPTION_MISSING_RATE:
            return None
        template = self._choice(DESCRIPTIONS[kind])
        values = {
            "artist": p.artist,
            "song": p.title,
            "original": p.artist,
            "year": dt.date.fromordinal(p.first_release).year,
            "label": f"{p.artist} under exclusive licence",
            "director": self._choice(DIRECTORS),
            "venue": self._choice(VENUES),
            "verb": self._choice(NON_MUSIC_VERBS),
        }
        if "{handle}" in template:
            handle = _NON_WORD.sub("", strip_diacritics(p.artist_latin or p.artist)).lower()
            values["handle"] = handle or "music"
        if "{hashtag}" in template:
            values["hashtag"] = _NON_WORD.sub("", p.title) or "music"
        if "{lyrics}" in template:
            values["lyrics"] = "\n".join(
                " ".join(self._choice(TITLE_WORDS) for _ in range(self._int(3, 7)))
                for _ in range(self._int(2, 5))
            )
        values.update(fields)
        return template.format(**values)

    # --- one video per kind -----------------------------------------------------------------------

    def official_video(self, p: _Profile) -> _Video:
        artist = self._display_artist(p)
        if _is_non_latin(artist) and self.u() < NATIVE_MV_RATE:
            title = _NATIVE_OFFICIAL_TITLES.draw(self.u()).format(artist=artist, song=p.title)
        else:
            title = _OFFICIAL_TITLES.draw(self.u()).format(artist=artist, title=self._song(p))
        style = _OFFICIAL_CHANNELS.draw(self.u())
        x = self.u()  # intro/outro: mostly 5-40 s, sometimes none or a long story
        pad_s = self._int(0, 5) if x < 0.1 else self._int(40, 90) if x < 0.2 else self._int(5, 40)
        return _Video(
            title,
            self._artist_channel(p, style),
            self._description("official_video", p),
            p.audio_ms + pad_s * 1000 + self._int(0, 999),
            self._published(
                VEVO_LAUNCH if style == "vevo" else YOUTUBE_LAUNCH, p.first_release, 0.6
            ),
            None,
            p.recording_id,
            "official_video",
        )

    def lyric_video(self, p: _Profile) -> _Video:
        template, channel = _LYRIC_TITLES.draw(self.u())
        artist = self._display_artist(p)
        title = template.format(artist=artist, title=self._song(p), song=p.title)
        return _Video(
            title,
            p.artist if channel == "official" else self._choice(LYRIC_CHANNELS),
            self._description("lyric_video", p),
            self._near(p.audio_ms, 2000),
            self._published(YOUTUBE_LAUNCH, p.first_release, 0.4),
            None,
            p.recording_id,
            "lyric_video",
        )

    def audio(self, p: _Profile) -> _Video:
        title = _AUDIO_TITLES.draw(self.u()).format(
            artist=self._display_artist(p), title=self._song(p)
        )
        style = _OFFICIAL_CHANNELS.draw(self.u())
        return _Video(
            title,
            self._artist_channel(p, style),
            self._description("audio", p),
            self._near(p.audio_ms, 2000),
            self._published(YOUTUBE_LAUNCH, p.first_release, 0.5),
            None,
            p.recording_id,
            "audio",
        )

    def topic(self, p: _Profile, video_kind: str = "topic") -> _Video:
        """The auto-generated upload of one release: its own title, credits and ISRC."""
        rows = self.track_rows[p.recording_id]
        row = rows[int(self.u() * len(rows))]
        t = self.tracks
        title = t["title"][row]
        artists = [a for a in t["artists"][row] if a != VARIOUS_ARTISTS] or [p.artist]
        main = re.sub(r"\s+feat\.\s.*$", "", artists[0])
        label = t["label"][row] or f"{main} (distributed)"
        released = t["release_date"][row]
        lines = [f"Provided to YouTube by {label}", " \u00b7 ".join([title, *artists])]
        if t["album"][row]:
            lines.append(t["album"][row])
        year = released.year if released else dt.date.fromordinal(p.first_release).year
        lines.append(f"\u2117 {year} {label}")
        if released:
            lines.append(f"Released on: {released.isoformat()}")
        lines.append("Auto-generated by YouTube.")
        isrc = None
        if self.u() < TOPIC_ISRC_RATE:
            candidates = [t["isrc"][r] for r in (row, *rows) if t["isrc"][r]]
            if candidates:
                isrc = candidates[0].replace("-", "").upper()
        return _Video(
            title,
            f"{main} - Topic",
            "\n\n".join(lines),
            p.audio_ms,
            self._published(
                TOPIC_LAUNCH, max(p.first_release, released.toordinal() if released else 0), 0.8
            ),
            isrc,
            p.recording_id,
            video_kind,
        )

    def live(self, p: _Profile, live_take: _Profile | None) -> _Video:
        """A concert video: the catalog's live take when there is one, else another show."""
        shown = live_take
        template, official = (_LIVE_TITLES if shown is None else _OFFICIAL_LIVE_TITLES).draw(
            self.u()
        )
        artist = self._display_artist(p)
        venue, city = self._choice(VENUES), self._choice(CITIES)
        if shown is not None:
            year = dt.date.fromordinal(shown.first_release).year
            if shown.version_title != shown.title and self.u() < 0.5:
                template = "{artist} - {vtitle}" + self._choice(("", " (Official Live Video)"))
            duration = shown.audio_ms + self._int(-2000, 20_000)  # applause, a word to the crowd
            release = shown.first_release
        else:
            first_year = dt.date.fromordinal(max(p.first_release, YOUTUBE_LAUNCH)).year
            year = self._int(first_year, 2024)
            duration = p.audio_ms + self._int(10_000, 90_000)
            release = max(p.first_release, dt.date(year, 1, 1).toordinal())
        title = template.format(
            artist=artist,
            song=p.title,
            vtitle=shown.version_title if shown else p.title,
            venue=venue,
            city=city,
            year=year,
        )
        channel = self._artist_channel(p, "artist") if official else self._fan_channel()
        return _Video(
            title,
            channel,
            self._description("live", p, venue=venue),
            duration,
            self._published(YOUTUBE_LAUNCH, release, 0.3),
            None,
            shown.recording_id if shown else None,
            "live",
        )

    def cover(self, p: _Profile, catalog_cover: _Profile | None) -> _Video:
        """Someone else sings the song: a catalog cover recording, or a YouTuber."""
        if catalog_cover is not None:
            performer = catalog_cover.artist
            duration = self._near(catalog_cover.audio_ms, 3000)
            release = catalog_cover.first_release
        else:
            performer = (
                self._name()
                + (f" {self._name()}" if self.u() < 0.5 else "")
                + self._choice(COVER_SUFFIXES)
            )
            duration = int(p.audio_ms * (0.7 + 0.45 * self.u()))
            release = p.first_release
        title = _COVER_TITLES.draw(self.u()).format(
            song=p.title, original=self._display_artist(p), performer=performer
        )
        return _Video(
            title,
            performer,
            self._description("cover", p, original=p.artist),
            duration,
            self._published(YOUTUBE_LAUNCH, release, 0.2),
            None,
            catalog_cover.recording_id if catalog_cover else None,
            "cover",
        )

    def fan_upload(self, p: _Profile) -> _Video:
        artist, song = self._display_artist(p), self._song(p)
        x = self.u()
        if x < 0.4:
            artist, song = artist.lower(), song.lower()
        elif x < 0.5:
            artist, song = artist.upper(), song.upper()
        title = _FAN_TITLES.draw(self.u()).format(
            artist=artist, song=song, ARTIST=artist.upper(), SONG=song.upper()
        )
        if self.u() < TYPO_RATE:
            title = self._typo(title)
        return _Video(
            title,
            self._fan_channel(),
            self._description("fan_upload", p),
            self._near(p.audio_ms, 3000),
            self._published(YOUTUBE_LAUNCH, p.first_release),
            None,
            p.recording_id,
            "fan_upload",
        )

    def non_music(self, p: _Profile) -> _Video:
        """Talks about the song or its artist, or about nothing at all: never the recording."""
        template, (lo, hi) = self._choice(NON_MUSIC_TITLES)
        published = self._published(YOUTUBE_LAUNCH, p.first_release)
        title = template.format(
            artist=self._display_artist(p),
            song=p.title,
            year=dt.datetime.fromtimestamp(published, dt.UTC).year,
            adjective=self._choice(BAND_ADJECTIVES).lower(),
        )
        return _Video(
            title,
            self._fan_channel() if self.u() < 0.7 else self._name() + " TV",
            self._description("non_music", p),
            self._int(lo * 1000, hi * 1000),
            published,
            None,
            None,
            "non_music",
        )

    def version(self, p: _Profile, take: _Profile) -> _Video:
        """The video of a remix, acoustic take, radio edit ...: that recording, not ``p``."""
        template, style = _VERSION_TITLES.draw(self.u())
        if style == "topic":
            return self.topic(take, video_kind="version")
        if style == "official":
            duration = take.audio_ms + self._int(0, 40_000)
        else:
            duration = self._near(take.audio_ms, 2000)
        channel = take.artist if take.kind == "karaoke" else self._artist_channel(take, "artist")
        return _Video(
            template.format(artist=self._display_artist(take), vtitle=take.version_title),
            channel,
            self._description("audio", take),
            duration,
            self._published(YOUTUBE_LAUNCH, take.first_release, 0.5),
            None,
            take.recording_id,
            "version",
        )

    def videos_of(self, studio_id: str, counts: Sequence[int]) -> list[_Video]:
        """``counts[i]`` videos of kind ``VIDEO_KINDS[i]`` for one studio recording."""
        p = self.profiles[studio_id]
        family = self.by_work[self.work_of[studio_id]]
        videos: list[_Video] = []
        for kind, count in zip(VIDEO_KINDS, counts, strict=True):
            for _ in range(count):
                if kind == "live":
                    takes = family.get("live", ())
                    take = self._pick(takes) if takes and self.u() < CATALOG_LIVE_RATE else None
                    videos.append(self.live(p, take))
                elif kind == "cover":
                    covers = family.get("cover", ())
                    cover = self._pick(covers) if covers and self.u() < CATALOG_COVER_RATE else None
                    videos.append(self.cover(p, cover))
                elif kind == "version":
                    versions = [r for k in VERSION_RECORDING_KINDS for r in family.get(k, ())]
                    videos.append(self.version(p, self._pick(versions)))
                else:
                    videos.append(getattr(self, kind)(p))
        return videos

    def has_version(self, studio_id: str) -> bool:
        family = self.by_work[self.work_of[studio_id]]
        return any(family.get(kind) for kind in VERSION_RECORDING_KINDS)

    def _pick(self, recording_ids: Sequence[str]) -> _Profile:
        return self.profiles[self._choice(recording_ids)]


def _video_ids(n: int, seed: int) -> list[str]:
    """Unique 11-character YouTube-like ids: a 64-bit bijection of the row number, base64url.

    YouTube ids are 64-bit numbers in URL-safe base64 (hence the last character's 16 options);
    splitmix64's finaliser is a bijection on 64 bits, so distinct rows get distinct ids.
    """
    mask = (1 << 64) - 1
    z = (np.arange(n, dtype=np.uint64) + np.uint64((seed * 0x9E3779B97F4A7C15) & mask)).copy()
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    raw = z.astype(">u8").tobytes()
    return [
        base64.urlsafe_b64encode(raw[i : i + 8])[:11].decode("ascii") for i in range(0, 8 * n, 8)
    ]


def _empty_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    videos = pd.DataFrame({c: pd.Series(dtype=object) for c in VIDEO_COLUMNS})
    videos["duration_ms"] = videos["duration_ms"].astype(np.int64)
    videos["published_at"] = pd.to_datetime(videos["published_at"])
    golden = pd.DataFrame({c: pd.Series(dtype=object) for c in VIDEO_GOLDEN_COLUMNS})
    return videos, golden


def _kind_counts(n: int, eligible_version: np.ndarray, np_rng: np.random.Generator) -> np.ndarray:
    """Videos per (recording, kind): Poisson around per-recording kind odds, times popularity.

    Only recordings whose work has a remix, acoustic take ... can have ``version`` videos, so
    their odds of one are raised by the inverse of their share (and the other kinds lowered to
    match), the rest get none. Averaged over recordings the odds are then exactly
    ``VIDEO_KIND_SHARES``. A recording left with no video gets one, drawn from its own odds,
    so the shares hold in expectation.
    """
    shares = np.array([VIDEO_KIND_SHARES[k] for k in VIDEO_KINDS])
    version = VIDEO_KINDS.index("version")
    odds = np.tile(shares, (n, 1))
    eligible_share = eligible_version.mean() if n else 0.0
    version_odds = min(shares[version] / eligible_share, 1.0) if eligible_share else 0.0
    odds[:, version] = np.where(eligible_version, version_odds, 0.0)
    others = np.arange(len(shares)) != version
    # the other kinds share what the version odds leave, in their documented proportions
    odds[:, others] = shares[others] / (1.0 - shares[version]) * (1.0 - odds[:, [version]])
    popularity = np_rng.gamma(2.0, 0.5, size=n)  # mean 1: a few songs get many videos
    counts = np_rng.poisson(odds * VIDEOS_PER_RECORDING * popularity[:, None])
    empty = np.flatnonzero(counts.sum(axis=1) == 0)
    if empty.size:
        cum = np.cumsum(odds[empty], axis=1)
        draw = np_rng.random(empty.size) * cum[:, -1]  # below the total: a kind with odds > 0
        counts[empty, (draw[:, None] >= cum).sum(axis=1)] = 1
    return counts


def generate_videos(
    tracks: pd.DataFrame,
    golden: pd.DataFrame,
    *,
    seed: int = 42,
    video_rate: float = 0.3,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate music videos of a catalog's recordings, and which recording each one shows.

    Args:
        tracks: Catalog tracks with ``jobs.samples.catalog.TRACK_COLUMNS`` (pass them before
            ``inject_bad_rows``: spoiled rows are skipped, but duplicates are joined as found).
        golden: Their truth (``GOLDEN_COLUMNS``); only ``track_id``, ``recording_id``,
            ``work_id`` and ``recording_kind`` are read.
        seed: Seed for every draw; the same inputs and seed give identical frames.
        video_rate: Share of the catalog's studio recordings that get videos (about two each,
            see ``VIDEO_KIND_SHARES`` for what kind).

    Returns:
        ``(videos, video_golden)``, row-aligned. ``videos`` has ``VIDEO_COLUMNS``
        (``duration_ms`` int64, ``published_at`` datetime64[ns], the rest str or None);
        ``video_golden`` has ``VIDEO_GOLDEN_COLUMNS``. ``recording_id`` is the recording the
        video plays: the studio recording for official, lyric, audio, topic and fan uploads;
        the catalog live take or cover for ``live`` and ``cover`` videos that show one (else
        None); the remix/acoustic/... recording for ``version``; None for ``non_music``.

    Raises:
        ValueError: If ``video_rate`` is outside [0, 1].
    """
    if not 0.0 <= video_rate <= 1.0:
        raise ValueError(f"video_rate must be within [0, 1], got {video_rate}")
    rnd, np_rng = random.Random(seed), np.random.default_rng(seed)
    studio = np.sort(golden.loc[golden["recording_kind"] == "studio", "recording_id"].unique())
    chosen = studio[np_rng.random(len(studio)) < video_rate]
    if len(chosen) == 0:
        return _empty_frames()
    works = golden.loc[golden["recording_id"].isin(chosen), "work_id"].unique()
    frame = _aligned(tracks, golden)
    frame = _usable(frame[frame["work_id"].isin(works)])
    profiles = _profiles_of(frame)
    chosen = chosen[pd.Index(chosen).isin(profiles.index)]  # all its tracks may be spoiled
    builder = _VideoBuilder(profiles, frame, rnd)
    eligible = np.array(
        [builder.has_version(recording_id) for recording_id in chosen.tolist()], dtype=bool
    )
    counts = _kind_counts(len(chosen), eligible, np_rng)
    videos = [
        v
        for rec, row in zip(chosen, counts.tolist(), strict=True)
        for v in builder.videos_of(rec, row)
    ]
    if not videos:
        return _empty_frames()
    order = np_rng.permutation(len(videos))  # so the videos of one recording are not adjacent
    videos = [videos[i] for i in order.tolist()]
    ids = _video_ids(len(videos), seed)
    n = len(videos)

    def column(name: str) -> np.ndarray:
        return np.fromiter((getattr(v, name) for v in videos), dtype=object, count=n)

    frame_out = pd.DataFrame(
        {
            "video_id": ids,
            "source": SOURCE,
            "title": column("title"),
            "channel_name": column("channel_name"),
            "description": column("description"),
            "duration_ms": np.fromiter((v.duration_ms for v in videos), np.int64, n),
            "published_at": pd.to_datetime(
                np.fromiter((v.published_s for v in videos), np.int64, n), unit="s"
            ),
            "isrc": column("isrc"),
        },
        columns=list(VIDEO_COLUMNS),
    )
    video_golden = pd.DataFrame(
        {
            "video_id": ids,
            "recording_id": column("recording_id"),
            "video_kind": column("video_kind"),
        },
        columns=list(VIDEO_GOLDEN_COLUMNS),
    )
    logger.info(
        "generated %d videos of %d studio recordings (%d with a recording)",
        n,
        len(chosen),
        int(video_golden["recording_id"].notna().sum()),
    )
    return frame_out, video_golden


# --- spoiled rows -------------------------------------------------------------------------------


def inject_bad_videos(
    videos: pd.DataFrame, rate: float, seed: int = 42
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Spoil a share of rows the way feeds do, so the quarantine path has work.

    Each spoiled row gets one of BAD_VIDEO_KINDS, in turn; ``duplicate_id`` appends a second
    row under an existing video_id (source 'sample-dup', so the original stays first in content
    order). The golden table is untouched: spoiled videos keep their truth, excluded ones (null
    title, null id) simply take no part. Returns the spoiled frame and the count per kind.
    """
    rng = np.random.default_rng(seed + 2)  # not inject_bad_rows' stream: other rows spoil
    n_bad = int(round(len(videos) * rate))
    if n_bad == 0:
        return videos, {}
    out = videos.copy()
    rows = rng.choice(len(out), size=n_bad, replace=False)
    kinds = [BAD_VIDEO_KINDS[i % len(BAD_VIDEO_KINDS)] for i in range(n_bad)]
    counts: dict[str, int] = {}
    duplicates = []
    col = out.columns.get_loc
    for row, kind in zip(rows.tolist(), kinds, strict=True):
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "null_title":
            out.iat[row, col("title")] = None if row % 2 else "   "
        elif kind == "invalid_isrc":
            isrc = out.iat[row, col("isrc")]
            bad = (f"ISRC-{row}", "N/A", isrc[:-1] if isrc else "US-ABC-1")[row % 3]
            out.iat[row, col("isrc")] = bad
        elif kind == "negative_duration":
            out.iat[row, col("duration_ms")] = -abs(int(out.iat[row, col("duration_ms")])) or -1
        elif kind == "null_id":
            out.iat[row, col("video_id")] = None
        else:
            dup = out.iloc[[row]].copy()
            dup["source"] = SOURCE + "-dup"
            dup["title"] = dup["title"] + " (duplicate feed row)"
            duplicates.append(dup)
    if duplicates:
        out = pd.concat([out, *duplicates], ignore_index=True)
    return out, counts
