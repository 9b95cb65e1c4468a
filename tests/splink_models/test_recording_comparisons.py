"""Table-driven comparison levels: two tracks, through the real features, into Splink's SQL on Spark."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F

from features.schemas import TRACK_INPUT
from features.tracks import build_track_features
from splink_models.recordings import settings as recording_settings
from splink_models.spark_backend import spark_api


def _track(track_id, title, artists, duration_ms=200_000, isrc=None, album=None, year=None):
    date = dt.date(year, 1, 1) if year else None
    return (track_id, "test", title, artists, album, duration_ms, isrc, date, None, None, None)


# (comparison, left track, right track, expected level label)
CASES = [
    (
        "core_title",
        _track("a", "Hey Jude - Remastered 2015", ["X"]),
        _track("b", "Hey Jude", ["X"]),
        "Exact match on core_title, same primary artist",
    ),
    (
        "core_title",
        _track("a", "Hey Jude", ["X"]),
        _track("b", "Hey Jude", None),
        "Exact match on core_title",
    ),
    (
        "core_title",
        _track("a", "Hey Jude", ["X"]),
        _track("b", "Hey Jude", ["Wilson Pickett"]),
        "Exact match on core_title",
    ),
    (
        "core_title",
        _track("a", "Hey Jude", ["X"]),
        _track("b", "Hey Jued", ["X"]),
        "Damerau-Levenshtein distance of core_title <= 1",
    ),
    (
        "core_title",
        _track("a", "Yesterday", ["X"]),
        _track("b", "Tomorrow Never Knows", ["X"]),
        "All other comparisons",
    ),
    (
        "core_title",
        _track("a", "Fine Song 1", ["X"]),
        _track("b", "Fine Song 10", ["X"]),
        "Title numbers differ (Part 1 / Part 2, No. 5 / No. 9)",
    ),
    (
        "core_title",
        _track("a", "Another Brick in the Wall, Pt. II", ["X"]),
        _track("b", "Another Brick in the Wall, Part 1", ["X"]),
        "Title numbers differ (Part 1 / Part 2, No. 5 / No. 9)",
    ),
    (
        "core_title",
        _track("a", "Symphony No.5 (2011 Remaster)", ["X"]),
        _track("b", "Symphony #5", ["X"]),
        "Jaro-Winkler distance of core_title >= 0.92",
    ),
    (
        "core_title",
        _track("a", "Track 1", ["X"]),
        _track("b", "Track 1", ["X"]),
        "core_title is NULL",
    ),
    (
        "version",
        _track("a", "Hey Jude (Live)", ["X"]),
        _track("b", "Hey Jude", ["X"]),
        "Original vs a version (live, remix, ...)",
    ),
    (  # a live album's plain title: the store dropped the tag
        "version",
        _track("a", "Hey Jude (Live)", ["X"], 200_400, album="Live at Leeds"),
        _track("b", "Hey Jude", ["X"], 199_600, album="Live At Leeds [Explicit]"),
        "One side's live/remix/edit tag dropped: same album and length",
    ),
    (  # the same length on another album: two recordings
        "version",
        _track("a", "Hey Jude (Live)", ["X"], album="Live at Leeds"),
        _track("b", "Hey Jude", ["X"], album="Hey Jude"),
        "Original vs a version (live, remix, ...)",
    ),
    (  # another length on the same album: the remix beside its original
        "version",
        _track("a", "Hey Jude (Club Remix)", ["X"], 203_000, album="Hey Jude"),
        _track("b", "Hey Jude", ["X"], 200_000, album="Hey Jude"),
        "Original vs a version (live, remix, ...)",
    ),
    (  # an instrumental keeps the original's length: the same length says nothing
        "version",
        _track("a", "Hey Jude (Instrumental)", ["X"], album="Hey Jude"),
        _track("b", "Hey Jude", ["X"], album="Hey Jude"),
        "Original vs a version (live, remix, ...)",
    ),
    (
        "version",
        _track("a", "Levels (Skrillex Remix)", ["X"]),
        _track("b", "Levels (Nicky Romero Remix)", ["X"]),
        "Same version type, tags name other remixers, venues or takes",
    ),
    (
        "version",
        _track("a", "Song - Live at Wembley 1986", ["X"]),
        _track("b", "Song (Live from Paris)", ["X"]),
        "Same version type, tags name other remixers, venues or takes",
    ),
    (
        "version",
        _track("a", "Song - Live at Wembley 1986", ["X"]),
        _track("b", "Song (Live at Wembley)", ["X"]),
        "Same version type, different tag (e.g. two remixes)",
    ),
    (
        "version",
        _track("a", "Levels (Skrillex Remix)", ["X"]),
        _track("b", "Levels (Skrilex Remix) [feat. Y]", ["X"]),  # a slip, not another remixer
        "Same version type, different tag (e.g. two remixes)",
    ),
    (
        "version",
        _track("a", "Levels (Remix)", ["X"]),
        _track("b", "Levels (Skrillex Remix)", ["X"]),
        "Same version type, different tag (e.g. two remixes)",
    ),
    (
        "version",
        _track("a", "Song (Live)", ["X"]),
        _track("b", "Song (Karaoke Version)", ["X"]),
        "All other comparisons",
    ),
    (
        "version",
        _track("a", "Song (2011 Remaster)", ["X"]),
        _track("b", "Song (Mono)", ["X"]),
        "Same version",
    ),
    (
        "core_title",
        _track("a", "Runaway Train Cam Country Music Honky Tonk 3:01", None),
        _track("b", "Runaway Train", ["Cam"]),
        "One title inside the other's (more crammed into it)",
    ),
    (
        "core_title",
        _track("a", "Crazy Love Song", ["X"]),
        _track("b", "Love", ["X"]),  # too short to say anything when found inside
        "All other comparisons",
    ),
    (
        "artist_in_title",
        _track("a", "Runaway Train Cam Country Music", None),
        _track("b", "Runaway Train", ["Cam"]),
        "The other side's artist is in the title",
    ),
    (
        "artist_in_title",
        _track("a", "Runaway Train Country Music", None),
        _track("b", "Runaway Train", ["Cam"]),
        "All other comparisons",
    ),
    (
        "artist_in_title",
        _track("a", "Runaway Train Cam", ["Cam"]),
        _track("b", "Runaway Train", ["Cam"]),
        "Both sides have an artist, or neither",
    ),
    (
        "duration",
        _track("a", "Runaway Train Cam 3:01", None, None),
        _track("b", "Runaway Train", ["Cam"], 181_500),
        "Absolute difference of 'duration_s' <= 1",
    ),
    (
        "artists",
        _track("a", "S", ["Beyoncé"]),
        _track("b", "S", ["Beyonce"]),
        "Exact match on primary_artist_key",
    ),
    (
        "artists",
        _track("a", "S", ["The Beatles"]),
        _track("b", "S", ["Beatles, The"]),
        "Exact match on primary_artist_key",
    ),
    (
        "artists",
        _track("a", "S (feat. Jay-Z)", ["Beyoncé"]),
        _track("b", "S", ["Jay-Z", "Beyoncé"]),
        "At least one artist in common",
    ),
    (
        "artists",
        _track("a", "S", ["Various Artists"]),
        _track("b", "S", ["Various Artists"]),
        "artists is NULL",
    ),
    (
        "artists",
        _track("a", "S", ["Adele"]),
        _track("b", "S", ["Metallica"]),
        "All other comparisons",
    ),
    (
        "duration",
        _track("a", "S", ["X"], 200_000),
        _track("b", "S", ["X"], 201_500),
        "Absolute difference of 'duration_s' <= 3",
    ),
    (
        "duration",
        _track("a", "S", ["X"], 200_000),
        _track("b", "S", ["X"], 260_000),
        "All other comparisons",
    ),
    (
        "duration",
        _track("a", "S", ["X"], -1),
        _track("b", "S", ["X"], 200_000),
        "duration_s is NULL",
    ),
    (
        "isrc",
        _track("a", "S", ["X"], isrc="GB-AYE-68-00531"),
        _track("b", "S", ["X"], isrc="gbaye6800531"),
        "Exact match on isrc",
    ),
    (
        "isrc",
        _track("a", "S", ["X"], isrc="GBAYE6800531"),
        _track("b", "S", ["X"], isrc="GBAYE6800532"),
        "All other comparisons",
    ),
    (
        "isrc",
        _track("a", "S", ["X"], isrc="GBAYE6800531"),
        _track("b", "S", ["X"], isrc="bad"),
        "isrc is NULL",
    ),
    (
        "album",
        _track("a", "S", ["X"], album="Abbey Road (Remastered)"),
        _track("b", "S", ["X"], album="Abbey Road"),
        "Exact match on album_norm",
    ),
    (
        "release_year",
        _track("a", "S", ["X"], year=2011),
        _track("b", "S", ["X"], year=2013),
        "Absolute difference of 'release_year' <= 2",
    ),
]


def test_comparison_levels(spark):
    generic = {"artist": ("various artists",), "title": ("track 1",)}
    lefts = [c[1] for c in CASES]
    rights = [c[2] for c in CASES]
    feats_l = build_track_features(
        spark.createDataFrame(lefts, TRACK_INPUT), generic_values=generic
    )
    feats_r = build_track_features(
        spark.createDataFrame(rights, TRACK_INPUT), generic_values=generic
    )
    index = spark.createDataFrame([(i,) for i in range(len(CASES))], "i int")
    with_i = lambda df, side: df.select(  # noqa: E731
        *[F.col(c).alias(f"{c}_{side}") for c in df.columns]
    ).withColumn("i", F.monotonically_increasing_id())
    pairs = (
        with_i(feats_l.coalesce(1), "l")
        .join(with_i(feats_r.coalesce(1), "r"), "i")
        .join(index.withColumn("i", F.col("i").cast("long")), "i")
    )
    pairs.createOrReplaceTempView("pairs")
    spark_api(spark)  # registers Splink's similarity UDFs (jaro_winkler, damerau_levenshtein)
    gammas = {}
    comparisons = recording_settings.settings().get_settings("spark").comparisons
    for comparison in comparisons:
        name = comparison.output_column_name
        rows = spark.sql(f"select i, {comparison._case_statement} from pairs").collect()
        levels = {
            lvl.comparison_vector_value: lvl.label_for_charts
            for lvl in comparison.comparison_levels
        }
        gammas[name] = {r["i"]: levels[r[1]] for r in rows}
    mismatches = [
        (name, left[2], right[2], gammas[name][i], expected)
        for i, (name, left, right, expected) in enumerate(CASES)
        if gammas[name][i] != expected
    ]
    assert not mismatches, "\n".join(map(str, mismatches))
