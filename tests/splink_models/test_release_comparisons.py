"""Table-driven comparison levels: two releases, through the real features, into Splink's SQL.

Every case runs on both backends the model lives on: Spark (where it scores)
and DuckDB (where it is trained), each with the SQL Splink renders for it.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from pyspark.sql import functions as F
from splink.backends.spark import SparkAPI

from features.releases import build_release_features
from features.schemas import RELEASE_INPUT
from splink_models.releases import settings as release_settings

GENERIC = {"artist": ("various artists", "various", "va"), "title": ("untitled",)}
# ten titles, 13 informative words (no stopwords, no artist words)
TRACKS = [
    "Papercut",
    "Crawling",
    "Runaway",
    "Forgotten",
    "Cure for the Itch",
    "Pushing Me Away",
    "Points of Authority",
    "Sanctuary",
    "Headstrong",
    "Remember",
]
OTHER_TRACKS = ["Yesterday", "Michelle", "Girl", "Help", "Julia", "Taxman"]


def _release(release_id, title="Hybrid Theory", artists=("Linkin Park",), tracks=None, **fields):
    return (
        release_id,
        "test",
        title,
        list(artists) if artists is not None else None,
        fields.get("upc"),
        fields.get("release_date"),
        fields.get("release_year"),
        fields.get("label"),
        fields.get("track_count"),
        tracks,
        None,
        None,
    )


# (comparison, left release, right release, expected level label)
CASES = [
    # disc, volume and years: a different number is another part of the set
    (
        "numbering",
        _release("a", "Frankfurt Trance Vol. 04 CD1", ["Various Artists"]),
        _release("b", "Frankfurt Trance Vol 04 (CD 2)", ["Various Artists"]),
        "All other comparisons",
    ),
    (
        "numbering",
        _release("a", "Trance Vol. 3"),
        _release("b", "Trance Volume III"),
        "Same disc, volume and title years",
    ),
    (
        "numbering",
        _release("a", "The Beatles 1962-1966 (CD2)", ["The Beatles"]),
        _release("b", "The Beatles 1967-1970 (CD2)", ["The Beatles"]),
        "All other comparisons",
    ),
    (
        "numbering",  # a year on one side only is no difference (and null-safe on Spark)
        _release("a", "Live at Wembley 1986 (Disc 1)", ["Queen"]),
        _release("b", "Live at Wembley (CD1)", ["Queen"]),
        "Same disc, volume and title years",
    ),
    (
        "numbering",
        _release("a", "A Little South of Sanity (Disc 1)"),
        _release("b", "A Little South of Sanity"),
        "No number named on both sides",
    ),
    # track lists as word sets (13 words in TRACKS)
    (
        "tracks",
        _release("a", tracks=[f"{i:02d} {t}" for i, t in enumerate(TRACKS, 1)]),
        _release("b", tracks=[" ".join(TRACKS).lower()]),
        "Track words Jaccard >= 0.85",
    ),
    (
        "tracks",  # two titles lost, bonus tracks added: 11 words of 15
        _release("a", tracks=TRACKS),
        _release("b", tracks=[*TRACKS[:-2], "Intro", "Dreamer Nights (Bonus Track)"]),
        "Track words Jaccard >= 0.7",
    ),
    (
        "tracks",  # a compilation of the same artist: 10 words of 16
        _release("a", tracks=TRACKS),
        _release("b", "Greatest Hits", tracks=[*TRACKS[:7], "Numb", "Faint", "Somewhere"]),
        "Track words Jaccard >= 0.4, same artist",
    ),
    (
        "tracks",
        _release("a", "Now 45", ["Various Artists"], tracks=TRACKS),
        _release("b", "Now 45", ["VA"], tracks=[*TRACKS[:7], "Numb", "Faint", "Somewhere"]),
        "Track words Jaccard >= 0.4, other or no artist",
    ),
    (
        "tracks",
        _release("a", tracks=TRACKS),
        _release("b", tracks=OTHER_TRACKS),
        "All other comparisons",
    ),
    (
        "tracks",  # a placeholder listing is no evidence
        _release("a", tracks=TRACKS),
        _release("b", tracks=[f"Track {i:02d}" for i in range(1, 11)]),
        "track_tokens is NULL",
    ),
    # artists
    (
        "artists",
        _release("a", artists=["Various Artists"]),
        _release("b", artists=["Various Artists"]),
        "primary_artist_key is NULL",
    ),
    (
        "artists",
        _release("a", artists=["V/A"]),
        _release("b", artists=["Adele"]),
        "primary_artist_key is NULL",
    ),
    (
        "artists",
        _release("a", artists=["The Beatles"]),
        _release("b", artists=["Beatles, The"]),
        "Exact match on primary_artist_key",
    ),
    (
        "artists",
        _release("a", artists=["Paul McCartney & Wings"]),
        _release("b", artists=["Wings"]),
        "Array intersection size >= 1",
    ),
    (
        "artists",
        _release("a", artists=["Villa-Lobos Heitor"]),
        _release("b", artists=["Heitor Villa-Lobos"]),
        "Array subset",
    ),
    (
        "artists",
        _release("a", artists=["Земфира"]),
        _release("b", artists=["Zemfira"]),
        "Exact match on primary_artist_key",
    ),
    (
        "artists",
        _release("a", artists=["Adele"]),
        _release("b", artists=["Metallica"]),
        "All other comparisons",
    ),
    # titles
    (
        "core_title",
        _release("a", "Hitch Hiking (Disc 1)"),
        _release("b", "Hitchhiking"),
        "Exact match on core_title_key",
    ),
    (
        "core_title",
        _release("a", "Hybrid Theory"),
        _release("b", "Hybrid Theroy"),
        "Jaro-Winkler distance of core_title >= 0.92",
    ),
    (
        "core_title",
        _release("a", "Untitled"),
        _release("b", "Untitled"),
        "core_title_key is NULL",
    ),
    (
        "core_title",
        _release("a", "Meteora"),
        _release("b", "Minutes to Midnight"),
        "All other comparisons",
    ),
    # editions: decisive
    (
        "edition",
        _release("a", "Dangerously in Love (Deluxe Edition)"),
        _release("b", "Dangerously in Love"),
        "An edition named on one side only",
    ),
    (
        "edition",
        _release("a", "Dangerously in Love (Deluxe)"),
        _release("b", "Dangerously in Love (Japan Edition)"),
        "All other comparisons",
    ),
    (
        "edition",
        _release("a", "Dangerously in Love (Deluxe)"),
        _release("b", "Dangerously In Love [Deluxe Edition]"),
        "Exact match on edition",
    ),
    (
        "edition",  # a store's format suffix: a single and an EP of one song are two products
        _release("a", "Crazy in Love - Single"),
        _release("b", "Crazy in Love - EP"),
        "All other comparisons",
    ),
    # barcodes
    (
        "upc",
        _release("a", upc="602547202086"),
        _release("b", upc="0602547202086"),
        "Exact match on upc",
    ),
    (
        "upc",  # two barcodes, two products
        _release("a", upc="602547202086"),
        _release("b", upc="886444662345"),
        "All other comparisons",
    ),
    (
        "edition",
        _release("a", "Dangerously in Love"),
        _release("b", "Dangerously in Love"),
        "No edition named on either side",
    ),
    # identifiers and numbers
    (
        "upc",
        _release("a", upc="036000291452"),
        _release("b", upc="0 036000 291452"),
        "Exact match on upc",
    ),
    (
        "upc",
        _release("a", upc="036000291452"),
        _release("b", upc="4006381333931"),
        "All other comparisons",
    ),
    (
        "upc",
        _release("a", upc="036000291452"),
        _release("b", upc="036000291453"),
        "upc is NULL",
    ),
    (
        "track_count",
        _release("a", track_count=12),
        _release("b", tracks=TRACKS),
        "Absolute difference of 'track_count' <= 2",
    ),
    (
        "track_count",
        _release("a", track_count=12),
        _release("b", tracks=[" / ".join(TRACKS)]),
        "track_count is NULL",
    ),
    (
        "release_year",
        _release("a", release_date=dt.date(2000, 10, 24)),
        _release("b", release_year=2000),
        "Exact match on release_year",
    ),
    (
        "release_year",
        _release("a", release_date=dt.date(2000, 10, 24)),
        _release("b", release_year=2001),
        "Absolute difference of 'release_year' <= 1",
    ),
    (
        "label",
        _release("a", label="Warner Bros. Records"),
        _release("b", label="WARNER BROS"),
        "Exact match on label_norm",
    ),
]


@pytest.fixture(scope="module")
def pairs(spark):
    """The features of every case's two releases, side by side (``<column>_l``, ``<column>_r``)."""

    def features(side: int, suffix: str):
        rows = [case[side] for case in CASES]
        feats = build_release_features(
            spark.createDataFrame(rows, RELEASE_INPUT), generic_values=GENERIC
        )
        # the ids repeat from case to case: the position in CASES pairs the two sides
        return (
            feats.coalesce(1)
            .withColumn("i", F.monotonically_increasing_id())
            .select("i", *[F.col(c).alias(f"{c}_{suffix}") for c in feats.columns])
        )

    return features(1, "l").join(features(2, "r"), "i").orderBy("i").cache()


def _levels(rows, comparison) -> dict[int, str]:
    labels = {
        lvl.comparison_vector_value: lvl.label_for_charts for lvl in comparison.comparison_levels
    }
    return {int(i): labels[gamma] for i, gamma in rows}


def _mismatches(levels_by_name):
    return [
        (name, left[2], right[2], levels_by_name[name][i], expected)
        for i, (name, left, right, expected) in enumerate(CASES)
        if levels_by_name[name][i] != expected
    ]


def test_comparison_levels_on_spark(spark, pairs):
    pairs.createOrReplaceTempView("release_pairs")
    SparkAPI(spark_session=spark)  # registers Splink's similarity UDFs (jaro_winkler, ...)
    levels = {}
    for comparison in release_settings.settings().get_settings("spark").comparisons:
        rows = spark.sql(f"select i, {comparison._case_statement} from release_pairs").collect()
        levels[comparison.output_column_name] = _levels(rows, comparison)
    mismatches = _mismatches(levels)
    assert not mismatches, "\n".join(map(str, mismatches))


def test_comparison_levels_on_duckdb(pairs):
    con = duckdb.connect()
    con.register("release_pairs", pairs.toArrow())
    levels = {}
    for comparison in release_settings.settings().get_settings("duckdb").comparisons:
        rows = con.sql(f"select i, {comparison._case_statement} from release_pairs").fetchall()
        levels[comparison.output_column_name] = _levels(rows, comparison)
    mismatches = _mismatches(levels)
    assert not mismatches, "\n".join(map(str, mismatches))


def test_settings_render_in_both_dialects_with_the_same_levels():
    rendered = {
        dialect: release_settings.settings().get_settings(dialect).as_dict()
        for dialect in ("spark", "duckdb")
    }
    shape = {
        dialect: [
            (c["output_column_name"], [lv.get("label_for_charts") for lv in c["comparison_levels"]])
            for c in settings["comparisons"]
        ]
        for dialect, settings in rendered.items()
    }
    assert shape["spark"] == shape["duckdb"]
    assert len(rendered["spark"]["blocking_rules_to_generate_predictions"]) == len(
        rendered["duckdb"]["blocking_rules_to_generate_predictions"]
    )
    # Spark-only SQL would be passed through untranslated: none may be left for DuckDB
    duckdb_sql = " ".join(
        lv["sql_condition"]
        for c in rendered["duckdb"]["comparisons"]
        for lv in c["comparison_levels"]
    )
    assert "size(" not in duckdb_sql and "arrays_overlap" not in duckdb_sql
