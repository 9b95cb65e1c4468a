"""Work features for SongDNA: recording groups as songs, compared across covers and versions.

A work's record is one recording group (``work_rows``, the ``derived``
builder): every title its tracks carry, their artists, the valid ISWCs they
carry and, through those ISWCs, what a publisher's works feed says (its
titles, translations included, and its writers). ``build_work_features``
turns those into what the works model compares: every title variant
(features.work_titles), their words, the ISWCs, writer and artist keys.
Version tags are out of the titles: a live take and a cover are the same
work under the same title.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from features.quality import FieldRule, RecordRule, title_required
from features.schemas import WORK_FEATURES
from features.text import (
    compact_key,
    normalize_text,
    normalized_constants,
    null_if_generic,
    title_numbers,
)
from features.tracks import valid_iswc
from features.work_titles import core_work_title, work_title_variants


def _empty() -> Column:
    return F.array().cast("array<string>")

# Words too common to say which song a title names ("love" is not among them:
# a word in many titles is still a word of the title).
TITLE_STOPWORDS = ("the", "a", "an", "of", "and", "in", "on", "to", "for", "my", "me", "you")


def work_rows(
    features: DataFrame,
    groups: DataFrame,
    *,
    id_column: str,
    group_column: str,
    feed: DataFrame | None = None,
    credits: DataFrame | None = None,
) -> DataFrame:
    """One WORK_INPUT row per recording group (the ``derived`` builder of works).

    ``features`` and ``groups`` are the track entity's (TRACK_FEATURES and its
    groups table; ``id_column``/``group_column`` its config's). ``feed`` is a
    works feed (WORK_FEED) or None; a row of it meets a group by a valid ISWC
    and a title variant in common (its main or an alternative title).
    ``credits`` (TRACK_CREDITS) or None: the writers (WRITER_ROLES) the
    group's tracks credit join the feed's.
    """
    rep = F.col(id_column) == F.col(f"representative_{id_column}")
    members = features.join(
        groups.select(id_column, group_column, f"representative_{id_column}"), id_column
    )
    rows = members.groupBy(group_column).agg(
        F.max(F.when(rep, F.col("title"))).alias("title"),
        F.array_sort(F.array_distinct(F.collect_list("title"))).alias("titles"),
        F.array_sort(F.array_distinct(F.flatten(F.collect_list("artists_norm")))).alias("artists"),
        F.mode("primary_artist", deterministic=True).alias("primary_artist"),
        F.array_sort(F.array_distinct(F.collect_list("iswc"))).alias("iswcs"),
        _version_of_group().alias("version_type"),
        # the ISRC's year is when the recording was registered: a re-release's
        # group (or one without dates) still dates from its recording
        F.least(F.min("release_year"), F.min("isrc_year")).alias("first_year"),
        F.median("duration_s").alias("duration_s"),
        F.count("*").alias("n_tracks"),
    )
    rows = rows.join(
        _credited_writers(members, credits, id_column, group_column), group_column, "left"
    )
    if feed is None:
        return rows.withColumnRenamed(group_column, "recording_group_id").withColumn(
            "feed_titles", F.lit(None).cast("array<string>")
        )
    listed = feed.select(
        valid_iswc(F.col("iswc")).alias("iswc"),
        F.concat(F.array("title"), F.coalesce("alternative_titles", _empty())).alias("_titles"),
        F.coalesce("writers", _empty()).alias("_writers"),
    ).where(F.col("iswc").isNotNull())
    # A feed row speaks for a group only when one of the group's own titles is
    # one of the row's: a track with a wrong ISWC must not borrow another
    # work's titles and writers (they would repeat the ISWC's evidence).
    own = F.transform("titles", work_title_variants)
    listed_variants = F.transform("_titles", work_title_variants)
    confirmed = F.size(F.array_intersect(F.flatten(own), F.flatten(listed_variants))) > 0
    from_feed = (
        rows.select(group_column, "titles", F.explode("iswcs").alias("iswc"))
        .join(listed, "iswc")
        .where(confirmed)
        .groupBy(group_column)
        .agg(
            F.array_sort(F.array_distinct(F.flatten(F.collect_list("_titles")))).alias(
                "feed_titles"
            ),
            F.array_sort(F.array_distinct(F.flatten(F.collect_list("_writers")))).alias(
                "_feed_writers"
            ),
        )
    )
    writers = F.array_sort(
        F.array_distinct(
            F.concat(F.coalesce("writers", _empty()), F.coalesce("_feed_writers", _empty()))
        )
    )
    return (
        rows.join(from_feed, group_column, "left")
        .withColumn("writers", F.when(F.size(writers) > 0, writers))
        .drop("_feed_writers")
        .withColumnRenamed(group_column, "recording_group_id")
    )


# credit roles that name a song's writers (TRACK_CREDITS.role, compared lower case)
WRITER_ROLES = ("writer", "composer", "lyricist", "songwriter", "author", "composer/lyricist")


def _credited_writers(
    members: DataFrame, credits: DataFrame | None, id_column: str, group_column: str
) -> DataFrame:
    """(group, writers): the names the group's tracks credit as writers (null: none)."""
    if credits is None:
        return (
            members.select(group_column)
            .distinct()
            .withColumn("writers", F.lit(None).cast("array<string>"))
        )
    named = credits.where(F.lower(F.trim("role")).isin(*WRITER_ROLES)).select(
        F.col("track_id").alias(id_column), F.trim("name").alias("_name")
    )
    return (
        members.select(id_column, group_column)
        .join(named.where(F.length("_name") > 0), id_column)
        .groupBy(group_column)
        .agg(F.array_sort(F.array_distinct(F.collect_list("_name"))).alias("writers"))
    )


# Album names that say what every track on them is: "Live at Wembley", "MTV Unplugged",
# "Karaoke Hits Vol. 3" (checked in this order; remix albums hold originals too).
ALBUM_VERSIONS = (
    ("karaoke", r"\bkaraoke\b|sing ?along"),
    ("live", r"\blive\b|in concert|unplugged"),
    ("acoustic", r"\bacoustic\b"),
)


# A title that says it is a cover: "Song (Cover)", "Song [Acoustic Cover]", "Song - Cover Version"
COVER_TAG_PATTERN = r"(?i)[\(\[][^\)\]]*\bcover\b[^\)\]]*[\)\]]|\s[-–—]\s.*\bcover\b"


def _version_of_group() -> Column:
    """The version type most of the group's tagged tracks carry, else what its albums say.

    The recordings model keeps a live take apart from the studio recording,
    so one tagged track says what the whole group is ("cover" when a title
    says so, COVER_TAG_PATTERN); a live album often prints the plain title,
    and then its name says it ("Live in Paris"). Otherwise "original".
    """
    tagged = F.when(F.col("version_type") != "original", F.col("version_type")).when(
        F.col("title").rlike(COVER_TAG_PATTERN), F.lit("cover")
    )
    album = None
    for version, pattern in ALBUM_VERSIONS:
        cond = F.coalesce(F.col("album_norm").rlike(pattern), F.lit(False))
        album = F.when(cond, version) if album is None else album.when(cond, version)
    return F.coalesce(
        F.mode(tagged, deterministic=True), F.mode(album, deterministic=True), F.lit("original")
    )


def _variants(titles: Column, generic_titles: tuple[str, ...]) -> Column:
    """Every title variant of every title, generic ones ("intro", "untitled") out."""
    variants = F.array_distinct(F.flatten(F.transform(titles, work_title_variants)))
    generic = normalized_constants(normalize_text, generic_titles)
    return F.filter(variants, lambda v: v.isNotNull() & ~v.isin(*generic)) if generic else variants


def _words(variants: Column) -> Column:
    words = F.flatten(F.transform(variants, lambda v: F.split(v, " ")))
    return F.array_sort(
        F.array_distinct(F.filter(words, lambda w: (F.length(w) > 1) & ~w.isin(*TITLE_STOPWORDS)))
    )


# "(Originally Performed by X)", "[In the Style of X]", "(As Made Famous by X)", "(X cover)":
# karaoke and tribute titles name the performer they copy.
NAMED_PERFORMER_PATTERN = (
    r"(?i)(?:originally performed by|in the style of|(?:as )?made famous by|"
    r"as performed by|tribute to)\s+([^\)\]\}]+)"
)


def named_performers(titles: Column) -> Column:
    """The performers a group's titles name as the ones they copy, normalised to keys."""
    named = F.flatten(
        F.transform(titles, lambda t: F.regexp_extract_all(t, F.lit(NAMED_PERFORMER_PATTERN), 1))
    )
    return F.filter(
        F.transform(named, lambda n: compact_key(normalize_text(n))), lambda k: k.isNotNull()
    )


def person_key(name: Column) -> Column:
    """'Max Martin' and 'Martin, Max' -> 'max martin' (one comma turns the name round)."""
    turned = F.when(
        F.size(F.split(name, ",")) == 2,
        F.concat_ws(" ", F.split(name, ",").getItem(1), F.split(name, ",").getItem(0)),
    ).otherwise(name)
    return normalize_text(turned)


def initial_key(key: Column) -> Column:
    """'max martin' and 'm martin' -> 'm martin': first initial and last name."""
    words = F.split(key, " ")
    return F.when(
        F.size(words) >= 2,
        F.concat_ws(" ", F.substring(words.getItem(0), 1, 1), F.element_at(words, -1)),
    ).otherwise(key)


def build_work_features(
    rows: DataFrame, *, generic_values: Mapping[str, tuple[str, ...]] | None = None
) -> DataFrame:
    """WORK_INPUT -> WORK_FEATURES: the comparison-ready view of each recording group."""
    generic = generic_values or {}
    generic_titles = tuple(generic.get("title", ()))
    generic_artists = tuple(generic.get("artist", ()))
    all_titles = F.concat(F.coalesce("titles", _empty()), F.coalesce("feed_titles", _empty()))
    artists = F.filter(
        F.transform(
            F.coalesce("artists", _empty()),
            lambda a: compact_key(null_if_generic(normalize_text(a), generic_artists)),
        ),
        lambda a: a.isNotNull(),
    )
    feats = (
        rows.withColumn("title_variants", _variants(all_titles, generic_titles))
        # two steps: null_if_generic reads its value twice, and the core's expression is big
        .withColumn("core_title", core_work_title(F.col("title")))
        .withColumn("core_title", null_if_generic(F.col("core_title"), generic_titles))
        .withColumn("core_title_key", compact_key(F.col("core_title")))
        .withColumn("title_numbers", title_numbers(F.col("core_title")))
        .withColumn("title_tokens", _words(F.col("title_variants")))
        .withColumn("iswcs", F.coalesce("iswcs", _empty()))
        .withColumn("iswc", F.array_min("iswcs"))
        .withColumn(
            "writer_keys",
            F.array_sort(F.array_distinct(F.transform(F.coalesce("writers", _empty()), person_key))),
        )
        .withColumn(
            "writer_initial_keys",
            F.array_sort(F.array_distinct(F.transform("writer_keys", initial_key))),
        )
        .withColumn(
            "artist_keys",
            F.array_sort(
                F.array_distinct(F.concat(artists, named_performers(F.coalesce("titles", _empty()))))
            ),
        )
        .withColumn(
            "primary_artist_key",
            compact_key(null_if_generic(normalize_text(F.col("primary_artist")), generic_artists)),
        )
    )
    empty_to_null = (
        "title_variants",
        "title_tokens",
        "iswcs",
        "writer_keys",
        "writer_initial_keys",
        "artist_keys",
    )
    for name in empty_to_null:  # an empty list is no evidence: null, as Splink reads it
        feats = feats.withColumn(name, F.when(F.size(name) > 0, F.col(name)))
    return feats.select(*[f.name for f in WORK_FEATURES.fields])


def work_rules() -> tuple[list[RecordRule], list[FieldRule]]:
    """A group row needs an id and a title; bad values were quarantined on the tracks."""
    return [title_required()], []


def work_summary(features: DataFrame) -> Column:
    """'Title | artist, artist | 1998 | live | T0345246801' for error reports."""
    return F.concat_ws(
        " | ",
        features["title"],
        F.array_join(features["artist_keys"], ", "),
        features["first_year"].cast("string"),
        features["version_type"],
        F.array_join(features["iswcs"], ", "),
        F.concat(features["n_tracks"].cast("string"), F.lit(" tracks")),
    )
