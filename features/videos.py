"""Video features for Music Video Resolution: parse YouTube-style titles into artist and song.

A video title is free text written for people ("Queen - Bohemian Rhapsody
(Official Video Remastered) [4K]"), so it is cleaned of platform noise, cut at
its separators and read by a parser whose rules are written down here. What
comes out lines up with the track features (``core_title``, ``version_type``,
``primary_artist``), because the Splink model compares a video with a track.

The parser's rules are written down in ``features.title_parser``; the
channel's artist tells it which part names the artist.

``video_kind`` precedence: topic (the channel is authoritative) > non_music >
cover > live > lyric_video > audio > official_video > other. non_music is a
video about a song that does not play its recording (tutorials, reactions,
interviews, behind the scenes); a cover is never the artist's
recording, and a live video links to a live recording whatever else the title
says, so both beat the presentation kinds; "Official Lyric Video" is a lyric
video, "Official Audio" on a VEVO channel is audio.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from features.artists import drop_generic, normalize_artist, split_artist_names
from features.quality import FieldRule, RecordRule, is_blank
from features.schemas import VIDEO_FEATURES
from features.text import (
    compact_key,
    empty_to_null,
    fold_case_and_accents,
    let,
    normalize_text,
    null_if_generic,
    title_numbers,
)
from features.title_parser import (
    CLOSE_BRACKET,
    LIVE_PLACE_PATTERN,
    NOT_BRACKET,
    OPEN_BRACKET,
    SEGMENT_SEPARATOR,
    SEPARATOR_CHARS,
    WORD_END,
    WORD_START,
    parse_title,
    title_parts,
)
from features.tracks import (
    core_title,
    duration_seconds,
    featured_in_title,
    normalize_isrc,
    release_year,
    title_tags,
    track_rules,
    version_type,
)

# --- cleaning ---------------------------------------------------------------------

URL_PATTERN = r"https?://\S+|www\.\S+"
FILE_EXTENSION_PATTERN = r"\.(?:wmv|mp4|avi|flv|mov|mkv|mp3|m4a|webm|3gp)" + WORD_END
# Emojis and decorations (★, ♪, ❤️): symbols, their variation selectors and joiners.
EMOJI_PATTERN = r"[\p{So}\x{FE0F}\x{200D}\x{20E3}]+"
TRACK_NUMBER_PATTERN = r"^\s*\d{1,3}\s*[.)]\s+"
# Words that, alone or together, make a bracketed part platform noise.
NOISE_WORDS = (
    r"official|officiel|oficial|music|musical|video|videoclip|clip|lyrics?|letra|paroles"
    r"|audio|only|visuali[sz]er|hd|hq|uhd|4k|8k|1080p|720p|480p|360p|60fps|m/v|mv"
    r"|explicit|clean|dirty|remaster(?:ed)?|digitally|premiere|vevo|full|high|quality"
    r"|with|new|version|album|single|on screen|subtitles?|english|公式|歌詞|\d{4}"
)
NOISE_BRACKET_PATTERN = (
    rf"\s*{OPEN_BRACKET}(?:[\s\-–—,./&+:|]|{WORD_START}(?:{NOISE_WORDS}){WORD_END})*{CLOSE_BRACKET}"
)
# Noise that trails a title without brackets ("... lyrics HD", "| Official Video").
# Bare "audio", "video" and "clean" are song titles too, so they only count in brackets.
TRAILING_NOISE_WORDS = (
    r"official\s+(?:hd\s+|4k\s+)?(?:music\s+|lyrics?\s+)?video|official\s+audio"
    r"|official\s+visuali[sz]er|lyrics?\s+video|music\s+video|video\s*clip|videoclip"
    r"|with\s+lyrics|lyrics?|letra|paroles|full\s+song|full\s+hd|hd|hq|uhd|4k|8k|1080p|720p|480p|360p"
    r"|m/v|mv|vevo|youtube|official|explicit|premiere|visuali[sz]er"
    r"|remaster(?:ed)?(?:\s+(?:19|20)\d{2})?|(?:19|20)\d{2}\s+remaster(?:ed)?"
)
TRAILING_NOISE_PATTERN = rf"(?:[{SEPARATOR_CHARS}]*{WORD_START}(?:{TRAILING_NOISE_WORDS}){WORD_END})+[{SEPARATOR_CHARS}]*$"
# "... Frogman Henry 1961": a year glued to words; "Prince - 1999" keeps its song.
TRAILING_YEAR_PATTERN = r"(?<=[\p{L}\)\]])\s+(?:19|20)\d{2}\s*$"
# A separator that lost its dash, in a title with no separator: "Artist  Title" (two or
# more spaces between words) and "Artist Name-Song Title" (the only hyphen, between
# phrases of several words, with 3+ letters before it and 2+ after: not "Jay-Z Song",
# "Ne-Yo Song", "Re-Recorded"); never inside brackets.
WIDE_GAP_PATTERN = (
    rf"(?<=[\p{{L}}\p{{N}}.,!?'’\)\]])\s{{2,}}(?=[\p{{L}}\p{{N}}])(?!{NOT_BRACKET}*{CLOSE_BRACKET})"
)
BARE_HYPHEN_PATTERN = (
    r"^([^-]*\s[^\s-]*[\p{L}\p{N}]{3}[.'’\)]?)-"
    rf"(?!{NOT_BRACKET}*{CLOSE_BRACKET})(\(?[\p{{L}}\p{{N}}]{{2}}[^-]*\s[^-]*)$"
)

# --- covers -----------------------------------------------------------------------

# Words that describe a cover rather than name its performer ("acoustic cover").
COVER_DESCRIPTORS = (
    r"acoustic|piano|guitar|violin|cello|ukulele|drums?|bass|metal|rock|punk|pop|jazz"
    r"|orchestral|a\s*cappella|acapella|vocal|live|female|male|band|my|official"
    r"|fingerstyle|instrumental|lo-?fi|version|cover|short"
)
COVER_BY_PATTERN = r"\bcover(?:ed)?\s+by\s+([^\(\)\[\]\{\}|｜\-–—/\"“”]+)"
COVER_BRACKETED_PATTERN = rf"{OPEN_BRACKET}\s*({NOT_BRACKET}+?)\s+cover\s*{CLOSE_BRACKET}"
COVERS_PREFIX_PATTERN = r"^\s*([^\-–—|｜:：\"“”「」『』]+?)\s+covers\s+"
# Cover phrases removed from the title before parsing (the cover artist is kept apart).
COVER_PHRASE_PATTERNS = (
    rf"\s*{OPEN_BRACKET}{NOT_BRACKET}*\bcover(?:ed|s)?\b{NOT_BRACKET}*{CLOSE_BRACKET}",
    COVERS_PREFIX_PATTERN,
    r"[\s\-–—|｜:/]*\bcover(?:ed)?\s+by\s+[^\(\)\[\]\{\}|｜\-–—/]+",
    rf"[\s\-–—|｜:/]*(?:(?:{COVER_DESCRIPTORS})\s+)*\bcover\s*$",
)

# --- kinds and channels ----------------------------------------------------------------

TOPIC_CHANNEL_PATTERN = r"(?i)\s-\s*topic\s*$"
VEVO_CHANNEL_PATTERN = r"(?i)vevo\s*$"
# video_kind, the pattern that proves it, in precedence order (topic comes first, from the channel).
VIDEO_KIND_RULES: tuple[tuple[str, str], ...] = (
    (
        "non_music",
        r"\b(?:tutorial|lesson|interview|unboxing|vlog|podcast|behind the scenes|making of"
        r"|how to (?:play|sing)|first time (?:hearing|listening)|talks about"
        r"|guitar chords|drum cam|dance practice|choreography)\b"
        r"|\breact(?:s|ing|ion) to\b"
        rf"|{OPEN_BRACKET}\s*reaction\s*{CLOSE_BRACKET}|[|｜]\s*reaction\s*$",
    ),
    (
        "cover",
        r"\bcover(?:ed)?\s+by\b|\S\s+covers\s+\S|\bcover\s*(?:$|[\)\]\}】|｜\-–—/])"
        rf"|{OPEN_BRACKET}\s*cover\b",
    ),
    (
        "live",
        rf"{OPEN_BRACKET}{NOT_BRACKET}*\blive\b|\b{LIVE_PLACE_PATTERN}|[\-–—|｜:]\s*live\s*$"
        r"|\blive\s+(?:hd|hq|4k|1080p|720p)\b|in concert|unplugged",
    ),
    ("lyric_video", r"\blyrics?\b|\bletra\b|\bparoles\b|歌詞"),
    ("audio", r"\baudio\b|visuali[sz]er|art track"),
    (
        "official_video",
        r"official\s+(?:hd\s+|4k\s+)?(?:music\s+)?video|music video|\bm/v\b|\bmv\b|videoclip"
        rf"|video clip|clip officiel|video oficial|{OPEN_BRACKET}\s*official\s*{CLOSE_BRACKET}|公式",
    ),
)
CHANNEL_SUFFIX_PATTERN = (
    r"(?:[\s\-_|.]*\b(?:official(?:\s+artist)?\s+channel|official|oficial|officiel|channel"
    r"|records|recordings|music|musica|tv|vevo|hq|hd|topic)\b)+\s*$"
)


# --- titles -------------------------------------------------------------------------


def restore_lost_separator(title: Column) -> Column:
    """'Artist  Title' and 'Artist Name-Song Title' -> 'Artist - Title' where nothing else separates.

    Old uploads and tools that strip punctuation leave the dash out; without
    this the whole title would be read as the song.
    """
    restored = F.regexp_replace(
        F.regexp_replace(title, WIDE_GAP_PATTERN, " - "), BARE_HYPHEN_PATTERN, "$1 - $2"
    )
    return F.when(title.rlike(SEGMENT_SEPARATOR), title).otherwise(restored)


def clean_video_title(title: Column) -> Column:
    """Folded title without platform noise, cover phrases, emojis, URLs and file names.

    Punctuation, separators and version brackets stay: the parser needs them
    and "(Live at Wembley 1986)" decides a version. Remaster tags go, as in the
    track features a remaster is the same recording.
    """
    text = fold_case_and_accents(restore_lost_separator(title))
    for pattern in (URL_PATTERN, FILE_EXTENSION_PATTERN, EMOJI_PATTERN):
        text = F.regexp_replace(text, pattern, " ")
    text = F.regexp_replace(text, r"[\"“”]by[\"“”]", " by ")
    text = F.regexp_replace(text, TRACK_NUMBER_PATTERN, "")
    for pattern in COVER_PHRASE_PATTERNS:
        text = F.regexp_replace(text, pattern, " ")
    for _ in range(2):  # "title lyrics (hd) [2016]": brackets first, then what they uncover
        text = F.regexp_replace(text, NOISE_BRACKET_PATTERN, " ")
        text = F.regexp_replace(F.trim(text), TRAILING_NOISE_PATTERN, "")
    text = F.regexp_replace(text, TRAILING_YEAR_PATTERN, "")
    return empty_to_null(F.regexp_replace(text, r"\s+", " "))


def video_kind(title: Column, channel: Column | None = None) -> Column:
    """What the video shows: topic, cover, live, lyric_video, audio, official_video or other.

    Read from the raw title (the noise words are the evidence) and the channel
    ("X - Topic" art tracks, "XVEVO" official uploads); precedence in the module docstring.
    """
    channel = F.coalesce(channel, F.lit("")) if channel is not None else F.lit("")

    def classify(folded: Column) -> Column:
        expr = F.when(channel.rlike(TOPIC_CHANNEL_PATTERN), F.lit("topic"))
        for kind, pattern in VIDEO_KIND_RULES:
            expr = expr.when(folded.rlike(pattern), F.lit(kind))
        return expr.when(channel.rlike(VEVO_CHANNEL_PATTERN), F.lit("official_video")).otherwise(
            F.lit("other")
        )

    return let(F.coalesce(fold_case_and_accents(title), F.lit("")), classify)


def _cover_performer(lowered_title: Column, pattern: str) -> Column:
    """The name ``pattern`` captures, without descriptors ('acoustic', 'piano'); null if none."""
    found = F.regexp_extract(lowered_title, pattern, 1)
    name = F.regexp_replace(found, rf"{WORD_START}(?:{COVER_DESCRIPTORS}){WORD_END}", " ")
    return F.get(F.filter(F.array(name), lambda n: n.rlike(r"[\p{L}\p{N}]")), 0)


def cover_artist(title: Column) -> Column:
    """Who performs a cover: 'cover by X', '(X cover)', 'X covers ...' -> normalised X, else null."""
    patterns = (COVER_BY_PATTERN, COVER_BRACKETED_PATTERN, COVERS_PREFIX_PATTERN)
    return let(
        F.lower(title),
        lambda lowered: let(
            F.coalesce(*(_cover_performer(lowered, pattern) for pattern in patterns)),
            normalize_artist,
        ),
    )


# --- channels ---------------------------------------------------------------------------


def channel_artist(channel: Column) -> Column:
    """The artist a channel speaks for: 'TaylorSwiftVEVO' -> 'taylor swift', 'Adele - Topic' -> 'adele'.

    Camel case is split only in names without spaces ("TaylorSwift"), so
    "Paul McCartney" keeps its "mc"; the compact key is the same either way.
    """
    name = F.regexp_replace(channel, TOPIC_CHANNEL_PATTERN, "")
    name = F.trim(F.regexp_replace(name, VEVO_CHANNEL_PATTERN, ""))
    camel = F.regexp_replace(name, r"(\p{Ll})(\p{Lu})", "$1 $2")
    camel = F.regexp_replace(camel, r"(\p{Lu})(\p{Lu}\p{Ll})", "$1 $2")
    name = F.when(name.rlike(r"\s"), name).otherwise(camel)
    name = F.regexp_replace(F.lower(name), CHANNEL_SUFFIX_PATTERN, "")
    return let(F.regexp_replace(name, r"^\s*official\s+", ""), normalize_artist)


# --- the feature table ----------------------------------------------------------------


def with_channel_features(df: DataFrame, *, generic_artists: tuple[str, ...] = ()) -> DataFrame:
    """The channel's artist: it backs the title parser and is a comparison of its own."""
    return df.withColumn(
        "channel_artist",
        let(channel_artist(F.col("channel_name")), lambda a: null_if_generic(a, generic_artists)),
    ).withColumn("channel_artist_key", compact_key(F.col("channel_artist")))


def with_parsed_title(df: DataFrame) -> DataFrame:
    """The title parser (``features.title_parser``) on the cleaned title, backed by the channel.

    Needs ``title``, ``channel_artist_key`` and ``video_kind``; adds ``_parts``,
    ``_artist_part`` and ``_song_part``. Covers put the song first ("Hello -
    Adele (Cover)") unless a bracket names the performer ("Bu Pleasant -
    Summertime (Abbie Mitchell Cover)").
    """
    song_first = (F.col("video_kind") == "cover") & _cover_performer(
        F.lower(F.col("title")), COVER_BRACKETED_PATTERN
    ).isNull()
    return parse_title(
        df, clean_video_title(F.col("title")), F.col("channel_artist_key"), song_first
    )


def with_title_features(df: DataFrame, *, generic_titles: tuple[str, ...] = ()) -> DataFrame:
    """Song, parts, version and kind; needs ``channel_artist_key`` (with_channel_features).

    Leaves ``_artist_part`` and ``_song_part`` for with_artist_features.
    """
    return (
        df.withColumn("title_norm", normalize_text(F.col("title")))
        .withColumn("video_kind", video_kind(F.col("title"), F.col("channel_name")))
        .withColumn("cover_artist", cover_artist(F.col("title")))
        .transform(with_parsed_title)
        .withColumn(
            "parsed_title",
            let(normalize_text(F.col("_song_part")), lambda t: null_if_generic(t, generic_titles)),
        )
        .withColumn("title_parts", title_parts(F.col("_parts")))
        .withColumn(
            "title_part_keys",
            F.when(F.size("title_parts") > 0, F.transform("title_parts", compact_key)),
        )
        .withColumn(
            "core_title",
            let(core_title(F.col("_song_part")), lambda t: null_if_generic(t, generic_titles)),
        )
        .withColumn("core_title_key", compact_key(F.col("core_title")))
        .withColumn("title_numbers", title_numbers(F.col("core_title")))
        .withColumn("_tags", title_tags(F.col("_song_part")))  # read by both below, once
        .withColumn(
            "version_type",
            version_type(F.col("_tags"), F.array(F.col("_artist_part"), F.col("channel_name"))),
        )
        .withColumn(
            "version_detail",
            F.when(F.col("version_type") != "original", normalize_text(F.col("_tags"))),
        )
    )


def with_artist_features(df: DataFrame, *, generic_artists: tuple[str, ...] = ()) -> DataFrame:
    """Artists as the track features have them: the parsed credit first, featured ones after."""
    credited = drop_generic(split_artist_names(F.array(F.col("_artist_part"))), generic_artists)
    from_title = drop_generic(featured_in_title(F.col("_song_part")), generic_artists)
    return (
        df.withColumn(
            "parsed_artist",
            let(
                normalize_text(F.col("_artist_part")),
                lambda a: null_if_generic(a, generic_artists),
            ),
        )
        .withColumn("_credited", credited)
        .withColumn("artists_norm", F.array_distinct(F.concat("_credited", from_title)))
        .withColumn(
            "artist_keys",
            F.when(F.size("artists_norm") > 0, F.transform("artists_norm", compact_key)),
        )
        .withColumn("primary_artist", F.get(F.col("_credited"), 0))
        .withColumn("primary_artist_key", compact_key(F.col("primary_artist")))
        .withColumn(
            "featured_artists",
            F.filter("artists_norm", lambda a: ~a.eqNullSafe(F.col("primary_artist"))),
        )
        .drop("_credited")
    )


def with_identifier_features(df: DataFrame) -> DataFrame:
    """ISRC, duration and year, cleaned as for tracks so that the two compare."""
    return (
        df.withColumn("isrc", normalize_isrc(F.col("isrc")))
        .withColumn("duration_s", duration_seconds(F.col("duration_ms")))
        .withColumn("published_year", release_year(F.col("published_at")))
    )


def build_video_features(
    videos: DataFrame, *, generic_values: Mapping[str, tuple[str, ...]] | None = None
) -> DataFrame:
    """VIDEO_INPUT -> VIDEO_FEATURES: the comparison-ready view of each video."""
    generic = generic_values or {}
    generic_artists = tuple(generic.get("artist", ()))
    feats = (
        videos.transform(with_channel_features, generic_artists=generic_artists)
        .transform(with_title_features, generic_titles=tuple(generic.get("title", ())))
        .transform(with_artist_features, generic_artists=generic_artists)
        .transform(with_identifier_features)
    )
    return feats.select(*[f.name for f in VIDEO_FEATURES.fields])


def video_rules() -> tuple[list[RecordRule], list[FieldRule]]:
    """Videos: a title is required; a bad ISRC or duration is nulled, the video stays."""
    _, fields = track_rules()
    return (
        [RecordRule("title", is_blank("title"), "null or empty video title: nothing to match on")],
        [f for f in fields if f.field in ("isrc", "duration_ms")],
    )
