"""Deterministic synthetic music catalog with ground truth, for entity-resolution work.

Real catalogs go wrong in recurring ways: one recording is released many times (album, single,
compilations, deluxe, remastered, regional re-issues), each release spelling title and artists a
little differently, while *different* recordings of a song (live, remix, radio edit, cover,
re-recording ...) look almost identical. Fabricating such a catalog lets blocking rules and
model quality be measured against a known answer without shipping real catalog data.

The model is ``work -> recording -> release``: each track is one release of one recording, and
``golden`` says which. All draws come from ``random.Random(seed)`` and
``numpy.random.default_rng(seed)`` (never global state or ``hash()``), so the same
``(n_tracks, seed)`` yields identical frames. Per-row string noise is plain Python with cheap
helpers (bisection instead of ``Random.choices``), about 30 us a track.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import logging
import random
import re
import string
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import numpy as np
import pandas as pd

from features.identifiers import iswc_check_digit

logger = logging.getLogger(__name__)

# Vocabulary and rate tables are kept dense on purpose (they are data, not code).
# fmt: off
# --- public constants ---------------------------------------------------------------------------

RECORDING_KINDS: tuple[str, ...] = (
    "studio", "live", "remix", "radio_edit", "extended_mix", "acoustic", "instrumental",
    "karaoke", "re_recording", "cover", "unrelated_same_title",
)
"""Every ``golden.recording_kind``; "studio" is the original, the rest are hard negatives."""
HARD_NEGATIVE_KINDS: tuple[str, ...] = RECORDING_KINDS[1:]
"""Different recordings that a naive matcher would merge with the studio original."""
RELEASE_KINDS: tuple[str, ...] = (
    "album", "single", "compilation", "deluxe", "remaster", "regional_reissue",
)
TRACK_COLUMNS: tuple[str, ...] = (
    "track_id", "source", "title", "artists", "album", "duration_ms", "isrc", "release_date",
    "label", "iswc",
)
_ROW_FIELDS = TRACK_COLUMNS[2:-1] + ("recording", "release_kind")  # collected per release
WORK_FEED_COLUMNS: tuple[str, ...] = (
    "work_id", "source", "title", "alternative_titles", "iswc", "writers",
)
FEED_SOURCE = "publisher"
CREDIT_COLUMNS: tuple[str, ...] = ("track_id", "source", "name", "role")
"""A publisher's works feed (``generate_works_feed``): its own work ids, not the catalog's."""
GOLDEN_COLUMNS: tuple[str, ...] = (
    "track_id", "recording_id", "work_id", "recording_kind", "release_kind",
)
SOURCE = "sample"
VARIOUS_ARTISTS = "Various Artists"
ISRC_PATTERN = r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$"
"""A valid ISRC once hyphens are removed and letters upper-cased (CC XXX YY NNNNN)."""

# --- structure and noise rates ------------------------------------------------------------------
# Tuned so that ~20k tracks give ~7-8k recordings with ~25-30% of tracks hard negatives.

STUDIO_RELEASE_COUNTS = {1: 16, 2: 18, 3: 18, 4: 16, 5: 13, 6: 11, 7: 8}  # skewed, mean ~3.6
HARD_NEGATIVE_WORK_RATE = 0.65  # share of works that get hard-negative recordings ...
SECOND_HARD_NEGATIVE_RATE = 0.35  # ... and of those, the share that get two
HN_SECOND_RELEASE_RATE = 0.45  # a hard-negative recording is released once or twice
HN_KIND_WEIGHTS = {
    "live": 18, "remix": 12, "radio_edit": 10, "extended_mix": 6, "acoustic": 10,
    "instrumental": 6, "karaoke": 8, "re_recording": 10, "cover": 12, "unrelated_same_title": 8,
}
FIRST_RELEASE_KINDS = {"album": 80, "single": 20}
REISSUE_KINDS = {
    "album": 5, "single": 18, "compilation": 30, "deluxe": 14, "remaster": 18,
    "regional_reissue": 15,
}
HN_RELEASE_KINDS = {"album": 60, "single": 20, "compilation": 20}
# (min, max) years between a recording's first release and a later release of this kind.
REISSUE_DELAY_YEARS = {
    "album": (0, 5), "compilation": (1, 30), "deluxe": (1, 3), "remaster": (5, 40),
    "regional_reissue": (0, 3),
}
# Per hard-negative kind: (min, max) seconds of duration change, (min, max) years after the
# original. Live/extended takes run longer, radio edits shorter, re-recordings barely differ.
HN_SHAPE = {
    "live": (10, 60, 0, 25), "remix": (-30, 120, 0, 3), "radio_edit": (-60, -20, 0, 0),
    "extended_mix": (60, 240, 0, 1), "acoustic": (-30, 30, 0, 10), "instrumental": (-5, 5, 0, 2),
    "karaoke": (-8, 8, 1, 25), "re_recording": (-8, 8, 3, 30), "cover": (-60, 60, 1, 40),
    "unrelated_same_title": (-200, 200, 0, 0),
}
OTHER_ARTIST_KINDS = frozenset({"karaoke", "cover", "unrelated_same_title"})
UNTAGGED_RELEASE_RATE = {"live": 0.12, "acoustic": 0.08}  # e.g. a live album, plain titles
FEATURED_RATE = 0.15
VARIOUS_ARTISTS_RATE = 0.065  # of studio compilation releases -> ~1% of all tracks
COMMON_TITLE_RATE = 0.06
ISRC_MISSING_RATE = 0.20
ISRC_NEW_RATE = 0.08  # of later releases: the re-issue got its own ISRC (~5% of tracks)
ISRC_WRONG_RATE = 0.01  # catalog error: the ISRC of a different recording
ISRC_HYPHEN_RATE = 0.08
ISRC_LOWER_RATE = 0.04
TYPO_RATE = 0.03
DATE_MISSING_RATE = 0.05
LABEL_MISSING_RATE = 0.08
ALBUM_MISSING_RATE = 0.03
# Works (compositions). Drawn from a random stream of their own, so the tracks, videos
# and releases of a seed are the same with or without them, bar the cover titles.
ISWC_PRESENT_RATE = 0.80  # tracks that carry their work's ISWC
ISWC_WRONG_RATE = 0.01  # of those: the ISWC of another work (catalog error)
ISWC_FORMATS = {"dotted": 60, "plain": 25, "hyphens": 15}  # T-034.524.680-1, T0345246801, ...
PREFIXED_TITLE_RATE = 0.05  # works titled "(I Can't Get No) Satisfaction"; covers may drop it
PREFIX_DROPPED_RATE = 0.6
# How covers retitle a song (the rest keep the original title).
COVER_TITLE_WEIGHTS = {
    "same": 76, "translated": 10, "medley": 5, "theme_from": 4, "from_film": 5,
}
WRITER_IS_ARTIST_RATE = 0.5  # the performer is one of the writers
FEED_WORK_RATE = 0.7  # works a publisher's feed lists
CREDITED_TRACK_RATE = 0.6  # tracks whose delivery credits the song's writers
# how a credit spells a writer: "Max Martin", "Martin, Max", "M. Martin"
WRITER_SPELLINGS = {"plain": 70, "inverted": 15, "initial": 15}
CREDIT_ROLES = {"writer": 50, "composer": 30, "lyricist": 20}
FEED_ALT_TITLE_RATE = 0.6  # a translated title the feed lists as an alternative title
MIN_DATE = dt.date(1960, 1, 1).toordinal()
MAX_DATE = dt.date(2024, 12, 31).toordinal()

# --- vocabularies -------------------------------------------------------------------------------

TITLE_WORDS: tuple[str, ...] = tuple(dict.fromkeys("""
love heart night day time baby girl boy life world dream dreams fire rain sun moon star stars
light dark blue red gold golden silver black white green summer winter spring autumn city road
river ocean sea sky heaven angel angels devil soul body mind eyes hands lips kiss touch dance
dancing run running fall falling rise rising stay go come home away back again forever never
always tonight tomorrow yesterday today morning midnight evening sunday monday friday saturday
weekend party wild free young old new crazy lonely happy sad sweet bitter broken beautiful
perfect little big high low slow fast hard easy true lies truth secret secrets shadow shadows
ghost ghosts memory memories song songs music rhythm beat drum guitar radio money diamonds queen
king prince princess lady man woman boys girls friend friends lover lovers stranger strangers
hero heroes fool fools rebel rebels wolf wolves bird birds butterfly rose roses flower flowers
garden paradise desert island mountain valley highway street avenue boulevard train car ride
drive fly flying wings echo echoes thunder lightning storm wind waves tide fever cold hot ice
snow burning burn shine shining glow neon electric cosmic magic miracle wonder heartbeat
heartache tears cry crying smile laugh remember forget believe hold let me you we us they
together alone lost found hope faith grace glory mercy freedom promise promises chance chances
story stories letter letters word words name names door window mirror wall walls bridge bridges
line lines edge end beginning start first last only one two three hundred thousand million mile
miles hours minutes seconds kingdom empire revolution war peace army soldier gun bullet knife
blood bones skin sugar honey candy cherry wine whiskey champagne coffee cigarette smoke glass
stone heavy feather paper plastic velvet satin silk leather lace diamond pearl ruby don't can't
won't i'm you're it's ain't let's we're they're nothin' somethin' rock'n'roll café señorita déjà
olé naïve fiancée rosé in on of the a to and with without for from under over into through
""".split()))
SMALL_WORDS = frozenset("a an and the of in on to with for from under over into through".split())
COMMON_TITLES: tuple[str, ...] = (
    "Home", "Hallelujah", "Stay", "Run", "Hello", "Forever", "Angel", "Alone", "Crazy", "Tonight",
    "Smile", "Hold On", "Let It Go", "Without You", "Heaven", "Yesterday", "Dreams", "Summertime",
    "Fire", "Believe", "Sorry", "Intro", "Halo", "Breathe", "Runaway", "Closer", "Shine",
    "Beautiful", "Baby", "Love Song", "Time", "Gold", "Stay With Me", "Falling", "Paradise",
    "Wild", "Hurt", "Someday", "Lullaby", "Outro",
)
SYLLABLES: tuple[str, ...] = tuple("""
ka lo mi ra ven dor el an ta ri son ber li na mar co jo sel vin da le ron ny to bel ca ro ha mo
ne si ter lu ki zo fa gra bri tho wen del ar is ol ur em ju pa sha tri kel mor val den ash
""".split())
ACCENTS = {"a": "áàä", "e": "éèë", "i": "íï", "o": "öóô", "u": "üú", "n": "ñ", "c": "ç"}
BAND_ADJECTIVES: tuple[str, ...] = tuple("""
Silver Black Electric Velvet Rolling Crimson Golden Midnight Lonely Wild Neon Broken Howling
Painted Flying Burning Young Lost Cosmic Iron Paper Glass Northern Sweet Holy
""".split())
BAND_NOUNS: tuple[str, ...] = tuple("""
Foxes Wolves Stones Hearts Ravens Kings Sparrows Tigers Ghosts Rebels Angels Strangers Riders
Lovers Shadows Roses Saints Pilots Machines Rockets Owls Dreamers Comets Pirates
""".split())
# Transliteration tables for non-Latin artists: Latin syllable -> native script (synthetic).
CYRILLIC_SYLLABLES = dict(zip(
    "ka ri na to mi sha vo lya ko va dmi tri le ni ol ga ser an dre zhe pe tro vich ov ro".split(),
    "ка ри на то ми ша во ля ко ва дми три ле ни ол га сер ан дре же пе тро вич ов ро".split(),
    strict=True))
GREEK_SYLLABLES = dict(zip(
    "ka lo ni ko ma ri ta the o do ra pa ne le xa mi di ste fa chri".split(),
    "κα λο νι κο μα ρι τα θε ο δο ρα πα νε λε ξα μι δι στε φα χρι".split(), strict=True))
KANA_SYLLABLES = dict(zip(
    "ka ki ku sa shi ta to na mi ra ri yu ke ha ru mo ko yo so a e hi no ma ya n".split(),
    "カ キ ク サ シ タ ト ナ ミ ラ リ ユ ケ ハ ル モ コ ヨ ソ ア エ ヒ ノ マ ヤ ン".split(),
    strict=True))
ARTIST_TYPE_WEIGHTS = {
    "person": 50, "mononym": 14, "band": 15, "duo": 7, "accented": 9, "native": 5,
}
KARAOKE_ARTISTS: tuple[str, ...] = (
    "Karaoke Hits Band", "Sing-Along Stars", "The Karaoke Crew", "Backing Track Heroes",
    "Vocal Star Karaoke", "Top Karaoke Singers",
)
LABEL_SUFFIXES = ("Records", "Music", "Recordings", "Sound", "Music Group")
COMPILATION_LABELS: tuple[str, ...] = (
    "Hitmakers Compilations", "Evergreen Music", "Chart Masters", "Sunset Compilations",
    "Jukebox Classics", "Prime Collection",
)
ISRC_COUNTRIES = tuple("US GB DE FR SE JP CA AU NL IT ES BR KR NO DK FI RU GR QM QZ".split())
FEAT_FORMATS = (" (feat. {})", " (ft. {})", " [feat. {}]", " feat. {}", " (featuring {})",
                " (Feat. {})")
FEAT_JOINERS = (" & ", ", ", " and ")
REMASTER_TAGS = (" - Remastered {y}", " ({y} Remaster)", " - {y} Remaster", " [Remastered]",
                 " - Remastered", " (Remastered {y})")
BENIGN_TAGS = (" (Album Version)", " (Mono)", " (Stereo)", " - Mono Version")
VENUES = ("Wembley", "Madison Square Garden", "Red Rocks", "the Royal Albert Hall", "Budokan",
          "the BBC", "Glastonbury", "the Apollo", "Hyde Park", "the Fillmore")
CITIES = ("Paris", "Tokyo", "Berlin", "London", "Chicago", "Austin", "Rio", "Sydney", "Dublin",
          "Montreal")
# Title tags per hard-negative kind, with weights. Placeholders: {venue} {city} {year}
# {artist} (the performer) {original} (the original artist) {remixer}.
HN_TAGS: dict[str, dict[str, int]] = {
    "live": {" (Live)": 40, " - Live at {venue} {year}": 25, " (Live from {city})": 15,
             " - Live": 10, " [Live]": 10},
    "remix": {" ({remixer} Remix)": 50, " - {remixer} Remix": 35, " ({remixer} Mix)": 15},
    "radio_edit": {" (Radio Edit)": 70, " - Radio Edit": 30},
    "extended_mix": {" (Extended Mix)": 60, ' (12" Version)': 25, " - Extended Version": 15},
    "acoustic": {" (Acoustic)": 40, " - Acoustic Version": 30, " (Acoustic Version)": 20,
                 " - Unplugged": 10},
    "instrumental": {" (Instrumental)": 70, " - Instrumental": 30},
    "karaoke": {" (Karaoke Version)": 50, " (Originally Performed by {original})": 35,
                " (In the Style of {original})": 15},
    "re_recording": {"": 40, " ({artist}'s Version)": 30, " ({year} Re-Recording)": 20,
                     " (Re-Recorded)": 10},
    "cover": {"": 80, " (Cover)": 20},  # covers are mostly untagged: the hard case
    "unrelated_same_title": {"": 1},
}
# Album names of hard negatives that do not go on one of the performer's own albums.
HN_ALBUMS: dict[str, tuple[str, ...]] = {
    "live": ("Live at {venue}", "Live in {city}", "{artist} Live"),
    "karaoke": ("Karaoke Hits Vol. {n}", "Sing Like {original}", "Party Karaoke {year}"),
    "remix": ("{title} (The Remixes)", "Remixed"),
    "acoustic": ("Unplugged", "Acoustic Sessions"),
}
COMPILATION_NAMES = (
    "Greatest Hits", "Greatest Hits Vol. {n}", "Now That's What I Call Music! {n}",
    "Best of {artist}", "The Essential {artist}", "{decade}s Gold", "Hits of {year}",
    "Summer Anthems {year}", "Love Songs Forever", "The Very Best of {artist}",
)
DELUXE_SUFFIXES = (" (Deluxe Edition)", " (Deluxe)", " [Expanded Edition]")
REGIONAL_SUFFIXES = (" (Japan Edition)", " (International Version)")
# fmt: on


@functools.lru_cache(maxsize=65536)
def strip_diacritics(text: str) -> str:
    """Drop combining marks ("Beyoncé" -> "Beyonce"), as many ingest pipelines do."""
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


class _Weighted:
    """Weighted choice by bisection over cumulative weights, much cheaper than ``choices``."""

    __slots__ = ("items", "cum")

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        total = float(sum(weights))
        self.items = tuple(items)
        self.cum = [c / total for c in accumulate(weights)]
        self.cum[-1] = 1.0

    @classmethod
    def of(cls, weights: dict[Any, float]) -> _Weighted:
        return cls(tuple(weights), tuple(weights.values()))

    def draw(self, u: float) -> Any:
        return self.items[bisect_right(self.cum, u)]


_STUDIO_RELEASE_COUNTS = _Weighted.of(STUDIO_RELEASE_COUNTS)
_HN_KINDS = _Weighted.of(HN_KIND_WEIGHTS)
_FIRST_RELEASE_KINDS = _Weighted.of(FIRST_RELEASE_KINDS)
_REISSUE_KINDS = _Weighted.of(REISSUE_KINDS)
_HN_RELEASE_KINDS = _Weighted.of(HN_RELEASE_KINDS)
_ARTIST_TYPES = _Weighted.of(ARTIST_TYPE_WEIGHTS)
_COVER_TITLES = _Weighted.of(COVER_TITLE_WEIGHTS)
_HN_TAGS = {kind: _Weighted.of(tags) for kind, tags in HN_TAGS.items()}
_TITLE_LENGTHS = _Weighted((1, 2, 3, 4, 5), (25, 30, 22, 15, 8))


@dataclass(slots=True)
class _Artist:
    name: str
    latin: str | None  # Latin transliteration when ``name`` is in another script
    label: str
    isrc_prefix: str  # country + registrant, unique per artist so ISRCs never collide
    albums: list[str] = field(default_factory=list)
    next_designation: int = 0

    @property
    def latin_name(self) -> str:
        return self.latin or self.name


@dataclass(slots=True)
class _Work:
    title: str
    iswc: str  # T + 10 digits, check digit valid
    writers: tuple[str, ...]
    alternative_titles: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Recording:
    work_index: int
    kind: str
    title: str  # plain title, no feat./version tags
    artist: _Artist
    featured: tuple[_Artist, ...]
    duration_ms: int
    ordinal: int  # date of the first release
    group: tuple[int, int]  # recording index range of the work family (for ISRC errors)
    index: int = -1
    isrc: str = ""
    tag: str = ""  # version tag of a hard negative, e.g. " (Live)"
    album: str = ""
    remixer: _Artist | None = None


class _CatalogBuilder:
    """Grows works, recordings and releases until ``n_tracks`` rows exist."""

    def __init__(self, n_tracks: int, seed: int) -> None:
        self.n_tracks = n_tracks
        self.rnd = random.Random(seed)
        self.u = self.rnd.random  # bound method: the hot path draws ~40 uniforms per track
        self.np_rng = np.random.default_rng(seed)
        self.recordings: list[_Recording] = []
        self.n_works = 0
        self.rows: dict[str, list[Any]] = {c: [] for c in _ROW_FIELDS}
        self._dates: dict[int, dt.date] = {}
        n_artists = max(40, n_tracks // 15)
        self.labels = self._make_labels(max(10, n_artists // 10))
        artists = self._make_artists(n_artists)
        # Zipf-like popularity: a few artists own many works, most own one or two.
        self.artists = _Weighted(artists, [1.0 / (i + 5) ** 0.7 for i in range(n_artists)])
        self.karaoke = [
            self._new_artist(name, None, n_artists + i) for i, name in enumerate(KARAOKE_ARTISTS)
        ]
        # works: a stream of their own (see ISWC_PRESENT_RATE)
        self.wrnd = random.Random(seed * 7919 + 17)
        self.works: list[_Work] = []
        n_writers = max(30, n_tracks // 30)
        writers = sorted(
            {f"{self._w_name(2, 2)} {self._w_name(2, 3)}" for _ in range(n_writers)}
        )
        self.writers = _Weighted(writers, [1.0 / (i + 3) ** 0.8 for i in range(len(writers))])

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

    def _date(self, ordinal: int) -> dt.date:
        """Share one ``date`` object per day: far fewer objects at millions of rows."""
        day = self._dates.get(ordinal)
        if day is None:
            day = self._dates[ordinal] = dt.date.fromordinal(ordinal)
        return day

    def _later(self, ordinal: int, min_years: float, max_years: float) -> int:
        """A date ``min_years..max_years`` after ``ordinal``, never past ``MAX_DATE``."""
        lo = min(ordinal + int(365 * min_years), MAX_DATE)
        return self._int(lo, max(lo, min(ordinal + int(365 * max_years), MAX_DATE)))

    # --- pools ------------------------------------------------------------------------------------

    def _syllable_name(self, lo: int, hi: int) -> str:
        n = self._int(lo, hi)
        return "".join(self._choice(SYLLABLES) for _ in range(n)).capitalize()

    def _make_labels(self, n: int) -> list[str]:
        seen: set[str] = set()
        while len(seen) < n:
            stem = self._syllable_name(2, 3) if self.u() < 0.6 else self._choice(BAND_ADJECTIVES)
            seen.add(f"{stem} {self._choice(LABEL_SUFFIXES)}")
        return sorted(seen)

    def _native_name(self) -> tuple[str, str]:
        """A synthetic non-Latin name and its Latin transliteration."""
        script = self._int(0, 2)
        if script == 2:  # Japanese mononym in katakana
            sylls = [self._choice(tuple(KANA_SYLLABLES)) for _ in range(self._int(2, 4))]
            return "".join(KANA_SYLLABLES[s] for s in sylls), "".join(sylls).capitalize()
        table = CYRILLIC_SYLLABLES if script == 0 else GREEK_SYLLABLES
        native, latin = [], []
        for _ in range(2):  # given name and family name, transliterated syllable by syllable
            sylls = [self._choice(tuple(table)) for _ in range(self._int(2, 4))]
            native.append("".join(table[s] for s in sylls).capitalize())
            latin.append("".join(sylls).capitalize())
        return " ".join(native), " ".join(latin)

    def _artist_name(self, kind: str) -> tuple[str, str | None]:
        if kind == "person":
            return f"{self._syllable_name(2, 2)} {self._syllable_name(2, 3)}", None
        if kind == "mononym":
            return self._syllable_name(2, 3), None
        if kind == "band":
            return f"The {self._choice(BAND_ADJECTIVES)} {self._choice(BAND_NOUNS)}", None
        if kind == "duo":
            return f"{self._syllable_name(2, 3)} & {self._syllable_name(2, 3)}", None
        if kind == "native":
            return self._native_name()
        name = self._artist_name(self._choice(("person", "mononym")))[0]  # accented
        i = self._choice([i for i, c in enumerate(name) if c in ACCENTS])
        return name[:i] + self._choice(ACCENTS[name[i]]) + name[i + 1 :], None

    def _new_artist(self, name: str, latin: str | None, index: int) -> _Artist:
        # An affine bijection on [0, countries * 36**3) spreads artists over ISRC prefixes.
        n_countries = len(ISRC_COUNTRIES)
        code = (index * 7919 + 1234) % (n_countries * 36**3)
        prefix = ISRC_COUNTRIES[code % n_countries] + np.base_repr(code // n_countries, 36).zfill(3)
        return _Artist(name, latin, self._choice(self.labels), prefix)

    def _make_artists(self, n: int) -> list[_Artist]:
        seen: set[str] = set()
        artists: list[_Artist] = []
        while len(artists) < n:
            name, latin = self._artist_name(_ARTIST_TYPES.draw(self.u()))
            if name not in seen:
                seen.add(name)
                artists.append(self._new_artist(name, latin, len(artists)))
        return artists

    def _popular_artist(self, exclude: _Artist | None = None) -> _Artist:
        while True:
            artist = self.artists.draw(self.u())
            if artist is not exclude:
                return artist

    # --- works --------------------------------------------------------------------------------------

    def _w_name(self, lo: int, hi: int) -> str:
        n = lo + int(self.wrnd.random() * (hi - lo + 1))
        return "".join(self.wrnd.choice(SYLLABLES) for _ in range(n)).capitalize()

    def _new_work(self, title: str, artist: _Artist) -> _Work:
        """Register work number ``len(self.works)``: its ISWC, writers, maybe a prefixed title."""
        w = self.wrnd
        index = len(self.works)
        digits = f"{(index * 7919 + 104_729) % 10**9:09d}"  # a bijection: never repeats
        iswc = f"T{digits}{iswc_check_digit(digits)}"
        n_writers = 1 if w.random() < 0.45 else (2 if w.random() < 0.73 else 3)
        writers = [self.writers.draw(w.random()) for _ in range(n_writers)]
        if artist not in self.karaoke and w.random() < WRITER_IS_ARTIST_RATE:
            writers[0] = artist.latin_name
        words = title.split(" ")
        if len(words) >= 3 and "," not in title and w.random() < PREFIXED_TITLE_RATE:
            k = 1 if len(words) == 3 else 2
            title = f"({' '.join(words[:k])}) {' '.join(words[k:])}"
        work = _Work(title, iswc, tuple(dict.fromkeys(writers)))
        self.works.append(work)
        return work

    def _cover_title(self, work: _Work) -> str:
        """How a cover names the song: mostly as the original does, sometimes not at all."""
        w = self.wrnd
        title = work.title
        if title.startswith("(") and w.random() < PREFIX_DROPPED_RATE:
            dropped = title.split(") ", 1)[-1]
            if dropped.isascii() == title.isascii():
                title = dropped
        how = _COVER_TITLES.draw(w.random())
        if how == "translated" and title.isascii():  # (as every change here: keeps ascii-ness,
            title = translate_title(title)  # which the track noise's draws depend on)
            work.alternative_titles.append(title)
        elif how == "medley":
            other = self.works[int(w.random() * len(self.works))].title
            if other != title and other.isascii():
                title = f"{title} / {other}"
        elif how == "theme_from":
            title = f"{w.choice(('Theme from', 'Love Theme from', 'Theme From'))} {title}"
        elif how == "from_film":
            film = self.works[int(w.random() * len(self.works))].title
            if film.isascii():
                title += w.choice((' (From the film "{}")', ' (From "{}")', " - From {}"))
                title = title.format(film)
        return title

    # --- recordings -------------------------------------------------------------------------------

    def _title(self) -> str:
        u = self.u
        if u() < COMMON_TITLE_RATE:
            return self._choice(COMMON_TITLES)
        words = [self._choice(TITLE_WORDS) for _ in range(_TITLE_LENGTHS.draw(u()))]
        last = len(words) - 1  # title case: small words stay lower unless first or last
        title = " ".join(
            w if 0 < i < last and w in SMALL_WORDS else w[0].upper() + w[1:]
            for i, w in enumerate(words)
        )
        if len(words) > 2 and u() < 0.06:
            title = title.replace(" ", ", ", 1)
        if u() < 0.04:
            title += self._choice("!?")
        return title

    def _album_for(self, artist: _Artist) -> str:
        """Artists reuse a handful of albums, so unrelated songs share album names."""
        if not artist.albums or self.u() < 0.3:
            artist.albums.append(artist.name if self.u() < 0.05 else self._title())
            return artist.albums[-1]
        return self._choice(artist.albums)

    def _isrc(self, artist: _Artist, ordinal: int) -> str:
        artist.next_designation += 1
        year = self._date(ordinal).year % 100
        return f"{artist.isrc_prefix}{year:02d}{artist.next_designation % 100000:05d}"

    def _register(self, rec: _Recording) -> _Recording:
        """Number the recording and give it its own ISRC."""
        rec.index, rec.isrc = len(self.recordings), self._isrc(rec.artist, rec.ordinal)
        self.recordings.append(rec)
        return rec

    def _hard_negative(self, studio: _Recording, kind: str, group: tuple[int, int]) -> _Recording:
        """A different recording that a naive matcher would merge with ``studio``."""
        work = studio.work_index
        if kind == "karaoke":
            artist = self._choice(self.karaoke)
        elif kind in OTHER_ARTIST_KINDS:
            artist = self._popular_artist(exclude=studio.artist)
        else:
            artist = studio.artist
        title = studio.title
        if kind == "unrelated_same_title":  # another song that happens to share the title
            work, self.n_works = self.n_works, self.n_works + 1
            self._new_work(title, artist).title = title
        elif kind == "cover":
            title = self._cover_title(self.works[work])
        keep_feats = kind not in OTHER_ARTIST_KINDS and kind != "instrumental"
        d_lo, d_hi, y_lo, y_hi = HN_SHAPE[kind]
        duration = studio.duration_ms + self._int(d_lo * 1000, d_hi * 1000)
        if kind == "unrelated_same_title":
            ordinal = self._int(MIN_DATE, MAX_DATE - 365)
        else:
            ordinal = self._later(studio.ordinal, y_lo, y_hi)
        featured = studio.featured if keep_feats else ()
        duration = min(max(duration, 90_000), 900_000)
        rec = self._register(
            _Recording(work, kind, title, artist, featured, duration, ordinal, group)
        )
        if kind == "remix":
            rec.remixer = self._popular_artist(exclude=artist)
        fields = {
            "venue": self._choice(VENUES),
            "city": self._choice(CITIES),
            "year": self._date(ordinal).year,
            "artist": artist.latin_name,
            "original": studio.artist.latin_name,
            "title": studio.title,
            "remixer": rec.remixer.latin_name if rec.remixer else "",
            "n": self._int(1, 40),
        }
        rec.tag = _HN_TAGS[kind].draw(self.u()).format(**fields)
        if kind in HN_ALBUMS and (kind in ("live", "karaoke") or self.u() < 0.3):
            rec.album = self._choice(HN_ALBUMS[kind]).format(**fields)
        else:
            rec.album = self._album_for(artist)
        return rec

    def add_work(self) -> None:
        """One composition: a studio recording, its releases, and maybe hard negatives."""
        u = self.u
        work, self.n_works = self.n_works, self.n_works + 1
        artist = self._popular_artist()
        featured: tuple[_Artist, ...] = ()
        if u() < FEATURED_RATE:
            featured = tuple(
                self._popular_artist(exclude=artist) for _ in range(1 if u() < 0.8 else 2)
            )
        duration = int(min(max(self.rnd.gauss(230, 55), 120), 420) * 1000) + self._int(0, 999)
        n_hn = 0
        if u() < HARD_NEGATIVE_WORK_RATE:
            n_hn = 2 if u() < SECOND_HARD_NEGATIVE_RATE else 1
        group = (len(self.recordings), len(self.recordings) + 1 + n_hn)
        ordinal = self._int(MIN_DATE, MAX_DATE - 180)
        title = self._new_work(self._title(), artist).title
        studio = self._register(
            _Recording(work, "studio", title, artist, featured, duration, ordinal, group)
        )
        studio.album = self._album_for(artist)
        for i in range(_STUDIO_RELEASE_COUNTS.draw(u())):
            self._release(studio, (_REISSUE_KINDS if i else _FIRST_RELEASE_KINDS).draw(u()), i)
        for _ in range(n_hn):
            rec = self._hard_negative(studio, _HN_KINDS.draw(u()), group)
            for i in range(2 if u() < HN_SECOND_RELEASE_RATE else 1):
                self._release(rec, _HN_RELEASE_KINDS.draw(u()) if i else "album", i)

    # --- releases ---------------------------------------------------------------------------------

    def _artist_variant(self, artist: _Artist, regional: bool) -> str:
        """How one release credits ``artist``: transliterated, unaccented, reordered, ..."""
        u = self.u
        name = artist.name
        if artist.latin is not None:
            if u() < (0.85 if regional else 0.04):
                name = artist.latin
        elif not name.isascii() and u() < (0.5 if regional else 0.15):
            name = strip_diacritics(name)
        if name.startswith("The "):
            x = u()
            if x < 0.10:
                name = name[4:]
            elif x < 0.17:
                name = f"{name[4:]}, The"
        if "&" in name and u() < 0.25:
            name = name.replace(" & ", " and ")
        x = u()
        if x < 0.02:
            return name.lower()
        return name.upper() if x < 0.035 else name

    def _credits(self, rec: _Recording, regional: bool) -> tuple[list[str], str]:
        """Credited artists and the title suffix for featured artists, if any."""
        u = self.u
        artists = [self._artist_variant(rec.artist, regional)]
        suffix = ""
        if rec.featured:
            feats = [self._artist_variant(a, regional) for a in rec.featured]
            x = u()
            if x < 0.5:  # credited in the artists list only
                artists += feats
            elif x < 0.95:  # in the title ("(feat. X)", "[feat. X]" ...), sometimes both
                suffix = self._choice(FEAT_FORMATS).format(self._choice(FEAT_JOINERS).join(feats))
                if x >= 0.9:
                    artists += feats
            else:  # glued into one artist string
                artists[0] += " feat. " + " & ".join(feats)
        if rec.remixer is not None and u() < 0.4:
            artists.append(self._artist_variant(rec.remixer, regional))
        if u() < TYPO_RATE:
            i = self._int(0, len(artists) - 1)
            artists[i] = self._typo(artists[i])
        return artists, suffix

    def _noisy_title(self, title: str) -> str:
        """Benign spelling differences between releases of the same recording."""
        u = self.u
        if u() < 0.08:
            old, new = self._choice((("'", ""), ("'", "\u2019"), (",", ""), ("!", "")))
            title = title.replace(old, new)
        if not title.isascii() and u() < 0.15:
            title = strip_diacritics(title)
        if "&" in title and u() < 0.3:
            title = title.replace("&", "and")
        if u() < TYPO_RATE:
            title = self._typo(title)
        x = u()
        if x < 0.03:
            return title.lower()
        if x < 0.05:
            return title.upper()
        return string.capwords(title) if x < 0.09 else title

    def _release_album(self, rec: _Recording, kind: str, year: int) -> str | None:
        if self.u() < ALBUM_MISSING_RATE:
            return None
        if kind == "single":
            return f"{rec.title} - {'EP' if self.u() < 0.15 else 'Single'}"
        if kind == "compilation":
            return self._choice(COMPILATION_NAMES).format(
                n=self._int(1, 99), artist=rec.artist.name, decade=year // 10 * 10 % 100, year=year
            )
        if kind == "deluxe":
            return rec.album + self._choice(DELUXE_SUFFIXES)
        if kind == "remaster":
            return rec.album + (" (Remastered)" if self.u() < 0.5 else f" ({year} Remaster)")
        if kind == "regional_reissue" and self.u() < 0.3:
            return rec.album + self._choice(REGIONAL_SUFFIXES)
        return rec.album

    def _release_isrc(self, rec: _Recording, ordinal: int, first: bool) -> str | None:
        """Shared by the recording's releases, except when missing or newly assigned."""
        if self.u() < ISRC_MISSING_RATE:
            return None
        isrc = rec.isrc
        if not first and self.u() < ISRC_NEW_RATE:
            isrc = self._isrc(rec.artist, ordinal)
        if self.u() < ISRC_HYPHEN_RATE:
            isrc = f"{isrc[:2]}-{isrc[2:5]}-{isrc[5:7]}-{isrc[7:]}"
        return isrc.lower() if self.u() < ISRC_LOWER_RATE else isrc

    def _release(self, rec: _Recording, kind: str, index: int) -> None:
        """Append one track: ``rec`` as printed on its ``index``-th release, of ``kind``."""
        u = self.u
        if index == 0:  # the first release carries the recording date, re-issues come later
            ordinal = rec.ordinal
        elif kind == "single":
            ordinal = min(max(rec.ordinal + self._int(-90, 60), MIN_DATE), MAX_DATE)
        else:
            ordinal = self._later(rec.ordinal, *REISSUE_DELAY_YEARS[kind])
        year = self._date(ordinal).year
        regional = kind == "regional_reissue"
        if kind == "compilation" and rec.kind == "studio" and u() < VARIOUS_ARTISTS_RATE:
            artists, title = [VARIOUS_ARTISTS], rec.title
        else:
            artists, feat = self._credits(rec, regional)
            title = rec.title + feat
        if rec.tag and u() >= UNTAGGED_RELEASE_RATE.get(rec.kind, 0.0):
            title += rec.tag
        if kind == "remaster" and u() < 0.8 or kind == "compilation" and u() < 0.2:
            title += self._choice(REMASTER_TAGS).format(y=year)
        elif u() < 0.05:
            title += " - Single Version" if kind == "single" else self._choice(BENIGN_TAGS)
        if u() < LABEL_MISSING_RATE:
            label = None
        elif kind == "compilation":
            label = self._choice(COMPILATION_LABELS)
        else:
            label = self._choice(self.labels) if regional or u() < 0.15 else rec.artist.label
        rows = self.rows
        rows["title"].append(self._noisy_title(title))
        rows["artists"].append(artists)
        rows["album"].append(self._release_album(rec, kind, year))
        rows["duration_ms"].append(rec.duration_ms + (0 if u() < 0.4 else self._int(-1000, 1000)))
        rows["isrc"].append(self._release_isrc(rec, ordinal, index == 0))
        rows["release_date"].append(None if u() < DATE_MISSING_RATE else self._date(ordinal))
        rows["label"].append(label)
        rows["recording"].append(rec.index)
        rows["release_kind"].append(kind)

    # --- assembly ---------------------------------------------------------------------------------

    def _inject_wrong_isrcs(self) -> None:
        """Catalog errors: a track carries the ISRC of a different recording.

        Half of the time the wrong ISRC comes from the same work family (e.g. the live take's
        ISRC on the studio track), the nastiest variant for ISRC-based matching.
        """
        recs, isrcs, rec_of = self.recordings, self.rows["isrc"], self.rows["recording"]
        if len(recs) < 2:
            return
        for i in np.flatnonzero(self.np_rng.random(self.n_tracks) < ISRC_WRONG_RATE).tolist():
            own = rec_of[i]
            lo, hi = recs[own].group
            other = own
            if hi - lo > 1 and self.u() < 0.5:
                while other == own:
                    other = self._int(lo, hi - 1)
            while other == own:
                other = self._int(0, len(recs) - 1)
            isrcs[i] = recs[other].isrc

    def build(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        while len(self.rows["title"]) < self.n_tracks:
            self.add_work()
        n = self.n_tracks
        for values in self.rows.values():
            del values[n:]  # the last work may overshoot
        self._inject_wrong_isrcs()
        recs = self.recordings
        perm = self.np_rng.permutation(n)  # so releases of one recording are not adjacent
        # Object arrays built by fromiter: pandas then runs no type inference over 1M+ values.
        frame = pd.DataFrame(
            {k: np.fromiter(v, dtype=object, count=n)[perm] for k, v in self.rows.items()}
        )
        track_ids = [f"T{i:0{max(7, len(str(n)))}d}" for i in range(1, n + 1)]
        frame.insert(0, "track_id", track_ids)
        frame.insert(1, "source", SOURCE)
        frame["duration_ms"] = frame["duration_ms"].astype(np.int64)
        rec_index = frame["recording"].to_numpy(dtype=np.int64)
        rec_work = np.fromiter((r.work_index for r in recs), np.int64, len(recs))[rec_index]
        frame["iswc"] = self._track_iswcs(frame["recording"].to_numpy(dtype=np.int64))
        self._track_works = (track_ids, frame["recording"].to_numpy(dtype=np.int64))
        tracks = frame[list(TRACK_COLUMNS)]
        golden = pd.DataFrame(
            {
                "track_id": track_ids,
                "recording_id": [f"R{i:08d}" for i in rec_index.tolist()],
                "work_id": [f"W{w:08d}" for w in rec_work.tolist()],
                "recording_kind": [recs[i].kind for i in rec_index.tolist()],
                "release_kind": frame["release_kind"],
            },
            columns=list(GOLDEN_COLUMNS),
        )
        n_recordings, n_works = len(np.unique(rec_index)), len(np.unique(rec_work))
        logger.info("generated %d tracks: %d recordings, %d works", n, n_recordings, n_works)
        return tracks, golden

    def _track_iswcs(self, rec_index: np.ndarray) -> np.ndarray:
        """Each track's work's ISWC, on ISWC_PRESENT_RATE of them, in one of three spellings."""
        rng = np.random.default_rng(self.wrnd.randrange(2**32))
        n = len(rec_index)
        work_of = np.fromiter((r.work_index for r in self.recordings), np.int64)[rec_index]
        wrong = rng.random(n) < ISWC_WRONG_RATE
        work_of = np.where(wrong, rng.integers(0, len(self.works), n), work_of)
        present = rng.random(n) < ISWC_PRESENT_RATE
        spelling = rng.choice(
            list(ISWC_FORMATS), size=n, p=np.array(list(ISWC_FORMATS.values())) / 100
        )
        out = np.full(n, None, dtype=object)
        for i in np.flatnonzero(present).tolist():
            out[i] = spell_iswc(self.works[work_of[i]].iswc, spelling[i])
        return out

    def writer_credits(self) -> pd.DataFrame:
        """Writer credits (``CREDIT_COLUMNS``) on CREDITED_TRACK_RATE of the tracks, spelt variously."""
        track_ids, rec_index = self._track_works
        w = self.wrnd
        spellings, roles = _Weighted.of(WRITER_SPELLINGS), _Weighted.of(CREDIT_ROLES)
        rows = []
        for track_id, rec in zip(track_ids, rec_index.tolist(), strict=True):
            if w.random() >= CREDITED_TRACK_RATE:
                continue
            for writer in self.works[self.recordings[rec].work_index].writers:
                rows.append((track_id, SOURCE, spell_person(writer, spellings.draw(w.random())),
                             roles.draw(w.random())))
        return pd.DataFrame(rows, columns=list(CREDIT_COLUMNS))

    def works_feed(self) -> pd.DataFrame:
        """A publisher's feed (``WORK_FEED_COLUMNS``) listing FEED_WORK_RATE of the works."""
        w = self.wrnd
        rows = []
        for work in self.works:
            if w.random() >= FEED_WORK_RATE:
                continue
            alternatives = [t for t in work.alternative_titles if w.random() < FEED_ALT_TITLE_RATE]
            rows.append(
                (f"PW{len(rows) + 1:07d}", FEED_SOURCE, work.title, alternatives or None,
                 spell_iswc(work.iswc, "dotted"), list(work.writers))
            )
        return pd.DataFrame(rows, columns=list(WORK_FEED_COLUMNS))


def spell_person(name: str, spelling: str) -> str:
    """"Max Martin" as credits write it: plain, inverted ("Martin, Max") or initial ("M. Martin").

    A band or a duo ("The Velvet Pirates", "Ana & Lo") is never turned round nor
    cut to an initial: its name stays as it is.
    """
    first, _, last = name.rpartition(" ")
    if not first or spelling == "plain" or name.startswith("The ") or " & " in name:
        return name
    return f"{last}, {first}" if spelling == "inverted" else f"{first[0]}. {last}"


def spell_iswc(iswc: str, spelling: str) -> str:
    """An ISWC as feeds write it: dotted (T-034.524.680-1), plain (T0345246801) or hyphens."""
    d = iswc[1:]
    if spelling == "plain":
        return iswc
    if spelling == "hyphens":
        return f"T-{d[:9]}-{d[9]}"
    return f"T-{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9]}"


@functools.lru_cache(maxsize=8192)
def _foreign_word(word: str) -> str:
    r = random.Random(word)  # seeded by the text itself (sha512): the same on every run
    return "".join(r.choice(SYLLABLES) for _ in range(1 + len(word) // 3)) + r.choice("aeoiu")


def translate_title(title: str) -> str:
    """The title in a made-up language, word by word: shares no word with the original."""
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", title.lower())
    return " ".join(_foreign_word(w) for w in words).capitalize() or title


def generate_catalog(n_tracks: int, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate a synthetic catalog and its ground truth.

    Args:
        n_tracks: Exact number of track rows to produce (tested from 1k to 5M).
        seed: Seed for every random draw; the same ``(n_tracks, seed)`` gives identical frames.

    Returns:
        ``(tracks, golden)``. ``tracks`` has ``TRACK_COLUMNS`` (``artists`` holds Python lists,
        ``release_date`` ``datetime.date`` or None, ``duration_ms`` int64); ``golden`` has
        ``GOLDEN_COLUMNS`` and is row-aligned with ``tracks``. Two tracks are the same recording
        iff their ``recording_id`` is equal; hard negatives share the ``work_id`` of the
        original (except ``unrelated_same_title``) but never its ``recording_id``.
        ``iswc`` is the track's work's ISWC on ISWC_PRESENT_RATE of the tracks.

    Raises:
        ValueError: If ``n_tracks`` is not positive.
    """
    tracks, golden, _, _ = generate_catalog_and_works(n_tracks, seed)
    return tracks, golden


def generate_catalog_and_works(
    n_tracks: int, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``generate_catalog``'s tracks and golden, a publisher's works feed and writer credits.

    The feed lists some of the works under the publisher's own ids with the
    work's title, the translated titles its covers use (some of them), its
    ISWC and its writers; its ISWC is how a reader ties it to the tracks. The
    credits (``writer_credits``) name the writers of some tracks' songs.
    """
    _, tracks, golden, feed, credits = build_catalog_and_works(n_tracks, seed)
    return tracks, golden, feed, credits


def build_catalog_and_works(
    n_tracks: int, seed: int = 42
) -> tuple[_CatalogBuilder, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``generate_catalog_and_works`` with its builder first (for jobs.samples.credits)."""
    if n_tracks < 1:
        raise ValueError(f"n_tracks must be positive, got {n_tracks}")
    # Millions of small, acyclic objects: cyclic GC passes only cost time (~15% at 1M rows).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        builder = _CatalogBuilder(n_tracks, seed)
        tracks, golden = builder.build()
        return builder, tracks, golden, builder.works_feed(), builder.writer_credits()
    finally:
        if gc_was_enabled:
            gc.enable()


BAD_INPUT_KINDS = (
    "null_title",
    "invalid_isrc",
    "negative_duration",
    "absurd_duration",
    "invalid_iswc",
    "duplicate_id",
)


def inject_bad_rows(
    tracks: pd.DataFrame, rate: float, seed: int = 42
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Spoil a share of rows the way feeds do, so the demo shows quarantine at work.

    Each spoiled row gets one of BAD_INPUT_KINDS; ``duplicate_id`` appends a
    second row under an existing track_id (source 'sample-dup', so the
    original stays first in content order). The golden table is untouched:
    spoiled tracks keep their truth, excluded ones simply take no part.
    Returns the spoiled frame and the count per kind.
    """
    rng = np.random.default_rng(seed + 1)
    n_bad = int(round(len(tracks) * rate))
    if n_bad == 0:
        return tracks, {}
    out = tracks.copy()
    rows = rng.choice(len(out), size=n_bad, replace=False)
    kinds = [BAD_INPUT_KINDS[i % len(BAD_INPUT_KINDS)] for i in range(n_bad)]
    counts: dict[str, int] = {}
    duplicates = []
    for row, kind in zip(rows, kinds, strict=True):
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "null_title":
            out.iat[row, out.columns.get_loc("title")] = None if row % 2 else "  "
        elif kind == "invalid_isrc":
            out.iat[row, out.columns.get_loc("isrc")] = "ISRC-" + str(row)
        elif kind == "negative_duration":
            out.iat[row, out.columns.get_loc("duration_ms")] = -int(
                out.iat[row, out.columns.get_loc("duration_ms")]
            )
        elif kind == "absurd_duration":
            out.iat[row, out.columns.get_loc("duration_ms")] = 86_400_000 * 3
        elif kind == "invalid_iswc":  # a slipped digit: the check digit no longer adds up
            digits = f"{row * 7 % 10**9:09d}"
            out.iat[row, out.columns.get_loc("iswc")] = (
                f"T-{digits[:3]}.{digits[3:6]}.{digits[6:]}-{(iswc_check_digit(digits) + 1) % 10}"
            )
        else:
            dup = out.iloc[[row]].copy()
            dup["source"] = SOURCE + "-dup"
            dup["title"] = dup["title"] + " (duplicate feed row)"
            duplicates.append(dup)
    if duplicates:
        out = pd.concat([out, *duplicates], ignore_index=True)
    return out, counts
