"""Artist and song read out of a free-text title: one parser for video titles and track titles.

A title written for people ("Queen - Bohemian Rhapsody (Live Aid 1985)",
"Hello | Adele", "Stand by Me by Ben E. King") names its song and often its
artist. The parser cuts it at its separators and decides, by the rules below,
which part is the artist, which the song and which are version tags. Callers
clean the title first (``features.videos.clean_video_title`` removes platform
noise) and may pass the artist they already know (a video's channel, a
track's credited artist): the part it names is the artist.

Rules, first match wins:

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
   song. Who is who: the part whose first artist is the artist the caller
   knows (a video's channel, a track's credited artist) is the artist; else
   a part with a song bracket (``(feat. X)``, ``(Live)``, ``(Remix)``) is the
   song; else the first separator decides: a dash, colon, slash or bullet
   puts the artist first ("Artist - Title", "Artist: Title"), a pipe or
   ``//`` puts the song first ("Title | Artist", "Title || Artist lyrics HD":
   the usual uploader shape; "Artist | Title" needs the known artist or a
   song bracket). Covers put the song first too ("Hello - Adele (Cover)"),
   unless a bracket names a performer ("Jane Roe - Summertime (Ella
   Fitzgerald Cover)"). (A video title with none of these separators gets one
   where the uploader's dash was lost before it comes here:
   ``features.videos.restore_lost_separator``.)
5. ``Title by Artist`` when nothing else cut the title ("Stand by Me", "Stand by
   Your Man" stay whole: "by" before a pronoun does not cut).
6. Otherwise there is no artist and the song is the whole cleaned title.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from features.artists import split_artist_names
from features.text import compact_key, empty_to_null, let, normalize_text

# Java regex pieces. Word edges are explicit because Java's \b and \w disagree
# on non-ASCII letters.
WORD_START = r"(?<![\p{L}\p{N}])"
WORD_END = r"(?![\p{L}\p{N}])"
OPEN_BRACKET, CLOSE_BRACKET = r"[\(\[\{【]", r"[\)\]\}】]"
NOT_BRACKET = r"[^\(\)\[\]\{\}【】]"
SEPARATOR_CHARS = r"\s\-–—~|｜:：/•·,.!"

# --- separators and parsing ---------------------------------------------------------

# Separators that cut a title into parts, never inside brackets ("(Remix - Radio Edit)").
SEGMENT_SEPARATOR = (
    r"(?:\s*[|｜]+\s*|\s*//+\s*|\s+[-~]+\s*|\s*[-~]+\s+|\s*[–—]+\s*|(?<!\d)[:：]\s+"
    rf"|\s+/\s+|\s*[•·]\s*)(?!{NOT_BRACKET}*{CLOSE_BRACKET})"
)
TITLE_FIRST_SEPARATOR = r"[|｜]|//"
# "Title by Artist"; "Stand by Me", "Stand by Your Man" are songs, not credits.
BY_SEPARATOR = (
    r"\s+by\s+(?!(?:me|you|your|my|his|her|our|their|us|them|him|myself|yourself|the way)"
    + WORD_END
    + ")"
)
CJK_TITLE_PATTERN = r"^(.*?)[「『《〈]([^」』》〉]+)[」』》〉](.*)$"
LENTICULAR_ARTIST_PATTERN = r"^\s*【([^】]+)】\s*(.+)$"
DOUBLE_QUOTE_PATTERN = r"^(.*?)[\"“”„«»]([^\"“”„«»]+)[\"“”„«»](.*)$"
SINGLE_QUOTE_PATTERN = r"^(|.*?\s)['‘](.{2,}?)['’](?=$|[\s\(\[\-–—|:,.!?])(.*)$"
BRACKETED_PART = rf"{OPEN_BRACKET}{NOT_BRACKET}*{CLOSE_BRACKET}"
# "Live at Wembley", "Live @ KEXP"; not "Live in the Moment" or "Live On" (songs).
LIVE_PLACE_PATTERN = (
    r"live\s+(?:(?:at|from|aid|session|performance|version|recording|concert|show|stream"
    r"|(?:19|20)\d{2})"
    + WORD_END
    + r"|@|in\s+(?!the"
    + WORD_END
    + r")|on\s+(?:stage|tv|air)"
    + WORD_END
    + ")"
)
# A part after the first that is a version tag, not an artist or a song.
TAG_SEGMENT_PATTERN = (
    rf"^(?:live|{LIVE_PLACE_PATTERN}.*"
    r"|(?:\S+\s+){0,2}(?:remix|rmx|mix|edit|version|re-?recorded|re-?recording|rework|bootleg)"
    r"(?:\s+(?:19|20)\d{2})?"
    r"|(?:acoustic|instrumental|karaoke|unplugged|demo|extended|mono|stereo|radio edit"
    r"|bonus track)" + WORD_END + r".*"
    r"|(?:from|feat\.?|ft\.?|featuring|in the style of|(?:originally )?performed by"
    r"|(?:as )?made famous by)\s.+"
    rf"|{BRACKETED_PART})$"
)
# A first part that is only a version word ("Karaoke - Song - Artist"): a tag too.
LEADING_TAG_PATTERN = r"^(?:karaoke|instrumental|acoustic|live|remix|demo)(?:\s+version)?$"
# A bracket that belongs to a song, not to an artist: decides who is who.
TITLE_BRACKET_PATTERN = (
    rf"{OPEN_BRACKET}{NOT_BRACKET}*{WORD_START}(?:feat|ft|featuring|live|remix|mix|version|edit|acoustic"
    rf"|instrumental|karaoke|demo){WORD_END}{NOT_BRACKET}*{CLOSE_BRACKET}"
)
# Version phrases written without brackets become a dash tag, so the track
# functions (title_tags, core_title) see them: "title karaoke version" -> "title - karaoke version".
UNBRACKETED_VERSION_PATTERN = (
    r"\s+((?:karaoke|instrumental|acoustic|piano|orchestral|extended|radio)\s+(?:version|mix|edit)"
    rf"|karaoke|[\p{{L}}\p{{N}}]+\s+remix|{LIVE_PLACE_PATTERN}.*)$"
)


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


def first_artist_key(part: Column) -> Column:
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
        channel_key.isNotNull(), F.transform(F.slice(core_parts, 1, 2), first_artist_key)
    )
    decided = let(artist_keys, decide)
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
    return empty_to_null(artist)


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
    return empty_to_null(tagged)


def title_parts(parts: Column) -> Column:
    """Normalised, distinct, non-empty title parts: any one may be the song or the artist."""
    normalized = F.transform(F.coalesce(parts, F.array().cast("array<string>")), normalize_text)
    return F.array_distinct(F.filter(normalized, lambda p: p.isNotNull()))


def parse_title(
    df: DataFrame,
    clean_title: Column,
    artist_key: Column | None = None,
    song_first: Column | None = None,
    where: Column | None = None,
) -> DataFrame:
    """Run the parser in stages: adds ``_parts``, ``_artist_part`` and ``_song_part`` (folded).

    ``clean_title`` is the folded title to read; ``artist_key`` the compact key
    of an artist the record already names (the part it names is the artist);
    ``song_first`` turns the separator's default round (covers). Each stage is
    a column of its own so that Spark plans every step once instead of copying
    it into each later expression. ``where``: only these rows are parsed, the
    others get nulls; every stage is guarded, so a row left out runs none of
    the parser's functions (the code is still generated into the caller's
    stage: see features.tracks.with_title_credit for what that costs).
    """
    col = F.col
    stages = [
        ("_clean", lambda: clean_title),
        ("_quoted", lambda: quoted_song(col("_clean"))),
        ("_segments", lambda: title_segments(col("_clean"), col("_quoted"))),
        ("_layout", lambda: title_layout(col("_clean"), col("_quoted"), col("_segments"))),
        ("_parts", lambda: credit_parts(col("_segments"), col("_layout"))),
        ("_core", lambda: song_and_artist_parts(col("_parts"))),
        ("_tags", lambda: version_tag_parts(col("_parts"))),
        (
            "_artist_first",
            lambda: artist_comes_first(col("_core"), col("_layout"), artist_key, song_first),
        ),
        (
            "_artist_part",
            lambda: artist_part(col("_core"), col("_quoted"), col("_layout"), col("_artist_first")),
        ),
        (
            "_song_part",
            lambda: song_part(
                col("_core"), col("_tags"), col("_quoted"), col("_layout"), col("_artist_first")
            ),
        ),
    ]
    for name, stage in stages:
        df = df.withColumn(name, stage() if where is None else F.when(where, stage()))
    return df.drop("_clean", "_quoted", "_segments", "_layout", "_core", "_tags", "_artist_first")
