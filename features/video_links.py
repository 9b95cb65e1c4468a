"""The common view that videos and tracks are linked through (Splink link_only).

Splink compares two tables column by column, so both sides are mapped onto
one shape. Roles differ by side and the comparisons know it from
``is_video``: on a video, ``title_keys`` holds every part its title was cut
into (the song may be on either side of the dash) and ``performer_keys``
holds who performs on the video (the channel, and each artist it names), as opposed
to ``artist_keys``, the artist the title names; on a track, ``title_keys``
is its core title alone and ``performer_keys`` is empty. ``part_artist_keys``
reads every part of a video title as an artist credit, for titles written
the wrong way round ("Song - Artist"). ``first_year`` is when each side
appeared: the year a video was published, the year a recording group was
first released (its earliest member), since a video cannot show a recording
made after it went up. ``performance_keys`` say where and when a live take
was performed (a group's: every member's, as some members carry no tag).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from features.artists import split_artist_names
from features.text import compact_key
from features.tracks import performance_keys

LINK_VIEW_COLUMNS: tuple[str, ...] = (
    "link_id",
    "is_video",
    "group_id",
    "core_title",
    "core_title_key",
    "title_numbers",
    "title_keys",
    "artist_keys",
    "primary_artist",
    "primary_artist_key",
    "performer_keys",
    "part_artist_keys",
    "version_type",
    "video_kind",
    "duration_s",
    "isrc",
    "first_year",
    "performance_keys",
)


def non_empty_keys(*arrays: Column) -> Column:
    """Distinct non-null keys of several arrays, or null when there are none."""
    merged = F.array_distinct(
        F.filter(
            F.flatten(F.array(*[F.coalesce(a, F.array().cast("array<string>")) for a in arrays])),
            lambda k: k.isNotNull() & (F.length(k) > 0),
        )
    )
    return F.when(F.size(merged) > 0, merged)


def track_link_view(
    track_features: DataFrame, groups: DataFrame, *, id_column: str, group_column: str
) -> DataFrame:
    """Tracks with their recording group (as ``group_id``), in the link view's shape.

    ``id_column`` and ``group_column`` are the track entity's, from its config.
    """
    group = Window.partitionBy(group_column)
    return (
        track_features.join(groups.select(id_column, group_column), id_column, "inner")
        .select(
            F.col(id_column).alias("link_id"),
            F.lit(False).alias("is_video"),
            F.col(group_column).alias("group_id"),
            "core_title",
            "core_title_key",
            "title_numbers",
            non_empty_keys(F.array("core_title_key")).alias("title_keys"),
            "artist_keys",
            "primary_artist",
            "primary_artist_key",
            F.lit(None).cast("array<string>").alias("performer_keys"),
            F.lit(None).cast("array<string>").alias("part_artist_keys"),
            "version_type",
            F.lit(None).cast("string").alias("video_kind"),
            "duration_s",
            "isrc",
            F.min("release_year").over(group).alias("first_year"),
            F.array_distinct(
                F.flatten(F.collect_list(performance_keys(F.col("version_detail"))).over(group))
            ).alias("_performance"),
        )
        .withColumn("performance_keys", F.when(F.size("_performance") > 0, F.col("_performance")))
        .drop("_performance")
    )


def video_link_view(video_features: DataFrame, *, id_column: str = "video_id") -> DataFrame:
    """Videos in the link view's shape (VIDEO_FEATURES in)."""
    return video_features.select(
        F.col(id_column).alias("link_id"),
        F.lit(True).alias("is_video"),
        F.lit(None).cast("string").alias("group_id"),
        "core_title",
        "core_title_key",
        "title_numbers",
        non_empty_keys(F.col("title_part_keys"), F.array("core_title_key")).alias("title_keys"),
        "artist_keys",
        "primary_artist",
        "primary_artist_key",
        # not cover_artist: in "(X cover)" X is more often the original artist
        non_empty_keys(
            F.array("channel_artist_key"),
            F.transform(split_artist_names(F.array("channel_artist")), compact_key),
        ).alias("performer_keys"),
        # each title part read as an artist credit: "Song - A & B (Lyrics)" -> a, b
        non_empty_keys(F.transform(split_artist_names(F.col("title_parts")), compact_key)).alias(
            "part_artist_keys"
        ),
        "version_type",
        "video_kind",
        "duration_s",
        "isrc",
        F.col("published_year").alias("first_year"),
        performance_keys(F.col("version_detail")).alias("performance_keys"),
    )
