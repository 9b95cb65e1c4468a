"""Track features for Recording Groups: titles, version tags, artists, ISRC, duration.

Every function is a pure transform on Spark built-ins. The decisive words of
music metadata ("live", "remix", "karaoke") barely move a string similarity,
so they are pulled out into ``version_type`` and compared on their own; the
title that remains (``core_title``) is what the fuzzy comparisons see.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from features.artists import drop_generic, split_artist_names
from features.identifiers import iswc_check_digit_ok, normalize_iswc
from features.parsing import date_in_text
from features.quality import FieldRule, RecordRule, iswc_rules, title_required
from features.schemas import TRACK_FEATURES
from features.text import (
    blank_to_null,
    compact_key,
    fold_case_and_accents,
    normalize_folded,
    normalize_text,
    null_if_generic,
    title_numbers,
)
from features.title_parser import BY_SEPARATOR, SEGMENT_SEPARATOR, first_artist_key, parse_title

# Words that make a bracketed or dash-suffixed part of a title a tag, not title.
TAG_KEYWORDS = (
    r"remaster|re-master|\blive\b|remix|\brmx\b|\bmix\b|\bedit\b|version|\bmono\b|\bstereo\b"
    r"|acoustic|instrumental|karaoke|\bdemo\b|\bfeat\b|\bft\b|featuring|\bwith\b|originally"
    r"|performed by|in the style of|made famous|deluxe|edition|bonus|explicit|\bclean\b"
    r"|\bradio\b|extended|unplugged|rework|bootleg|\bdub\b|anniversary|\bfrom\b|12\"|12 inch"
    r"|\bsession\b|\btake \d|\bsingle\b|\balbum\b|re-?record|in concert|sing ?along|backing track"
)
_OPEN, _CLOSE = r"[\(\[\{]", r"[\)\]\}]"
_INSIDE = r"[^\(\)\[\]\{\}]"
BRACKET_TAG_PATTERN = rf"\s*{_OPEN}{_INSIDE}*(?:{TAG_KEYWORDS}){_INSIDE}*{_CLOSE}"
DASH_TAG_PATTERN = rf"\s+[-–—]\s+{_INSIDE}*(?:{TAG_KEYWORDS}).*$"
_UNTIL_TAG = r"(?=\s+[-–—]\s+|\s*[\(\[\{]|$)"
FEAT_TAIL_PATTERN = rf"\s+(?:feat\.?|ft\.?|featuring)\s+.+?{_UNTIL_TAG}"
FEAT_IN_BRACKETS = rf"{_OPEN}\s*(?:feat\.?|ft\.?|featuring|with)\s+({_INSIDE}+){_CLOSE}"
# never inside brackets (FEAT_IN_BRACKETS reads those): from "( feat . X ) Artist Album"
# it took "x ) artist album ..." as one more featured artist
FEAT_UNBRACKETED = rf"\s(?:feat\.?|ft\.?|featuring)\s+({_INSIDE}+?){_UNTIL_TAG}"

# version_type, the pattern that proves it (checked in this order: a radio edit
# of a remix is a remix, an "Extended Mix" is extended, not a remix).
VERSION_RULES: tuple[tuple[str, str], ...] = (
    ("karaoke", r"karaoke|originally performed|in the style of|made famous|sing ?along"),
    ("instrumental", r"instrumental|backing track|minus one"),
    ("live", r"\blive\b|in concert|unplugged"),
    ("acoustic", r"acoustic"),
    ("remix", r"remix|\brmx\b|rework|bootleg|\bdub\b"),
    ("extended", r"extended|12\"|12 inch|long version|club mix"),
    ("radio_edit", r"\bradio\b|\bedit\b|short version"),
    ("re_recording", r"re-?record|['’]s version"),
    ("demo", r"\bdemo\b"),
    ("remix", r"\bmix\b"),
)
KARAOKE_ARTIST_PATTERN = r"karaoke|sing-?along|backing tracks"
ISRC_PATTERN = r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$"
MAX_DURATION_MS = 4 * 3600 * 1000
ALBUM_EDITION_PATTERN = (
    rf"\s*{_OPEN}{_INSIDE}*(?:deluxe|edition|remaster|expanded|anniversary|bonus|version)"
    rf"{_INSIDE}*{_CLOSE}|\s+-\s+(?:single|ep)$"
)


# --- titles ---------------------------------------------------------------------


def title_tags(title: Column) -> Column:
    """The tag parts of a title (bracketed segments and a ' - ...' suffix), folded, as text."""
    folded = fold_case_and_accents(title)
    brackets = F.regexp_extract_all(folded, F.lit(rf"{_OPEN}({_INSIDE}*){_CLOSE}"), 1)
    dash = F.regexp_extract(folded, r"\s[-–—]\s(.+)$", 1)
    return blank_to_null(F.concat_ws(" | ", brackets, dash))


def version_type(tags: Column, artists: Column | None = None) -> Column:
    """Classify a recording's version from its title tags (and karaoke artist names)."""
    expr = None
    if artists is not None:
        is_karaoke_artist = F.exists(
            F.coalesce(artists, F.array().cast("array<string>")),
            lambda a: F.lower(a).rlike(KARAOKE_ARTIST_PATTERN),
        )
        expr = F.when(is_karaoke_artist, F.lit("karaoke"))
    for name, pattern in VERSION_RULES:
        cond = F.coalesce(tags.rlike(pattern), F.lit(False))
        expr = F.when(cond, F.lit(name)) if expr is None else expr.when(cond, F.lit(name))
    return expr.otherwise(F.lit("original"))


# Words of a live tag that do not say which performance it was ("Live at the ... (front row) 4K").
PERFORMANCE_STOPWORDS = (
    "at",
    "from",
    "in",
    "on",
    "the",
    "a",
    "of",
    "and",
    "live",
    "version",
    "session",
    "sessions",
    "performance",
    "concert",
    "recorded",
    "recording",
    "official",
    "video",
    "music",
    "audio",
    "hd",
    "hq",
    "4k",
    "1080p",
    "720p",
    "full",
    "show",
    "front",
    "row",
    "remastered",
    "remaster",
    "edit",
    "mix",
    "feat",
    "ft",
    "featuring",
    "acoustic",
)


def performance_keys(version_detail: Column) -> Column:
    """Where and when a live version was performed, as words; null when the tag says nothing.

    'live at hyde park 1990' -> [hyde, park, 1990]; 'live' -> null. Two live
    takes whose places share no word are different performances.
    """
    place = F.regexp_extract(version_detail, r"\blive\b(.*)$", 1)
    words = F.filter(
        F.split(place, r"[^\p{L}\p{N}]+"),
        lambda w: (F.length(w) > 1) & ~w.isin(*PERFORMANCE_STOPWORDS),
    )
    return F.when(F.size(words) > 0, F.array_distinct(words))


# Words of a version tag that only say what kind of version it is (and "feat."
# credits, remaster notes): what is left names the version itself.
VERSION_STOPWORDS = (
    *PERFORMANCE_STOPWORDS,
    "remix",
    "remixed",
    "rmx",
    "rework",
    "bootleg",
    "dub",
    "club",
    "original",
    "radio",
    "extended",
    "long",
    "short",
    "instrumental",
    "karaoke",
    "backing",
    "track",
    "minus",
    "one",
    "demo",
    "single",
    "album",
    "explicit",
    "clean",
    "mono",
    "stereo",
    "unplugged",
    "by",
    "style",
    "originally",
    "performed",
    "made",
    "famous",
    "sing",
    "along",
    "singalong",
    "re",
    "rerecorded",
    "rerecording",
    "take",
    "with",
    "digital",
    "digitally",
    "mixed",
    # what a release adds to any version it carries: two releases of one live take
    # may say "[Bonus Track]" and "[Deluxe Edition]"
    "bonus",
    "deluxe",
    "edition",
    "expanded",
    "anniversary",
    "special",
    "limited",
    "censored",
    "uncensored",
    "lp",
    "ep",
    "vinyl",
    "cd",
)
# A tag segment that credits artists ("feat. X", "with Y"): not what the version is.
_CREDIT_SEGMENT = r"^\s*(?:feat\.?|ft\.?|featuring|with)\s"
# Notes that any release of a recording may carry: "remastered 2011", "2009 remaster", 12".
_RELEASE_NOTES = (
    r"(?:\b\d{4}\s+)?\b(?:digital(?:ly)?\s+)?re-?master(?:ed)?\b(?:\s+(?:version|edition))?"
    r"(?:\s+\d{4}\b)?|\b12(?:\"|\s*inch\b)"
)


def version_words(tags: Column) -> Column:
    """What names a version in its title tags: remixer, venue, city, year, take; null if nothing.

    ``tags`` as ``title_tags`` gives them (segments joined by " | "). Credit
    segments, remaster notes and the words of ``VERSION_STOPWORDS`` go;
    numbers stay whatever their length ("take 2" -> [2]). Sorted and
    distinct: "(Goldhouse Remix)" -> [goldhouse], " - Live at Wembley 1986"
    -> [1986, wembley]. Two versions of one type whose words share nothing
    name different remixers, venues or takes.
    """
    segments = F.filter(F.split(tags, r"\s\|\s"), lambda seg: ~seg.rlike(_CREDIT_SEGMENT))
    text = normalize_folded(F.regexp_replace(F.array_join(segments, " "), _RELEASE_NOTES, " "))
    words = F.filter(
        F.split(F.coalesce(text, F.lit("")), " "),
        lambda w: (w.rlike(r"^[0-9]+$") | (F.length(w) > 1)) & ~w.isin(*VERSION_STOPWORDS),
    )
    return F.when(F.size(words) > 0, F.array_sort(F.array_distinct(words)))


# "3:55" in a title: a duration a feed crammed into it (not "12:30:00" or "1:2")
TITLE_DURATION_PATTERN = r"(?<![\d:])(\d{1,2}):([0-5]\d)(?![\d:])"


def duration_in_title(title: Column) -> Column:
    """Seconds of an "m:ss" duration written in the title (null: none)."""
    found = F.regexp_extract(title, TITLE_DURATION_PATTERN, 0) != ""
    minutes = F.regexp_extract(title, TITLE_DURATION_PATTERN, 1).cast("double")
    seconds = F.regexp_extract(title, TITLE_DURATION_PATTERN, 2).cast("double")
    return F.when(found & (minutes * 60 + seconds > 0), minutes * 60 + seconds)


def title_head_key(title_norm: Column, n_words: int = 2) -> Column:
    """The first ``n_words`` words of the title, compacted: a blocking key for records whose
    title carries more than the song (artist, album, genre crammed in after it)."""
    return blank_to_null(F.array_join(F.slice(F.split(title_norm, " "), 1, n_words), ""))


def strip_title_tags(title: Column) -> Column:
    """Drop '(Remastered 2011)', ' - Radio Edit', '(feat. X)' and friends; keep the song."""
    folded = fold_case_and_accents(title)
    no_brackets = F.regexp_replace(folded, BRACKET_TAG_PATTERN, "")
    no_dash = F.regexp_replace(no_brackets, DASH_TAG_PATTERN, "")
    return F.trim(F.regexp_replace(no_dash, FEAT_TAIL_PATTERN, ""))


def core_title(title: Column, generic_titles: tuple[str, ...] = ()) -> Column:
    """Normalised title without version tags or featured artists; generic titles -> null."""
    return null_if_generic(normalize_text(strip_title_tags(title)), generic_titles)


def featured_in_title(title: Column) -> Column:
    """Artists credited inside the title ('(feat. X & Y)', ' ft. X'), normalised, as an array."""
    folded = fold_case_and_accents(title)
    bracketed = F.regexp_extract_all(folded, F.lit(FEAT_IN_BRACKETS), 1)
    tail = F.regexp_extract_all(folded, F.lit(FEAT_UNBRACKETED), 1)
    return split_artist_names(F.concat(bracketed, tail))


# --- identifiers and numbers ----------------------------------------------------------


def normalize_isrc(isrc: Column) -> Column:
    """'us-rc1-76-07839' -> 'USRC17607839'; anything not of the ISRC shape -> null."""
    cleaned = F.upper(F.regexp_replace(F.trim(isrc), r"[\s\-_.]", ""))
    return F.when(cleaned.rlike(ISRC_PATTERN), cleaned)


def isrc_is_invalid(isrc: Column) -> Column:
    """True when an ISRC is present but not of the CC-XXX-YY-NNNNN shape."""
    present = F.length(F.trim(isrc)) > 0
    return F.coalesce(present & normalize_isrc(isrc).isNull(), F.lit(False))


def valid_iswc(raw: Column) -> Column:
    """The ISWC as T + 10 digits when its shape and check digit are right, else null."""
    iswc = normalize_iswc(raw)
    return F.when(iswc_check_digit_ok(iswc), iswc)


def isrc_year(isrc_norm: Column) -> Column:
    """Year of reference from the ISRC's YY part ('76' -> 1976, '11' -> 2011)."""
    yy = F.substring(isrc_norm, 6, 2).cast("int")
    return F.when(yy.isNull(), None).when(yy >= 40, yy + 1900).otherwise(yy + 2000)


def duration_seconds(duration_ms: Column) -> Column:
    """Seconds as a double; non-positive or absurd (> 4 h) durations -> null."""
    return F.when(
        (duration_ms > 0) & (duration_ms <= MAX_DURATION_MS), duration_ms.cast("double") / 1000.0
    )


def duration_is_invalid(duration_ms: Column) -> Column:
    return F.coalesce(
        duration_ms.isNotNull() & duration_seconds(duration_ms).isNull(), F.lit(False)
    )


def release_year(release_date: Column) -> Column:
    """Year of a release date; placeholder years outside 1900-2100 -> null."""
    year = F.year(release_date)
    return F.when((year >= 1900) & (year <= 2100), year)


def record_tokens(core_title: Column, artists_norm: Column) -> Column:
    """The words that name a recording, core title and artists, each once (null: none).

    Evidence that does not depend on which field a value sits in: a store that
    leaves the artist field empty and writes the artist into the title has the
    same words as one that files it (and brings along whatever else it crammed
    in: album, genre, label, date). Album, genre and label are not the
    recording's own: its releases differ in them, so a filed album or label
    would only make two releases of one recording look less alike; nor are a
    title's version tags ("2017 Remaster"), which the version comparison reads,
    or a generic artist ("Various Artists", already null in ``artists_norm``).
    Tokens are ``normalize_text``'s words; how much each weighs is the model's
    (splink_models.token_weights), not the record's.
    """
    text = F.concat_ws(" ", core_title, F.array_join(artists_norm, " "))
    tokens = F.array_distinct(F.split(normalize_text(text), " "))
    return F.when(F.size(tokens) > 0, tokens)


def album_norm(album: Column, generic_albums: tuple[str, ...] = ()) -> Column:
    """Album without edition tags ('(Deluxe Edition)', ' - Single'); generic -> null."""
    stripped = F.regexp_replace(fold_case_and_accents(album), ALBUM_EDITION_PATTERN, "")
    return null_if_generic(normalize_text(stripped), generic_albums)


def track_rules() -> tuple[list[RecordRule], list[FieldRule]]:
    """What makes a track unusable, and which of its values are nulled."""
    return (
        [title_required()],
        [
            FieldRule(
                "isrc",
                isrc_is_invalid(F.col("isrc")),
                "invalid ISRC (expected CC-XXX-YY-NNNNN: 2 letters, 3 alphanumerics, 7 digits)",
            ),
            FieldRule(
                "duration_ms",
                duration_is_invalid(F.col("duration_ms")),
                "duration not positive or over 4 hours",
            ),
            *iswc_rules(),
        ],
    )


# --- the feature table ----------------------------------------------------------------


# A title the parser may read an artist out of: a separator, "by", quotes or CJK brackets.
TITLE_CREDIT_SHAPE = rf"{SEGMENT_SEPARATOR}|{BY_SEPARATOR}|[\"“”„«»「『《〈【]"


def with_title_credit(df: DataFrame, *, generic_artists: tuple[str, ...] = ()) -> DataFrame:
    """ "Artist - Title", "Title | Artist", "Title by Artist" inside a track title, read by the
    title parser (``features.title_parser``, the video titles' parser).

    Adds ``title_artist_key`` and ``title_song_key``, the compact keys of the
    artist and the song the parser reads out of the title, where the artist
    field credits nobody (empty, or only "Various Artists") or where the part
    it reads as the artist is the credited one ("Queen - Bohemian Rhapsody" by
    Queen); null elsewhere. Only blocking reads them: the title the comparisons
    see stays whole, because a crammed title ("Song Artist Album - EP Genre
    3:55") parses into nonsense, which then keys nothing.

    Opt-in (``build_track_features(title_credit=True)``): the parser's code
    pushes the stage's one generated method over HotSpot's 8,000-byte JIT
    limit, and the whole stage runs interpreted, 1.7x as long on 100k
    generated tracks though 0.17% of them are parsed (README, the model).
    """
    credited = drop_generic(split_artist_names(F.col("artists")), generic_artists)
    credit_key = F.col("_credit_key")
    # parsed: a title of that shape whose record credits nobody, or whose title holds
    # the credited artist's key; the others skip every stage of the parser and read
    # the credited names only where the title has that shape
    shaped = F.col("title").rlike(TITLE_CREDIT_SHAPE)
    candidate = F.col("_shaped") & (
        credit_key.isNull() | (F.instr(compact_key(normalize_text(F.col("title"))), credit_key) > 0)
    )
    parsed = parse_title(
        df.withColumn("_shaped", shaped)
        .withColumn("_credit_key", F.when(F.col("_shaped"), compact_key(F.get(credited, 0))))
        .withColumn("_parsed", F.coalesce(candidate, F.lit(False))),
        fold_case_and_accents(F.col("title")),
        credit_key,
        where=F.col("_parsed"),
    )
    artist_key = F.when(F.col("_parsed"), first_artist_key(F.col("_artist_part")))
    kept = (
        F.col("_parsed")
        & F.col("_song_part").isNotNull()
        & (credit_key.isNull() | F.coalesce(F.col("title_artist_key") == credit_key, F.lit(False)))
    )
    return (
        parsed.withColumn("title_artist_key", artist_key)
        .withColumn("title_artist_key", F.when(kept, F.col("title_artist_key")))
        .withColumn(
            "title_song_key",
            F.when(
                F.col("title_artist_key").isNotNull(), compact_key(core_title(F.col("_song_part")))
            ),
        )
        .drop("_parts", "_artist_part", "_song_part", "_credit_key", "_parsed", "_shaped")
    )


def with_title_features(df: DataFrame, *, generic_titles: tuple[str, ...] = ()) -> DataFrame:
    tags = title_tags(F.col("title"))
    return (
        df.withColumn("title_norm", normalize_text(F.col("title")))
        .withColumn("_tags", tags)
        .withColumn("version_type", version_type(F.col("_tags"), F.col("artists")))
        .withColumn(
            "version_detail",
            F.when(F.col("version_type") != "original", normalize_text(F.col("_tags"))),
        )
        .withColumn(
            "version_words",
            F.when(F.col("version_type") != "original", version_words(F.col("_tags"))),
        )
        .withColumn("version_words_text", F.array_join("version_words", " "))
        .withColumn("core_title", core_title(F.col("title"), generic_titles))
        .withColumn("core_title_key", compact_key(F.col("core_title")))
        .withColumn("title_numbers", title_numbers(F.col("core_title")))
        # a generic title ("Track 1", "Intro": core_title null) keys nothing
        .withColumn(
            "title_head_key",
            F.when(F.col("core_title").isNotNull(), title_head_key(F.col("title_norm"))),
        )
        .withColumn(
            "title_first_key",
            F.when(F.col("core_title").isNotNull(), title_head_key(F.col("title_norm"), 1)),
        )
        .drop("_tags")
    )


def with_artist_features(df: DataFrame, *, generic_artists: tuple[str, ...] = ()) -> DataFrame:
    credited = drop_generic(split_artist_names(F.col("artists")), generic_artists)
    from_title = drop_generic(featured_in_title(F.col("title")), generic_artists)
    return (
        df.withColumn("_credited", credited)
        .withColumn("artists_norm", F.array_distinct(F.concat("_credited", from_title)))
        .withColumn(
            "artist_keys",
            F.when(F.size("artists_norm") > 0, F.transform("artists_norm", compact_key)),
        )
        .withColumn("primary_artist", F.get(F.col("_credited"), 0))
        .withColumn("primary_artist_key", compact_key(F.col("primary_artist")))
        .withColumn(
            "primary_artist_phonetic", blank_to_null(F.soundex(F.col("primary_artist_key")))
        )
        .withColumn(
            "featured_artists",
            F.filter("artists_norm", lambda a: ~a.eqNullSafe(F.col("primary_artist"))),
        )
        .drop("_credited")
    )


def with_identifier_features(df: DataFrame, *, generic_albums: tuple[str, ...] = ()) -> DataFrame:
    isrc = normalize_isrc(F.col("isrc"))
    return (
        df.withColumn("isrc", isrc)
        .withColumn("isrc_country", F.substring("isrc", 1, 2))
        .withColumn("isrc_registrant", F.substring("isrc", 3, 3))
        .withColumn("isrc_year", isrc_year(F.col("isrc")))
        .withColumn(
            "duration_s",
            F.coalesce(duration_seconds(F.col("duration_ms")), duration_in_title(F.col("title"))),
        )
        .withColumn("duration_bucket", F.floor(F.col("duration_s") / 2).cast("long"))
        .withColumn(
            "release_year",
            F.coalesce(
                release_year(F.col("release_date")), release_year(date_in_text(F.col("title")))
            ),
        )
        .withColumn("album_norm", album_norm(F.col("album"), generic_albums))
        .withColumn("record_tokens", record_tokens(F.col("core_title"), F.col("artists_norm")))
        .withColumn("iswc", valid_iswc(F.col("iswc")))
    )


def build_track_features(
    tracks: DataFrame,
    *,
    generic_values: Mapping[str, tuple[str, ...]] | None = None,
    title_credit: bool = False,
) -> DataFrame:
    """TRACK_INPUT -> TRACK_FEATURES: the comparison-ready view of each track.

    ``title_credit``: read the artist and song out of titles that name them
    (with_title_credit); else ``title_artist_key`` and ``title_song_key`` are null.
    """
    generic = generic_values or {}
    generic_artists = tuple(generic.get("artist", ()))
    if title_credit:
        tracks = with_title_credit(tracks, generic_artists=generic_artists)
    else:
        tracks = tracks.withColumn("title_artist_key", F.lit(None).cast("string")).withColumn(
            "title_song_key", F.lit(None).cast("string")
        )
    feats = (
        tracks.transform(with_title_features, generic_titles=tuple(generic.get("title", ())))
        .transform(with_artist_features, generic_artists=generic_artists)
        .transform(with_identifier_features, generic_albums=tuple(generic.get("album", ())))
    )
    return feats.select(*[f.name for f in TRACK_FEATURES.fields])


def track_summary(features: DataFrame) -> Column:
    """One line a person reads to judge a pair, each value under the field it came from.

    'title "Elevator ( feat . Timbaland ) Flo Rida ... 3:55" | artists timbaland
    (in the title) | album - | 3:55 (in the title) | year - | source b': built
    from the feature table (TRACK_FEATURES). An empty field shows as "-", so
    a record whose store crammed everything into the title reads as one;
    artists credited in the title ("feat. X") and a duration or a date the
    title carries say so.
    """
    title = features["title"]
    from_title = featured_in_title(title)
    credited = F.filter(features["artists_norm"], lambda a: ~F.array_contains(from_title, a))
    in_title = F.filter(features["artists_norm"], lambda a: F.array_contains(from_title, a))
    artists = F.concat_ws(
        " ",
        blank_to_null(F.array_join(credited, ", ")),
        F.when(
            F.size(in_title) > 0,
            F.concat(F.array_join(in_title, ", "), F.lit(" (in the title)")),
        ),
    )
    seconds = F.round(features["duration_s"]).cast("long")
    duration = F.format_string("%d:%02d", F.floor(seconds / 60).cast("long"), seconds % 60)
    in_the_title = duration_in_title(title) == features["duration_s"]
    duration = F.when(
        seconds.isNotNull(),
        F.when(in_the_title, F.concat(duration, F.lit(" (in the title)"))).otherwise(duration),
    )

    year = features["release_year"].cast("string")
    in_the_title = release_year(date_in_text(title)) == features["release_year"]
    year = F.when(in_the_title, F.concat(year, F.lit(" (in the title)"))).otherwise(year)

    def shown(name: str, value: Column) -> Column:
        return F.concat(F.lit(f"{name} "), F.coalesce(blank_to_null(value), F.lit("-")))

    return F.concat_ws(
        " | ",
        F.concat(F.lit('title "'), F.coalesce(title, F.lit("")), F.lit('"')),
        shown("artists", artists),
        shown("album", features["album_norm"]),
        F.coalesce(duration, F.lit("duration -")),
        shown("year", year),
        shown("source", features["source"]),
    )


def group_rows(
    features: DataFrame, groups: DataFrame, *, id_column: str, group_column: str
) -> DataFrame:
    """One TRACK_INPUT row per group of tracks: a derived entity's input (``derived`` kind).

    The row is the group's representative track (``representative_<id>`` of
    the groups table) under the group's id, with every member's artists and
    the group's earliest release year, so a model over groups sees what the
    group as a whole says. ``id_column`` and ``group_column`` are the track
    entity's, from its config.
    """
    members = features.join(groups.select(id_column, group_column), id_column)
    summary = members.groupBy(group_column).agg(
        F.array_distinct(F.flatten(F.collect_list("artists_norm"))).alias("_artists"),
        F.min("release_year").alias("_year"),
    )
    heads = features.join(
        groups.where(F.col(id_column) == F.col(f"representative_{id_column}")).select(
            id_column, group_column
        ),
        id_column,
    )
    return heads.join(summary, group_column).select(
        F.col(group_column).alias("track_id"),
        F.lit("group").alias("source"),
        "title",
        F.col("_artists").alias("artists"),
        F.col("album_norm").alias("album"),
        F.round(F.col("duration_s") * 1000).cast("long").alias("duration_ms"),
        "isrc",
        F.make_date(F.col("_year"), F.lit(1), F.lit(1)).alias("release_date"),
        F.lit(None).cast("string").alias("label"),
        F.lit(None).cast("string").alias("genre"),
        "iswc",
    )
