"""Video features for Music Video Resolution: parse YouTube-style titles into artist and song.

A video title is free text written for people ("Queen - Bohemian Rhapsody
(Official Video Remastered) [4K]"), so it is cleaned of platform noise, cut at
its separators and read by a parser whose rules are written down here. What
comes out lines up with the track features (``core_title``, ``version_type``,
``primary_artist``), because the Splink model compares a video with a track.

Parser rules, first match wins:

1. CJK title brackets ``「」『』《》〈〉``: the bracketed part is the song, the
   text outside (before it, else after it) the artist.
2. ``【Artist】Title``: the lenticular bracket names the artist (a noise-only
   one such as ``【MV】`` is removed first).
3. Quotes (``Artist "Title"``, ``Artist 'Title'``, curly and guillemets): the
   quoted part is the song. Quotes inside brackets (``(From "Frozen")``) or after
   "from" do not count.
4. Separators (dash, en/em dash, ``|``, ``//``, ``: ``, `` / ``, ``•``): the
   first two parts that are not version tags ("Live Aid 1985", "Skrillex Remix",
   a leading bare "Karaoke") are artist and song; the tags go back onto the
   song. Who is who: the part whose first artist equals the channel's artist
   is the artist; else a part with a song bracket (``(feat. X)``, ``(Live)``,
   ``(Remix)``) is the song; else the first separator decides: a dash, colon,
   slash or bullet puts the artist first ("Artist - Title", "Artist: Title"),
   a pipe or ``//`` puts the song first ("Title | Artist", "Title || Artist
   lyrics HD": the usual uploader shape; "Artist | Title" needs the channel or
   a song bracket). Covers put the song first too ("Hello - Adele (Cover)"),
   unless a bracket names a performer ("Jane Roe - Summertime (Ella
   Fitzgerald Cover)"). A title with none of these separators gets one where
   the uploader's dash was lost: a gap of two or more spaces between words
   ("Elvis Presley  Blue Suede Shoes") or a lone bare hyphen between two
   phrases of several words ("Loretta Lynn-Coal Miner's Daughter"; not
   "Jay-Z", "A-Changin'", "Ob-La-Di").
5. ``Title by Artist`` when nothing else cut the title ("Stand by Me", "Stand by
   Your Man" stay whole: "by" before a pronoun does not cut).
6. Otherwise there is no artist and the song is the whole cleaned title.

``video_kind`` precedence: topic (the channel is authoritative) > non_music >
cover > live > lyric_video > audio > official_video > other. non_music is a
video about a song that does not play its recording (tutorials, reactions,
interviews, behind the scenes); a cover is never the artist's
recording, and a live video links to a live recording whatever else the title
says, so both beat the presentation kinds; "Official Lyric Video" is a lyric
video, "Official Audio" on a VEVO channel is audio.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from features.quality import FieldRule, RecordRule, is_blank
from features.schemas import VIDEO_FEATURES
from features.text import (
    compact_key,
    fold_case_and_accents,
    normalize_text,
    null_if_generic,
    title_numbers,
)
from features.tracks import (
    core_title,
    drop_generic,
    duration_seconds,
    featured_in_title,
    normalize_artist,
    normalize_isrc,
    release_year,
    split_artist_names,
    title_tags,
    track_rules,
    version_type,
)

# Java regex pieces. Word edges are explicit because Java's \b and \w disagree
# on non-ASCII letters.
_B = r"(?<![\p{L}\p{N}])"
_E = r"(?![\p{L}\p{N}])"
_OPEN, _CLOSE = r"[\(\[\{【]", r"[\)\]\}】]"
_INSIDE = r"[^\(\)\[\]\{\}【】]"
_SEP_CHARS = r"\s\-–—~|｜:：/•·,.!"

# --- cleaning ---------------------------------------------------------------------

URL_PATTERN = r"https?://\S+|www\.\S+"
FILE_EXTENSION_PATTERN = r"\.(?:wmv|mp4|avi|flv|mov|mkv|mp3|m4a|webm|3gp)" + _E
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
NOISE_BRACKET_PATTERN = rf"\s*{_OPEN}(?:[\s\-–—,./&+:|]|{_B}(?:{NOISE_WORDS}){_E})*{_CLOSE}"
# Noise that trails a title without brackets ("... lyrics HD", "| Official Video").
# Bare "audio", "video" and "clean" are song titles too, so they only count in brackets.
TRAILING_NOISE_WORDS = (
    r"official\s+(?:hd\s+|4k\s+)?(?:music\s+|lyrics?\s+)?video|official\s+audio"
    r"|official\s+visuali[sz]er|lyrics?\s+video|music\s+video|video\s*clip|videoclip"
    r"|with\s+lyrics|lyrics?|letra|paroles|full\s+song|full\s+hd|hd|hq|uhd|4k|8k|1080p|720p|480p|360p"
    r"|m/v|mv|vevo|youtube|official|explicit|premiere|visuali[sz]er"
    r"|remaster(?:ed)?(?:\s+(?:19|20)\d{2})?|(?:19|20)\d{2}\s+remaster(?:ed)?"
)
TRAILING_NOISE_PATTERN = rf"(?:[{_SEP_CHARS}]*{_B}(?:{TRAILING_NOISE_WORDS}){_E})+[{_SEP_CHARS}]*$"
# "... Frogman Henry 1961": a year glued to words; "Prince - 1999" keeps its song.
TRAILING_YEAR_PATTERN = r"(?<=[\p{L}\)\]])\s+(?:19|20)\d{2}\s*$"
# A separator that lost its dash, in a title with no separator: "Artist  Title" (two or
# more spaces between words) and "Artist Name-Song Title" (the only hyphen, between
# phrases of several words, with 3+ letters before it and 2+ after: not "Jay-Z Song",
# "Ne-Yo Song", "Re-Recorded"); never inside brackets.
WIDE_GAP_PATTERN = (
    rf"(?<=[\p{{L}}\p{{N}}.,!?'’\)\]])\s{{2,}}(?=[\p{{L}}\p{{N}}])(?!{_INSIDE}*{_CLOSE})"
)
BARE_HYPHEN_PATTERN = (
    r"^([^-]*\s[^\s-]*[\p{L}\p{N}]{3}[.'’\)]?)-"
    rf"(?!{_INSIDE}*{_CLOSE})(\(?[\p{{L}}\p{{N}}]{{2}}[^-]*\s[^-]*)$"
)

# --- covers -----------------------------------------------------------------------

# Words that describe a cover rather than name its performer ("acoustic cover").
COVER_DESCRIPTORS = (
    r"acoustic|piano|guitar|violin|cello|ukulele|drums?|bass|metal|rock|punk|pop|jazz"
    r"|orchestral|a\s*cappella|acapella|vocal|live|female|male|band|my|official"
    r"|fingerstyle|instrumental|lo-?fi|version|cover|short"
)
COVER_BY_PATTERN = r"\bcover(?:ed)?\s+by\s+([^\(\)\[\]\{\}|｜\-–—/\"“”]+)"
COVER_BRACKETED_PATTERN = rf"{_OPEN}\s*({_INSIDE}+?)\s+cover\s*{_CLOSE}"
COVERS_PREFIX_PATTERN = r"^\s*([^\-–—|｜:：\"“”「」『』]+?)\s+covers\s+"
# Cover phrases removed from the title before parsing (the cover artist is kept apart).
COVER_PHRASE_PATTERNS = (
    rf"\s*{_OPEN}{_INSIDE}*\bcover(?:ed|s)?\b{_INSIDE}*{_CLOSE}",
    COVERS_PREFIX_PATTERN,
    r"[\s\-–—|｜:/]*\bcover(?:ed)?\s+by\s+[^\(\)\[\]\{\}|｜\-–—/]+",
    rf"[\s\-–—|｜:/]*(?:(?:{COVER_DESCRIPTORS})\s+)*\bcover\s*$",
)

# --- separators and parsing ---------------------------------------------------------

# Separators that cut a title into parts, never inside brackets ("(Remix - Radio Edit)").
SEGMENT_SEPARATOR = (
    r"(?:\s*[|｜]+\s*|\s*//+\s*|\s+[-~]+\s*|\s*[-~]+\s+|\s*[–—]+\s*|(?<!\d)[:：]\s+"
    rf"|\s+/\s+|\s*[•·]\s*)(?!{_INSIDE}*{_CLOSE})"
)
TITLE_FIRST_SEPARATOR = r"[|｜]|//"
# "Title by Artist"; "Stand by Me", "Stand by Your Man" are songs, not credits.
BY_SEPARATOR = (
    r"\s+by\s+(?!(?:me|you|your|my|his|her|our|their|us|them|him|myself|yourself|the way)"
    + _E
    + ")"
)
CJK_TITLE_PATTERN = r"^(.*?)[「『《〈]([^」』》〉]+)[」』》〉](.*)$"
LENTICULAR_ARTIST_PATTERN = r"^\s*【([^】]+)】\s*(.+)$"
DOUBLE_QUOTE_PATTERN = r"^(.*?)[\"“”„«»]([^\"“”„«»]+)[\"“”„«»](.*)$"
SINGLE_QUOTE_PATTERN = r"^(|.*?\s)['‘](.{2,}?)['’](?=$|[\s\(\[\-–—|:,.!?])(.*)$"
BRACKETED_PART = rf"{_OPEN}{_INSIDE}*{_CLOSE}"
# "Live at Wembley", "Live @ KEXP"; not "Live in the Moment" or "Live On" (songs).
LIVE_PLACE_PATTERN = (
    r"live\s+(?:(?:at|from|aid|session|performance|version|recording|concert|show|stream"
    r"|(?:19|20)\d{2})" + _E + r"|@|in\s+(?!the" + _E + r")|on\s+(?:stage|tv|air)" + _E + ")"
)
# A part after the first that is a version tag, not an artist or a song.
TAG_SEGMENT_PATTERN = (
    rf"^(?:live|{LIVE_PLACE_PATTERN}.*"
    r"|(?:\S+\s+){0,2}(?:remix|rmx|mix|edit|version|re-?recorded|re-?recording|rework|bootleg)"
    r"(?:\s+(?:19|20)\d{2})?"
    r"|(?:acoustic|instrumental|karaoke|unplugged|demo|extended|mono|stereo|radio edit"
    r"|bonus track)" + _E + r".*"
    r"|(?:from|feat\.?|ft\.?|featuring|in the style of|(?:originally )?performed by"
    r"|(?:as )?made famous by)\s.+"
    rf"|{BRACKETED_PART})$"
)
# A first part that is only a version word ("Karaoke - Song - Artist"): a tag too.
LEADING_TAG_PATTERN = r"^(?:karaoke|instrumental|acoustic|live|remix|demo)(?:\s+version)?$"
# A bracket that belongs to a song, not to an artist: decides who is who.
TITLE_BRACKET_PATTERN = (
    rf"{_OPEN}{_INSIDE}*{_B}(?:feat|ft|featuring|live|remix|mix|version|edit|acoustic"
    rf"|instrumental|karaoke|demo){_E}{_INSIDE}*{_CLOSE}"
)
# Version phrases written without brackets become a dash tag, so the track
# functions (title_tags, core_title) see them: "title karaoke version" -> "title - karaoke version".
UNBRACKETED_VERSION_PATTERN = (
    r"\s+((?:karaoke|instrumental|acoustic|piano|orchestral|extended|radio)\s+(?:version|mix|edit)"
    rf"|karaoke|[\p{{L}}\p{{N}}]+\s+remix|{LIVE_PLACE_PATTERN}.*)$"
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
        rf"|{_OPEN}\s*reaction\s*{_CLOSE}|[|｜]\s*reaction\s*$",
    ),
    (
        "cover",
        r"\bcover(?:ed)?\s+by\b|\S\s+covers\s+\S|\bcover\s*(?:$|[\)\]\}】|｜\-–—/])"
        rf"|{_OPEN}\s*cover\b",
    ),
    (
        "live",
        rf"{_OPEN}{_INSIDE}*\blive\b|\b{LIVE_PLACE_PATTERN}|[\-–—|｜:]\s*live\s*$"
        r"|\blive\s+(?:hd|hq|4k|1080p|720p)\b|in concert|unplugged",
    ),
    ("lyric_video", r"\blyrics?\b|\bletra\b|\bparoles\b|歌詞"),
    ("audio", r"\baudio\b|visuali[sz]er|art track"),
    (
        "official_video",
        r"official\s+(?:hd\s+|4k\s+)?(?:music\s+)?video|music video|\bm/v\b|\bmv\b|videoclip"
        rf"|video clip|clip officiel|video oficial|{_OPEN}\s*official\s*{_CLOSE}|公式",
    ),
)
CHANNEL_SUFFIX_PATTERN = (
    r"(?:[\s\-_|.]*\b(?:official(?:\s+artist)?\s+channel|official|oficial|officiel|channel"
    r"|records|recordings|music|musica|tv|vevo|hq|hd|topic)\b)+\s*$"
)


# --- titles -------------------------------------------------------------------------


def _let(value: Column, body: Callable[[Column], Column]) -> Column:
    """``body(value)`` with ``value`` computed once per row.

    Spark has no "let": a Column used twice in an expression (a CASE WHEN, or
    blank_to_null's test and result) is computed twice, and nested helpers
    multiply that. A lambda argument is computed once however often it is read.
    """
    return F.get(F.transform(F.array(value), body), 0)


def _empty_to_null(text: Column) -> Column:
    """Trimmed text, null when empty, computing ``text`` once (unlike blank_to_null)."""
    return F.get(F.array_remove(F.array(F.trim(text)), F.lit("")), 0)


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
    return _empty_to_null(F.regexp_replace(text, r"\s+", " "))


def _non_blank_parts(text: Column, separator: str) -> Column:
    """Trimmed pieces of ``text`` cut at ``separator`` that still hold a letter or digit."""
    # a lambda, not F.trim itself: transform passes the index to two-argument functions
    pieces = F.transform(F.split(F.coalesce(text, F.lit("")), separator), lambda p: F.trim(p))
    return F.filter(pieces, lambda piece: piece.rlike(r"[\p{L}\p{N}]"))


def _is_version_tag(part: Column, index: Column, count: Column) -> Column:
    """Whether the part at ``index`` of ``count`` parts is a version tag, not a song or artist."""
    return F.when(index == 0, (count > 1) & part.rlike(LEADING_TAG_PATTERN)).otherwise(
        part.rlike(TAG_SEGMENT_PATTERN)
    )


def _first_artist_key(part: Column) -> Column:
    """Compact key of the first artist credited in a title part ('adele ft. x' -> 'adele')."""
    return F.get(F.transform(split_artist_names(F.array(part)), compact_key), 0)


def _wrap_unbracketed_version(title: Column) -> Column:
    """'title karaoke version' -> 'title - karaoke version', a tag the track functions read."""
    return F.regexp_replace(title, UNBRACKETED_VERSION_PATTERN, " - $1")


def quoted_song(clean_title: Column) -> Column:
    """[before, song, after] when CJK brackets, a 【artist】 prefix or quotes mark the song; else null.

    Quotes inside brackets or after "from" ('(From "Frozen")') name a film, not the song.
    """
    text = F.coalesce(clean_title, F.lit(""))

    def brackets_balanced(prefix: Column) -> Column:
        opened = F.length(F.regexp_replace(prefix, r"[^\(\[\{]", ""))
        closed = F.length(F.regexp_replace(prefix, r"[^\)\]\}]", ""))
        return opened == closed

    def marked(pattern: str) -> tuple[Column, Column]:
        before, inside, after = (F.regexp_extract(text, pattern, i) for i in (1, 2, 3))
        valid = (
            (F.length(F.trim(inside)) > 0)
            & brackets_balanced(before)
            & ~before.rlike(r"\bfrom\s*$")
        )
        return valid, F.array(before, inside, after)

    artist, song = (F.regexp_extract(text, LENTICULAR_ARTIST_PATTERN, i) for i in (1, 2))
    lenticular_found = (F.length(F.trim(artist)) > 0) & (F.length(F.trim(song)) > 0)
    cjk_found, cjk = marked(CJK_TITLE_PATTERN)
    double_found, double = marked(DOUBLE_QUOTE_PATTERN)
    single_found, single = marked(SINGLE_QUOTE_PATTERN)
    return (
        F.when(cjk_found, cjk)
        .when(lenticular_found, F.array(artist, song, F.lit("")))
        .when(double_found, double)
        .when(single_found, single)
    )


def title_segments(clean_title: Column, quoted: Column) -> Column:
    """Every part the separators cut, in order; a quoted song is a part of its own."""
    source = F.when(quoted.isNotNull(), F.concat_ws(" | ", quoted)).otherwise(clean_title)
    return _non_blank_parts(source, SEGMENT_SEPARATOR)


def title_layout(clean_title: Column, quoted: Column, segments: Column) -> Column:
    """How a title names its song: quoted, artist_first, song_first, by or single.

    The first separator decides between artist_first (dash, colon, slash,
    bullet) and song_first (pipe, //); "by" counts only where nothing else cut.
    """
    song_or_artist = song_and_artist_parts(segments)
    by_split = F.split(F.coalesce(F.get(segments, 0), F.lit("")), BY_SEPARATOR, 2)
    first_is_song_or_artist = F.get(song_or_artist, 0) == F.get(segments, 0)
    separator = F.regexp_extract(F.coalesce(clean_title, F.lit("")), f"({SEGMENT_SEPARATOR})", 1)
    return (
        F.when(quoted.isNotNull(), F.lit("quoted"))
        .when(
            F.size(song_or_artist) >= 2,
            F.when(separator.rlike(TITLE_FIRST_SEPARATOR), F.lit("song_first")).otherwise(
                F.lit("artist_first")
            ),
        )
        .when(
            (F.size(song_or_artist) == 1) & first_is_song_or_artist & (F.size(by_split) == 2),
            F.lit("by"),
        )
        .otherwise(F.lit("single"))
    )


def credit_parts(segments: Column, layout: Column) -> Column:
    """The title's parts, with "Title by Artist" cut in two where the layout is 'by'."""
    by_split = F.transform(F.split(F.get(segments, 0), BY_SEPARATOR, 2), lambda p: F.trim(p))
    return F.when(layout == "by", F.concat(by_split, F.slice(segments, 2, 1_000))).otherwise(
        segments
    )


def song_and_artist_parts(parts: Column) -> Column:
    """Parts that may name the song or the artist: every part that is no version tag."""
    return F.filter(parts, lambda s, i: ~_is_version_tag(s, i, F.size(parts)))


def version_tag_parts(parts: Column) -> Column:
    """Parts that are version tags ("Live Aid 1985", "Skrillex Remix"): the song's, not an artist.

    A first part is a tag only when it is a bare version word ("Karaoke - Song - Artist").
    """
    return F.filter(parts, lambda s, i: _is_version_tag(s, i, F.size(parts)))


def artist_comes_first(
    core_parts: Column,
    layout: Column,
    channel_key: Column | None = None,
    song_first: Column | None = None,
) -> Column:
    """Whether the first of two parts is the artist: channel, then title brackets, then layout.

    ``channel_key`` is the channel's compact artist key: the part it names is
    the artist. A part with a song bracket ("(feat. X)", "(Live)") is the song.
    ``song_first`` (covers: "Hello - Adele (Cover)") turns the default round.
    """
    channel_key = F.lit(None).cast("string") if channel_key is None else channel_key
    song_first = F.lit(False) if song_first is None else F.coalesce(song_first, F.lit(False))
    first, second = F.get(core_parts, 0), F.get(core_parts, 1)
    first_is_song = F.coalesce(first.rlike(TITLE_BRACKET_PATTERN), F.lit(False))
    second_is_song = F.coalesce(second.rlike(TITLE_BRACKET_PATTERN), F.lit(False))

    def decide(artist_keys: Column) -> Column:
        first_named = F.coalesce(F.get(artist_keys, 0) == channel_key, F.lit(False))
        second_named = F.coalesce(F.get(artist_keys, 1) == channel_key, F.lit(False))
        return (
            F.when(first_named & ~second_named, True)
            .when(second_named & ~first_named, False)
            .when(first_is_song & ~second_is_song, False)
            .when(second_is_song & ~first_is_song, True)
            .otherwise((layout == "artist_first") & ~song_first)
        )

    # the parts' first-artist keys, computed once and only where a channel can name one
    artist_keys = F.when(
        channel_key.isNotNull(), F.transform(F.slice(core_parts, 1, 2), _first_artist_key)
    )
    decided = _let(artist_keys, decide)
    return F.coalesce(F.when(layout.isin("artist_first", "song_first"), decided), F.lit(False))


def artist_part(core_parts: Column, quoted: Column, layout: Column, artist_first: Column) -> Column:
    """The artist's part of the title, folded (null when the title names none)."""
    outside = F.concat_ws(" - ", F.get(quoted, 0), F.get(quoted, 2))
    outside = F.regexp_replace(
        F.regexp_replace(outside, BRACKETED_PART, " "), r"(?:^|\s)by\s", " - "
    )
    first, second = F.get(core_parts, 0), F.get(core_parts, 1)
    artist = (
        F.when(layout == "quoted", F.get(_non_blank_parts(outside, SEGMENT_SEPARATOR), 0))
        .when(layout == "by", second)
        .when(
            layout.isin("artist_first", "song_first"), F.when(artist_first, first).otherwise(second)
        )
    )
    return _empty_to_null(artist)


def song_part(
    core_parts: Column, tags: Column, quoted: Column, layout: Column, artist_first: Column
) -> Column:
    """The song's part of the title, folded, with its version brackets and tags kept.

    Tags stay so that ``core_title`` and ``version_type`` read it as they read a
    track title ("bohemian rhapsody - live aid 1985").
    """
    outside_tags = F.regexp_extract_all(
        F.concat_ws(" ", F.get(quoted, 0), F.get(quoted, 2)), F.lit(f"({BRACKETED_PART})"), 1
    )
    first, second = F.get(core_parts, 0), F.get(core_parts, 1)
    song = (
        F.when(
            layout == "quoted", F.concat_ws(" ", F.get(quoted, 1), F.array_join(outside_tags, " "))
        )
        .when(
            layout.isin("artist_first", "song_first"), F.when(artist_first, second).otherwise(first)
        )
        .otherwise(first)
    )
    tagged = F.concat_ws(
        " - ", _wrap_unbracketed_version(F.trim(song)), F.when(layout != "quoted", tags)
    )
    return _empty_to_null(tagged)


def title_parts(parts: Column) -> Column:
    """Normalised, distinct, non-empty title parts: any one may be the song or the artist."""
    normalized = F.transform(F.coalesce(parts, F.array().cast("array<string>")), normalize_text)
    return F.array_distinct(F.filter(normalized, lambda p: p.isNotNull()))


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

    return _let(F.coalesce(fold_case_and_accents(title), F.lit("")), classify)


def _cover_performer(lowered_title: Column, pattern: str) -> Column:
    """The name ``pattern`` captures, without descriptors ('acoustic', 'piano'); null if none."""
    found = F.regexp_extract(lowered_title, pattern, 1)
    name = F.regexp_replace(found, rf"{_B}(?:{COVER_DESCRIPTORS}){_E}", " ")
    return F.get(F.filter(F.array(name), lambda n: n.rlike(r"[\p{L}\p{N}]")), 0)


def cover_artist(title: Column) -> Column:
    """Who performs a cover: 'cover by X', '(X cover)', 'X covers ...' -> normalised X, else null."""
    patterns = (COVER_BY_PATTERN, COVER_BRACKETED_PATTERN, COVERS_PREFIX_PATTERN)
    return _let(
        F.lower(title),
        lambda lowered: _let(
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
    return _let(F.regexp_replace(name, r"^\s*official\s+", ""), normalize_artist)


# --- the feature table ----------------------------------------------------------------


def with_channel_features(df: DataFrame, *, generic_artists: tuple[str, ...] = ()) -> DataFrame:
    """The channel's artist: it backs the title parser and is a comparison of its own."""
    return df.withColumn(
        "channel_artist",
        _let(channel_artist(F.col("channel_name")), lambda a: null_if_generic(a, generic_artists)),
    ).withColumn("channel_artist_key", compact_key(F.col("channel_artist")))


def with_parsed_title(df: DataFrame) -> DataFrame:
    """Run the title parser in stages: ``_parts``, ``_artist_part``, ``_song_part`` (folded).

    Needs ``title``, ``channel_artist_key`` and ``video_kind``. Each stage is a
    column of its own so that Spark plans every step once instead of copying
    it into each later expression. Covers put the song first ("Hello - Adele
    (Cover)") unless a bracket names the performer ("Bu Pleasant - Summertime
    (Abbie Mitchell Cover)").
    """
    song_first = (F.col("video_kind") == "cover") & _cover_performer(
        F.lower(F.col("title")), COVER_BRACKETED_PATTERN
    ).isNull()
    return (
        df.withColumn("_clean", clean_video_title(F.col("title")))
        .withColumn("_quoted", quoted_song(F.col("_clean")))
        .withColumn("_segments", title_segments(F.col("_clean"), F.col("_quoted")))
        .withColumn("_layout", title_layout(F.col("_clean"), F.col("_quoted"), F.col("_segments")))
        .withColumn("_parts", credit_parts(F.col("_segments"), F.col("_layout")))
        .withColumn("_core", song_and_artist_parts(F.col("_parts")))
        .withColumn("_tags", version_tag_parts(F.col("_parts")))
        .withColumn(
            "_artist_first",
            artist_comes_first(
                F.col("_core"), F.col("_layout"), F.col("channel_artist_key"), song_first
            ),
        )
        .withColumn(
            "_artist_part",
            artist_part(F.col("_core"), F.col("_quoted"), F.col("_layout"), F.col("_artist_first")),
        )
        .withColumn(
            "_song_part",
            song_part(
                F.col("_core"),
                F.col("_tags"),
                F.col("_quoted"),
                F.col("_layout"),
                F.col("_artist_first"),
            ),
        )
        .drop("_clean", "_quoted", "_segments", "_layout", "_core", "_tags", "_artist_first")
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
            _let(normalize_text(F.col("_song_part")), lambda t: null_if_generic(t, generic_titles)),
        )
        .withColumn("title_parts", title_parts(F.col("_parts")))
        .withColumn(
            "title_part_keys",
            F.when(F.size("title_parts") > 0, F.transform("title_parts", compact_key)),
        )
        .withColumn(
            "core_title",
            _let(core_title(F.col("_song_part")), lambda t: null_if_generic(t, generic_titles)),
        )
        .withColumn("core_title_key", compact_key(F.col("core_title")))
        .withColumn("title_numbers", title_numbers(F.col("core_title")))
        .withColumn(
            "version_type",
            version_type(
                title_tags(F.col("_song_part")),
                F.array(F.col("_artist_part"), F.col("channel_name")),
            ),
        )
        .withColumn(
            "version_detail",
            F.when(
                F.col("version_type") != "original",
                normalize_text(title_tags(F.col("_song_part"))),
            ),
        )
    )


def with_artist_features(df: DataFrame, *, generic_artists: tuple[str, ...] = ()) -> DataFrame:
    """Artists as the track features have them: the parsed credit first, featured ones after."""
    credited = drop_generic(split_artist_names(F.array(F.col("_artist_part"))), generic_artists)
    from_title = drop_generic(featured_in_title(F.col("_song_part")), generic_artists)
    return (
        df.withColumn(
            "parsed_artist",
            _let(
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
