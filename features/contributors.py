"""Contributor features for SongDNA: the people credited on tracks, compared across spellings.

A contributor record is one distinct credited name (with the IPI and ISNI
given beside it, in one role class: writing, production, performance) in one
track neighbourhood, the primary artist of the
tracks that credit it (``contributor_rows``, the ``derived`` builder). Not
one record per credit: a main artist is credited on every one of their
tracks, and a prolific writer on thousands; per credit, the name blocks
would grow with the square of a career. Per name and neighbourhood, a
career is a handful of records (one per spelling and artist worked with),
and each record gathers its credits' evidence: the other names credited
beside it (performers and writers), the recording groups and ISWCs of its tracks, its roles.

Credits come from the credits table (TRACK_CREDITS) and from the tracks
themselves: every artist a track credits (``artists_norm``: the artists
field split on "feat.", "&", ... and the featured artists its title names)
is a main or featured artist credit.

``build_contributor_features`` turns a name into what the contributors
model compares: folded and transliterated, a country suffix ("(SE)") and
"& His Orchestra" out, "Last, First" turned round; then its compact key, its
words in order-free form, its initial key ("M. Martin" meets "Max Martin"),
the valid IPI and ISNI, and the co-credit keys.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from features.identifiers import ipi_check_ok, isni_check_ok, normalize_ipi, normalize_isni
from features.quality import FieldRule, RecordRule, ipi_rules, is_blank, isni_rules
from features.schemas import CONTRIBUTOR_FEATURES
from features.text import blank_to_null, compact_key, fold_case_and_accents, normalize_folded

# Evidence lists are capped: a record's co-credits, groups and ISWCs beyond this many
# add little and would make the most credited records' rows large.
MAX_EVIDENCE = 64
MAIN_ARTIST, FEATURED_ARTIST = "main artist", "featured artist"
# role -> class: a person credited as writer on one track and lyricist on another
# is not a contradiction; a role class in common is weak evidence of one person
ROLE_CLASSES = {
    "writer": "writing",
    "composer": "writing",
    "lyricist": "writing",
    "songwriter": "writing",
    "author": "writing",
    "composer/lyricist": "writing",
    "producer": "production",
    "mixer": "production",
    "engineer": "production",
    "remixer": "production",
    "performer": "performance",
    MAIN_ARTIST: "performance",
    FEATURED_ARTIST: "performance",
}
# "Max Martin (SE)", "Tommy Dorsey & His Orchestra": suffixes that do not name the person
_SUFFIXES = (
    r"\s*\(\s*[a-z]{2}\s*\)\s*$",
    r"\s*(?:&|and)\s+(?:his|her|their)\s+(?:orchestra|band|group|trio|quartet)\s*$",
)
_INVERTED = r"^([^,]+),\s*([^,]+)$"  # "Martin, Max" (not "Beatles, The": handled first)


def artist_credit_id(track_id: str, position: int) -> str:
    """The credit id of a track's ``position``-th artist (0: its primary artist)."""
    return f"{track_id}#a{position}"


def _artist_credit_id(track_id: Column, position: Column) -> Column:
    return F.concat(track_id, F.lit("#a"), position.cast("string"))


def role_class(role: Column) -> Column:
    """ROLE_CLASSES of a lower-case role; "other" for a role it does not list."""
    classes = F.create_map(*[F.lit(x) for pair in ROLE_CLASSES.items() for x in pair])
    return F.coalesce(F.try_element_at(classes, role), F.lit("other"))


def normalize_person(name: Column) -> Column:
    """A credited name, comparable: folded, suffixes out, "Last, First" -> "first last"."""
    folded = fold_case_and_accents(F.trim(name))
    for suffix in _SUFFIXES:
        folded = F.regexp_replace(folded, suffix, "")
    folded = F.regexp_replace(folded, r",\s*the\s*$", "")
    turned = F.when(folded.rlike(_INVERTED), F.regexp_replace(folded, _INVERTED, "$2 $1"))
    return F.regexp_replace(normalize_folded(F.coalesce(turned, folded)), r"^the ", "")


def credit_rows(
    features: DataFrame, credits: DataFrame | None, *, id_column: str
) -> DataFrame:
    """Every credit: (credit_id, track_id, name, role, instrument, ipi, isni), role in lower case.

    The tracks' artists (``artists_norm`` of TRACK_FEATURES: the first a main
    artist, the others featured) and the rows of ``credits`` (TRACK_CREDITS,
    or None). A credit without a credit_id gets one from its track, role, name
    and instrument.
    """
    artists = features.select(
        id_column, F.posexplode(F.coalesce("artists_norm", F.array().cast("array<string>")))
    ).select(
        _artist_credit_id(F.col(id_column), F.col("pos")).alias("credit_id"),
        F.col(id_column).alias("track_id"),
        F.col("col").alias("name"),
        F.when(F.col("pos") == 0, F.lit(MAIN_ARTIST))
        .otherwise(F.lit(FEATURED_ARTIST))
        .alias("role"),
        F.lit(None).cast("string").alias("instrument"),
        F.lit(None).cast("string").alias("ipi"),
        F.lit(None).cast("string").alias("isni"),
    )
    every = artists
    if credits is not None:
        derived_id = F.concat(
            F.col("track_id"),
            F.lit("#"),
            F.substring(
                F.sha2(
                    F.concat_ws("\u0001", "role", "name", F.coalesce("instrument", F.lit(""))), 256
                ),
                1,
                16,
            ),
        )
        every = every.unionByName(
            credits.select(
                F.coalesce("credit_id", derived_id).alias("credit_id"),
                "track_id",
                "name",
                F.lower(F.trim("role")).alias("role"),
                "instrument",
                F.trim("ipi").alias("ipi"),
                F.trim("isni").alias("isni"),
            )
        )
    return every


def contributor_rows(
    features: DataFrame,
    groups: DataFrame,
    *,
    id_column: str,
    group_column: str,
    credits: DataFrame | None = None,
) -> DataFrame:
    """One CONTRIBUTOR_INPUT row per distinct credited name per neighbourhood (the derived builder).

    ``features``/``groups``: the track entity's (TRACK_FEATURES, its groups);
    ``credits``: TRACK_CREDITS or None (then only the tracks' artists), as
    ``credit_rows`` reads them. A credit whose track is not among ``features``
    (excluded, or unknown) keeps no neighbourhood and no group; it is still a
    record.
    """
    every = credit_rows(features, credits, id_column=id_column)
    context = features.select(
        F.col(id_column).alias("track_id"), "primary_artist_key", "iswc"
    ).join(
        groups.select(F.col(id_column).alias("track_id"), F.col(group_column).alias("_group")),
        "track_id",
        "left",
    )
    every = every.withColumn("_key", compact_key(normalize_person(F.col("name"))))
    # collaborators are the performers and writers beside a credit: a mixer or an
    # engineer works on everyone's tracks, and one in common says little
    collaborator = role_class(F.col("role")) != F.lit("production")
    on_track = F.collect_set(F.when(collaborator, F.col("_key"))).over(
        Window.partitionBy("track_id")
    )
    credited = every.join(context, "track_id", "left").withColumn(
        "_co", F.filter(on_track, lambda k: k != F.coalesce(F.col("_key"), F.lit("")))
    )
    # a role class of its own: a writer and a producer of one name credited for
    # one artist stay two records (they may be two people; one person's records
    # meet again through the name, the neighbourhood and the co-credits)
    record_key = F.concat_ws(
        "\u0001",
        F.coalesce(F.trim("name"), F.lit("")),
        role_class(F.col("role")),
        F.coalesce("ipi", F.lit("")),
        F.coalesce("isni", F.lit("")),
        F.coalesce("primary_artist_key", F.lit("")),
    )
    capped = lambda c: F.slice(F.array_sort(F.array_distinct(c)), 1, MAX_EVIDENCE)  # noqa: E731
    return (
        credited.withColumn(
            "contributor_record_id",
            F.concat(F.lit("cr"), F.substring(F.sha2(record_key, 256), 1, 20)),
        )
        .groupBy("contributor_record_id")
        .agg(
            F.first(blank_to_null(F.trim("name")), ignorenulls=True).alias("name"),
            F.first("ipi", ignorenulls=True).alias("ipi"),
            F.first("isni", ignorenulls=True).alias("isni"),
            F.first("primary_artist_key", ignorenulls=True).alias("neighbourhood"),
            F.array_sort(F.collect_set("role")).alias("roles"),
            F.array_sort(F.collect_set("instrument")).alias("instruments"),
            capped(F.flatten(F.collect_list("_co"))).alias("co_credit_keys"),
            capped(F.collect_set("_group")).alias("recording_group_ids"),
            capped(F.collect_set("iswc")).alias("iswcs"),
            F.array_sort(F.collect_set("credit_id")).alias("credit_ids"),
            F.count("*").alias("n_credits"),
        )
    )


def contributor_rules() -> tuple[list[RecordRule], list[FieldRule]]:
    """A record needs a name; a bad IPI or ISNI is nulled with a quarantine row."""
    return (
        [RecordRule("name", is_blank("name"), "null or empty credited name: nothing to match on")],
        [*ipi_rules("ipi"), *isni_rules("isni")],
    )


def _empty_to_null(values: Column) -> Column:
    return F.when(F.size(values) > 0, values)


def build_contributor_features(
    df: DataFrame, *, generic_values: Mapping[str, tuple[str, ...]] | None = None
) -> DataFrame:
    """CONTRIBUTOR_FEATURES of CONTRIBUTOR_INPUT rows (after the quality rules)."""
    generic = [v.lower() for v in (generic_values or {}).get("name", ())]
    norm = normalize_person(F.col("name"))
    norm = F.when(~norm.isin(*generic), norm) if generic else norm
    tokens = F.split("name_norm", " ")
    ipi, isni = normalize_ipi(F.col("ipi")), normalize_isni(F.col("isni"))
    out = (
        df.withColumn("name_norm", norm)
        .withColumn("name_key", compact_key(F.col("name_norm")))
        .withColumn("name_tokens", F.array_distinct(tokens))
        .withColumn("sorted_name_key", F.array_join(F.array_sort(tokens), ""))
        .withColumn("last_name", F.element_at(tokens, -1))
        .withColumn(
            "initial_key",
            F.when(
                F.size(tokens) >= 2,
                F.concat(F.substring(F.element_at(tokens, 1), 1, 1), F.col("last_name")),
            ).otherwise(F.col("name_key")),
        )
        .withColumn(
            "initial_only", (F.size(tokens) >= 2) & (F.length(F.element_at(tokens, 1)) == 1)
        )
        .withColumn("ipi", F.when(ipi_check_ok(ipi), ipi))
        .withColumn("isni", F.when(isni_check_ok(isni), isni))
        .withColumn(
            "role_classes",
            F.array_sort(F.array_distinct(F.transform("roles", role_class))),
        )
        .withColumn("co_credit_keys", _empty_to_null(F.col("co_credit_keys")))
        .withColumn("recording_group_ids", _empty_to_null(F.col("recording_group_ids")))
        .withColumn("iswcs", _empty_to_null(F.col("iswcs")))
    )
    return out.select(*CONTRIBUTOR_FEATURES.fieldNames())


def contributor_summary(features: DataFrame) -> Column:
    """A record as error reports show it: name, roles, neighbourhood, identifiers."""
    return F.concat_ws(
        " | ",
        features["name"],
        F.array_join(features["roles"], ", "),
        F.concat(F.lit("with "), F.coalesce(features["neighbourhood"], F.lit("?"))),
        F.concat(F.lit("IPI "), F.coalesce(features["ipi"], F.lit("-"))),
        F.concat(F.lit("ISNI "), F.coalesce(features["isni"], F.lit("-"))),
    )
