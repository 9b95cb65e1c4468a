"""Table contracts: one StructType constant per table, in one place.

Output tables are read by JVM jobs (Scala/Scio, BigQuery): snake_case names and
plain types only (string, long, double, boolean, timestamp, date, array<string>,
struct). A change to an output contract is a versioned, documented event: bump
``CONTRACT_VERSION`` and say what changed in the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pyspark.sql import DataFrame
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DateType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from features.errors import SchemaMismatchError

CONTRACT_VERSION = "1"


def _f(name: str, dtype, nullable: bool = True) -> StructField:
    return StructField(name, dtype, nullable)


_S = StringType()
_L = LongType()
_D = DoubleType()
_ARR = ArrayType(StringType(), True)

# --- inputs -----------------------------------------------------------------

TRACK_INPUT = StructType(
    [
        _f("track_id", _S),  # nullable on input: a missing id is quarantined
        _f("source", _S),
        _f("title", _S),
        _f("artists", _ARR),
        _f("album", _S),
        _f("duration_ms", _L),
        _f("isrc", _S),
        _f("release_date", DateType()),
        _f("label", _S),
        _f("genre", _S),  # free text as the source writes it ("Pop , Music , Dance")
        _f("iswc", _S),  # the work's ISWC as the source writes it (T-034.524.680-1), if known
    ]
)

# A delivery (jobs.deliver) is rows of an entity's input contract plus this column.
CHANGE_COLUMN = "change"
NEW, CHANGED, DELETED = "new", "changed", "deleted"
CHANGE_KINDS = (NEW, CHANGED, DELETED)

TRACK_GOLDEN = StructType(
    [
        _f("track_id", _S, False),
        _f("recording_id", _S, False),
        _f("work_id", _S, False),
        _f("recording_kind", _S, False),
        _f("release_kind", _S, False),
    ]
)

VIDEO_INPUT = StructType(
    [
        _f("video_id", _S),  # nullable on input: a missing id is quarantined
        _f("source", _S),
        _f("title", _S),
        _f("channel_name", _S),
        _f("description", _S),
        _f("duration_ms", _L),
        _f("published_at", TimestampType()),
        _f("isrc", _S),
    ]
)

VIDEO_GOLDEN = StructType(
    [
        _f("video_id", _S, False),
        _f("recording_id", _S),  # null: the video shows no recording of the catalog
        _f("video_kind", _S, False),  # what the video really is (generator's truth)
    ]
)

# --- intermediate -------------------------------------------------------------

TRACK_FEATURES = StructType(
    [
        _f("track_id", _S, False),  # the track's id, as its input has it
        _f("source", _S),  # the catalog the track came from, as its input names it
        _f("title", _S),  # as delivered
        # the title folded (case, accents, Cyrillic/Greek/kana), without punctuation
        # (features.text.normalize_text)
        _f("title_norm", _S),
        # title_norm without version tags or featured artists (null: generic, e.g. "Track 1")
        _f("core_title", _S),
        _f("core_title_key", _S),  # core_title without spaces and a leading "the" (blocking key)
        _f("title_numbers", _ARR),  # numbers the core title names (features.text.title_numbers)
        # the title's first two words, compacted (features.tracks.title_head_key): blocks
        # records whose title carries the artist, album or genre after the song
        _f("title_head_key", _S),
        # the title's first word (title_head_key of one word): with the duration, blocks a
        # one-word song against a title that carries more after it
        _f("title_first_key", _S),
        # where the artist field credits nobody and the title reads "Artist - Title",
        # "Title | Artist" or "Title by Artist" (features.tracks.with_title_credit): the
        # compact key of the artist the title parser reads out of it (blocking only)
        _f("title_artist_key", _S),
        # ... and of the song it reads there, without version tags (blocking only)
        _f("title_song_key", _S),
        # what the title's tags say the recording is: original, karaoke, instrumental, live,
        # acoustic, remix, extended, radio_edit, re_recording or demo
        _f("version_type", _S),
        _f("version_detail", _S),  # the title's tags, normalised (null: an original)
        # the words of the tags that name the version: remixer, venue, city, year, take
        # (features.tracks.version_words; null: an original, or a tag naming none)
        _f("version_words", _ARR),
        _f("version_words_text", _S),  # version_words joined by spaces (for Jaro-Winkler)
        _f("artists_norm", _ARR),  # credited artists, then those the title features, normalised
        _f("artist_keys", _ARR),  # compact keys of artists_norm (null: no artist)
        _f("primary_artist", _S),  # the first credited artist, normalised
        _f("primary_artist_key", _S),  # compact key of primary_artist
        _f("primary_artist_phonetic", _S),  # Soundex of primary_artist_key
        _f("featured_artists", _ARR),  # artists_norm other than the primary artist
        # the album without edition tags ("(Deluxe Edition)", " - Single"), normalised
        # (null: none, or generic)
        _f("album_norm", _S),
        # the words of core_title and artists_norm together, each once (null: none)
        _f("record_tokens", _ARR),
        _f("duration_s", _D),  # seconds (null: missing, not positive or over 4 hours)
        _f("duration_bucket", _L),  # floor(duration_s / 2): 2-second buckets
        _f("isrc", _S),  # CCXXXYYNNNNN, no separators, upper case (null: none or malformed)
        _f("isrc_country", _S),  # the ISRC's country code (its first two characters)
        _f("isrc_registrant", _S),  # the ISRC's registrant code (characters 3 to 5)
        _f("isrc_year", IntegerType()),  # the ISRC's reference year (YY: 40-99 -> 19YY, else 20YY)
        # year of release_date, else of a full date written in the title ("31-Mar-15");
        # null: neither, or outside 1900-2100
        _f("release_year", IntegerType()),
        _f("iswc", _S),  # T + 10 digits, check digit valid (features.work_titles)
    ]
)

VIDEO_FEATURES = StructType(
    [
        _f("video_id", _S, False),  # the video's id, as its input has it
        _f("source", _S),  # the source the video came from, as its input names it
        _f("title", _S),  # as published
        _f("channel_name", _S),  # as published
        _f("title_norm", _S),  # whole title, normalised
        _f("parsed_artist", _S),  # the parser's artist part, normalised (null if none)
        _f("parsed_title", _S),  # the parser's song part, noise removed, normalised
        _f("title_parts", _ARR),  # every part the separators cut, noise removed, normalised
        _f("title_part_keys", _ARR),  # compact keys of title_parts
        _f("core_title", _S),  # parsed_title without version tags / featured artists
        _f("core_title_key", _S),  # core_title without spaces and a leading "the"
        _f("title_numbers", _ARR),  # numbers core_title names, as on tracks
        _f("version_type", _S),  # same vocabulary as TRACK_FEATURES.version_type
        _f("version_detail", _S),  # the version's tags ("live at the bbc 2005"), as on tracks
        _f("video_kind", _S),  # official_video, lyric_video, audio, topic, live, cover, other
        _f("artists_norm", _ARR),  # parsed artist(s) plus featured, normalised
        _f("artist_keys", _ARR),  # compact keys of artists_norm (null: no artist)
        _f("primary_artist", _S),  # the parsed credit's first artist, normalised
        _f("primary_artist_key", _S),  # compact key of primary_artist
        _f("featured_artists", _ARR),  # artists_norm other than the primary artist
        _f("channel_artist", _S),  # channel without VEVO / - Topic / Official / Records / Music
        _f("channel_artist_key", _S),  # compact key of channel_artist
        _f("cover_artist", _S),  # "cover by X" -> x
        _f("duration_s", _D),  # seconds, as on tracks (null: missing, not positive or over 4 h)
        _f("isrc", _S),  # normalised as on tracks (null: none or malformed)
        _f("published_year", IntegerType()),  # year of published_at (null: outside 1900-2100)
    ]
)

QUARANTINE = StructType(
    [
        _f("entity_type", _S, False),  # the entity whose input holds the record
        _f("record_id", _S),  # the record's id (null: it has none)
        _f("field", _S, False),  # the field at fault (_row: a row that could not be parsed)
        _f("reason", _S, False),  # what is wrong, in words
        # record_excluded, value_nulled (the record goes on without the value) or
        # record_flagged (kept as read, with a caveat a person may want to check)
        _f("action", _S, False),
        # the value at fault as text; for a missing or duplicate id the row as JSON, for
        # an unparseable row the text read
        _f("raw_value", _S),
        _f("location", _S),  # "<file> line <n>" of an ingested text record; else null
        _f("run_id", _S, False),  # the run that quarantined it
        _f("quarantined_at", TimestampType(), False),  # when it was quarantined
    ]
)

# --- outputs ------------------------------------------------------------------

COMPARISON_LEVEL = StructType(
    [
        _f("comparison", _S, False),  # the model's comparison (its output column name)
        _f("level", IntegerType(), False),  # the level the pair reached (Splink gamma; -1 = null)
        # the level's weight (log2 Bayes factor), with its term-frequency adjustment
        _f("match_weight", _D),
    ]
)


def pairs_schema(id_column: str) -> StructType:
    """Scored candidate pairs of one entity type (``<id>_l`` < ``<id>_r``)."""
    return StructType(
        [
            _f(f"{id_column}_l", _S, False),  # one record of the pair (the smaller id)
            _f(f"{id_column}_r", _S, False),  # the other record (the larger id)
            # log2 Bayes factor: the prior plus every comparison's weight
            _f("match_weight", _D, False),
            _f("match_probability", _D, False),  # posterior probability of one entity
            # each comparison's level and weight: the score's explanation
            _f("comparison_levels", ArrayType(COMPARISON_LEVEL, False), False),
            # match_probability >= the entity's clustering threshold (an accepted link)
            _f("above_threshold", BooleanType(), False),
            _f("run_id", _S, False),  # the run that scored the pair
            # the scoring model's content version (<entity>-<hash of its settings>)
            _f("model_version", _S, False),
        ]
    )


def groups_schema(id_column: str, group_column: str) -> StructType:
    """One row per resolved record with its stable group id."""
    return StructType(
        [
            _f(id_column, _S, False),  # a resolved record (one row each)
            # its group's stable id: prefix + 10 base-36 digits (README "Stable ids")
            _f(group_column, _S, False),
            _f("group_size", _L, False),  # records in the group
            # the group's best-connected member (most accepted links; ties: smallest id)
            _f(f"representative_{id_column}", _S, False),
            # the run that last changed the row's group, size or representative
            _f("run_id", _S, False),
            _f("model_version", _S, False),  # that run's model (<entity>-<hash of its settings>)
        ]
    )


def labelled_pairs_schema(id_column: str) -> StructType:
    """Golden data as labelled pairs: a person's verdict on two records (1 match, 0 not).

    ``split`` (train, valid, ...) says which pairs may tune a model and which
    only judge it; null when the labels are not split.
    """
    return StructType(
        [
            _f(f"{id_column}_l", _S, False),
            _f(f"{id_column}_r", _S, False),
            _f("label", IntegerType(), False),
            _f("split", _S),
        ]
    )


RECORDING_PAIRS = pairs_schema("track_id")
RECORDING_GROUPS = groups_schema("track_id", "recording_group_id")


# A link entity's records are each assigned to at most one group of the entity
# it links to: the column names come from both entities' id and group columns.


def link_pairs_schema(id_column: str, target_id_column: str, group_column: str) -> StructType:
    """Scored record x target candidate pairs of a link entity, with the target's group."""
    return StructType(
        [
            _f(id_column, _S, False),  # the record to link
            _f(target_id_column, _S, False),  # a candidate member of the linked-to entity
            _f(group_column, _S),  # that member's group (null: it is in none)
            # log2 Bayes factor: the prior plus every comparison's weight
            _f("match_weight", _D, False),
            _f("match_probability", _D, False),  # posterior probability of a match
            # each comparison's level and weight: the score's explanation
            _f("comparison_levels", ArrayType(COMPARISON_LEVEL, False), False),
            _f("run_id", _S, False),  # the run that scored the pair
            # the scoring model's content version (<entity>-<hash of its settings>)
            _f("model_version", _S, False),
        ]
    )


def link_matches_schema(
    id_column: str, target_id_column: str, group_column: str, kind_column: str
) -> StructType:
    """One row per assigned record: its group, score, kind, primary flag and explanation."""
    return StructType(
        [
            _f(id_column, _S, False),  # an assigned record (one row each)
            _f(group_column, _S, False),  # the group it is assigned to
            # the group's score: that of its best-scoring member
            _f("match_probability", _D, False),
            _f("match_weight", _D, False),  # log2 Bayes factor of that member's pair
            _f(kind_column, _S),  # the record's kind, from its features (null: none detected)
            # one per group: the record of the kind link.primary_order puts first, then the
            # most probable
            _f("is_primary", BooleanType(), False),
            _f(f"matched_{target_id_column}", _S, False),  # the group's member that scored best
            _f("runner_up_match_weight", _D),  # the next group's weight (null: no other group)
            _f("explanation", ArrayType(COMPARISON_LEVEL, False), False),  # top comparisons
            _f("run_id", _S, False),  # the run that assigned it
            _f("model_version", _S, False),  # the scoring model (<entity>-<hash of its settings>)
        ]
    )


def link_unmatched_schema(id_column: str, group_column: str) -> StructType:
    """One row per record left unassigned, with the reason and the best candidates."""
    return StructType(
        [
            _f(id_column, _S, False),  # a record left unassigned (one row each)
            _f("reason", _S, False),  # no candidate | below threshold | ambiguous
            _f(f"best_{group_column}", _S),  # the best-scoring group (null: no candidate)
            _f("best_match_probability", _D),  # its score (its best member's)
            _f(f"runner_up_{group_column}", _S),  # the next group (null: no other group)
            _f("runner_up_match_probability", _D),  # its score
            _f("run_id", _S, False),  # the run that left it unassigned
            _f("model_version", _S, False),  # the scoring model (<entity>-<hash of its settings>)
        ]
    )


VIDEO_PAIRS = link_pairs_schema("video_id", "track_id", "recording_group_id")
VIDEO_MATCHES = link_matches_schema("video_id", "track_id", "recording_group_id", "video_kind")
UNMATCHED_VIDEOS = link_unmatched_schema("video_id", "recording_group_id")

EVALUATION = StructType(
    [
        _f("entity_type", _S, False),  # the entity evaluated
        _f("metric", _S, False),  # the report's key (nested keys joined with ".")
        _f("value", _D),  # the metric's value (null: not defined for this run)
        _f("threshold", _D, False),  # the match probability the run is judged at
        _f("run_id", _S, False),  # the run evaluated: the one that wrote the groups or matches
        _f("model_version", _S, False),  # that run's model
        _f("evaluated_at", TimestampType(), False),  # when the evaluation was written
    ]
)


# The release manifest (jobs.runtime.release): one row per table a publishing run
# (features, resolve, deliver) committed, written after all of them. A reader that needs
# tables that belong together reads each at its table_version (VERSION AS OF).
PUBLISHED_RUNS = StructType(
    [
        _f("run_id", _S, False),  # the run that published the release
        _f("entity_type", _S, False),  # the entity whose tables it published
        _f("job", _S, False),  # the job that published it: features, resolve or deliver
        _f("table_name", _S, False),  # the table's name in the warehouse
        _f("table_version", _L, False),  # the Delta version the run committed
        _f("row_count", _L, False),  # the table's rows at that version
        _f("contract_version", _S, False),  # CONTRACT_VERSION of the writing code
        _f("model_version", _S),  # the model that scored the run, when one did
        _f("txn_app_id", _S, False),  # the Delta txnAppId of the run's commits (job:entity)
        _f("txn_version", _L, False),  # their txnVersion: the release's number for that app id
        _f("summary", _S),  # the run's summary counts as JSON (the same on each of its rows)
        _f("finished_at", TimestampType(), False),  # when the manifest was committed
    ]
)

# jobs.evaluate: the errors behind the figures. The top false positives and
# false negatives of one evaluated run, each with its comparisons' levels and
# match weights (waterfall data: prior_weight + the weights = match_weight).
ERROR_ANALYSIS = StructType(
    [
        _f("entity_type", _S, False),  # the entity evaluated
        _f("run_id", _S, False),  # the run evaluated
        _f("model_version", _S, False),  # that run's model
        # false_positive (scored >= threshold, not the same entity), false_negative
        # (the same entity, scored < threshold), missed_by_blocking (the same
        # entity, never compared: no score)
        _f("error_type", _S, False),
        _f("rank", IntegerType(), False),  # 1 = the most confident mistake of its type
        _f("id_l", _S, False),  # the pair's left record (the entity's id)
        _f("id_r", _S, False),  # its right record
        _f("match_probability", _D),  # the pair's score (null: never compared)
        _f("match_weight", _D),  # log2 Bayes factor (null: never compared)
        _f("prior_weight", _D),  # match_weight less the comparisons' weights: the prior
        # COMPARISON_LEVEL's fields, nullable: a pair never compared has no levels
        _f(
            "comparison_levels",
            ArrayType(StructType([_f(f.name, f.dataType) for f in COMPARISON_LEVEL.fields])),
        ),
        _f("negative_kind", _S),  # why a false positive is not a match (live, remix, ...)
        _f("record_l", _S),  # the left record as a person reads it (title | artists | ...)
        _f("record_r", _S),  # the right record, likewise
        _f("threshold", _D, False),  # the match probability the run is judged at
        _f("evaluated_at", TimestampType(), False),  # when the evaluation was written
    ]
)

# jobs.compare: what changes between two models on one feature table, one row
# per kind of change (splink_models.impact.CHANGES) per comparison run.
MODEL_COMPARISON = StructType(
    [
        _f("entity_type", _S, False),  # the entity whose features both models score
        _f("run_id", _S, False),  # the comparison run
        _f("model_a", _S, False),  # the reference as resolved, e.g. models:/<name>/1 (@champion)
        _f("model_b", _S, False),  # the model compared with it, as resolved
        _f("model_version_a", _S, False),  # model_a's content version (lineage)
        _f("model_version_b", _S, False),  # model_b's content version (lineage)
        _f("threshold", _D, False),  # the match probability pairs and groups are compared at
        _f("change", _S, False),  # pairs_gained, pairs_lost, groups_merged, groups_split, ...
        _f("count", _L, False),  # the pairs, groups or records that changed so
        _f("examples", _ARR, False),  # a few, readable
        _f("compared_at", TimestampType(), False),  # when the comparison was written
    ]
)


# What happened to each id of a clustered entity's groups, run by run
# (splink_models.groups.carry_ids); a reader holding an old id follows merged_into.
ID_HISTORY = StructType(
    [
        _f("id", _S, False),  # the group id
        # created, split (a new id for a part split off related_id), merged (into
        # related_id), retired (no member left), members_moved (a kept id's members changed)
        _f("event", _S, False),
        _f("related_id", _S),  # the id merged into, or split from (null: other events)
        _f("id_seq", _L),  # the number the id was minted with (created, split)
        _f("members", _L),  # the id's members after the run
        _f("members_added", _L),  # members it gained in the run
        _f("members_removed", _L),  # members it lost in the run
        _f("run_id", _S, False),  # the run the event happened in
        _f("model_version", _S),  # that run's model
        _f("recorded_at", TimestampType(), False),  # when the event was recorded
    ]
)


@dataclass(frozen=True)
class EntityContracts:
    """The table contracts that make up one entity type (config: ``entities.<e>.contracts``).

    A clustered entity (dedupe, derived) has ``groups``; a link entity has
    ``matches`` and ``unmatched`` instead.
    """

    input: StructType
    features: StructType
    pairs: StructType
    golden: StructType | None
    groups: StructType | None = None
    matches: StructType | None = None
    unmatched: StructType | None = None
    # further tables by role (config ``tables.<role>``): inputs a derived entity's
    # builder also reads, and products built from its clusters
    extra: dict[str, StructType] = field(default_factory=dict)
    id_history: StructType = ID_HISTORY  # clustered kinds


CONTRACTS: dict[str, EntityContracts] = {
    "recordings": EntityContracts(
        input=TRACK_INPUT,
        features=TRACK_FEATURES,
        pairs=RECORDING_PAIRS,
        groups=RECORDING_GROUPS,
        golden=TRACK_GOLDEN,
    ),
    "videos": EntityContracts(
        input=VIDEO_INPUT,
        features=VIDEO_FEATURES,
        pairs=VIDEO_PAIRS,
        golden=VIDEO_GOLDEN,
        matches=VIDEO_MATCHES,
        unmatched=UNMATCHED_VIDEOS,
    ),
}


# --- checking a frame against a contract ----------------------------------------


def schema_problems(actual: StructType, expected: StructType) -> list[str]:
    """Missing, mistyped and extra columns, each as one readable line."""
    have = {f.name: f for f in actual.fields}
    want = {f.name: f for f in expected.fields}
    problems = [
        f"missing column {n} ({f.dataType.simpleString()})"
        for n, f in want.items()
        if n not in have
    ]
    for name, f in want.items():
        if name in have and have[name].dataType.simpleString() != f.dataType.simpleString():
            problems.append(
                f"column {name} is {have[name].dataType.simpleString()}, "
                f"contract says {f.dataType.simpleString()}"
            )
    problems += [f"extra column {n}" for n in have if n not in want]
    return problems


def validate_schema(df: DataFrame, contract: StructType, table: str) -> DataFrame:
    """Check a DataFrame against its contract and return it in the contract's column order."""
    problems = schema_problems(df.schema, contract)
    if problems:
        raise SchemaMismatchError(
            f"table {table} does not match its contract:\n  - " + "\n  - ".join(problems)
        )
    return df.select(*[f.name for f in contract.fields])


def conform(df: DataFrame, contract: StructType) -> DataFrame:
    """Select and cast a DataFrame's columns to a contract's names, types and order."""
    return df.select(*[df[f.name].cast(f.dataType).alias(f.name) for f in contract.fields])


# --- releases -------------------------------------------------------------------
# Albums, CDs, EPs: one row per release a catalog lists (features.releases).

RELEASE_INPUT = StructType(
    [
        _f("release_id", _S),  # nullable on input: a missing id is quarantined
        _f("source", _S),
        _f("title", _S),
        _f("artists", _ARR),
        _f("upc", _S),  # UPC-A or EAN-13 as the source writes it
        _f("release_date", DateType()),
        _f("release_year", IntegerType()),  # for catalogs that only know the year
        _f("label", _S),
        _f("track_count", IntegerType()),
        # one element per track, or one element holding every title concatenated
        _f("track_titles", _ARR),
        _f("genre", _S),
        # the catalog track ids of the tracks it lists, where the delivery gives them
        # (null: unknown); the knowledge graph's RELEASE_OF edges go through them
        _f("track_ids", _ARR),
    ]
)

RELEASE_GOLDEN = StructType(
    [
        _f("release_id", _S, False),
        _f("true_release_id", _S, False),  # same value = same release
        # album, single, compilation, deluxe, remaster, regional_reissue (hard negatives:
        # other releases of one album); store_copy, redelivery, typo_copy (duplicates)
        _f("release_kind", _S, False),
    ]
)

RELEASE_FEATURES = StructType(
    [
        _f("release_id", _S, False),  # the release's id, as its input has it
        _f("source", _S),  # the catalog the release came from, as its input names it
        _f("title", _S),  # as delivered
        _f("title_norm", _S),  # the title folded, without punctuation (mostly mojibake: a digest)
        _f("core_title", _S),  # without edition words, disc/volume numbers, "soundtrack"
        _f("core_title_key", _S),  # core_title without spaces and a leading "the"
        _f("edition", _S),  # deluxe, remaster, expanded, regional, ... (null: none named)
        _f("disc_number", IntegerType()),  # "CD2" -> 2
        _f("volume_number", IntegerType()),  # "Vol. 04", "Part II", "Now 45" -> 4, 2, 45
        _f("title_years", _ARR),  # years the title names ("1962-1966" -> ["1962", "1966"])
        _f("artists_norm", _ARR),  # null: none, or only "various artists"
        _f("artist_keys", _ARR),  # compact keys of artists_norm
        _f("primary_artist", _S),  # the first of artists_norm
        _f("primary_artist_key", _S),  # compact key of primary_artist
        _f("artist_tokens", _ARR),  # distinct words of all artist names
        _f("track_tokens", _ARR),  # distinct informative words of all track titles
        _f("track_band_1", _L),  # MinHash bands of track_tokens (blocking keys)
        _f("track_band_2", _L),  # the second band
        _f("track_band_3", _L),  # the third band
        # as given (1 to 500), else the number of track titles when there are several
        _f("track_count", IntegerType()),
        # release_date's year, else the catalog's release_year (null: outside 1900-2100)
        _f("release_year", IntegerType()),
        _f("upc", _S),  # 13 digits, check digit valid
        _f("label_norm", _S),  # the label normalised, without company words (records, inc, ...)
        _f("genre_norm", _S),  # the genre normalised
    ]
)

RELEASE_PAIRS = pairs_schema("release_id")
RELEASE_GROUPS = groups_schema("release_id", "release_group_id")

CONTRACTS["releases"] = EntityContracts(
    input=RELEASE_INPUT,
    features=RELEASE_FEATURES,
    pairs=RELEASE_PAIRS,
    groups=RELEASE_GROUPS,
    golden=RELEASE_GOLDEN,
)


# --- works (SongDNA) ----------------------------------------------------------------
# Compositions: recording groups clustered into songs (a derived entity over
# recording groups), with the typed version relations inside each work.

WORK_FEED = StructType(
    [
        _f("work_id", _S),  # the publisher's id
        _f("source", _S),
        _f("title", _S),
        _f("alternative_titles", _ARR),  # translations, other spellings
        _f("iswc", _S),  # as the publisher writes it; how the feed meets the tracks
        _f("writers", _ARR),
    ]
)

# who a track credits for what: writers, composers, lyricists (one row per credit)
TRACK_CREDITS = StructType(
    [
        _f("track_id", _S),
        _f("source", _S),
        _f("name", _S),  # as the delivery spells it: "Max Martin", "Martin, Max", "M. Martin"
        # writer, composer, lyricist, producer, mixer, remixer, performer, ...
        _f("role", _S),
        _f("credit_id", _S),  # the delivery's id of the credit (null: derived from its values)
        _f("instrument", _S),  # a performer's instrument
        _f("ipi", _S),  # IPI name number as delivered (features.identifiers)
        _f("isni", _S),  # ISNI as delivered
    ]
)

# one row per recording group (features.works.work_rows)
WORK_INPUT = StructType(
    [
        _f("recording_group_id", _S),
        _f("title", _S),  # the group's representative track's title
        _f("titles", _ARR),  # every distinct title its tracks carry
        _f("artists", _ARR),  # every artist its tracks credit, normalised
        _f("primary_artist", _S),  # the primary artist most of its tracks have
        _f("iswcs", _ARR),  # the valid ISWCs its tracks carry
        _f("feed_titles", _ARR),  # titles the works feed gives for those ISWCs
        _f("writers", _ARR),  # writers its tracks credit, and the works feed gives for its ISWCs
        _f("version_type", _S),  # most of its tracks' (features.tracks.version_type)
        _f("first_year", IntegerType()),  # its earliest release year or ISRC year
        _f("duration_s", _D),  # median
        _f("n_tracks", _L),
    ]
)

WORK_GOLDEN = StructType(
    [
        _f("recording_group_id", _S, False),
        _f("work_id", _S, False),  # same value = same work (most of the group's tracks')
        _f("recording_kind", _S),  # the kind most of its tracks are: studio, live, cover, ...
    ]
)

WORK_FEATURES = StructType(
    [
        _f("recording_group_id", _S, False),  # the recording group (one row each)
        _f("title", _S),  # its representative track's title
        _f("core_title", _S),  # features.work_titles.core_work_title of the representative
        _f("core_title_key", _S),  # core_title without spaces and a leading "the"
        _f("title_numbers", _ARR),  # numbers core_title names (features.text.title_numbers)
        _f("title_variants", _ARR),  # every title variant of every title, feed titles included
        _f("title_tokens", _ARR),  # their distinct words (stopwords out)
        _f("iswcs", _ARR),  # the valid ISWCs its tracks carry (null: none)
        _f("iswc", _S),  # the smallest of iswcs (a blocking key)
        _f("writer_keys", _ARR),  # "first last" (an inverted "Last, First" turned round)
        _f("writer_initial_keys", _ARR),  # "f last": "M. Martin" meets "Max Martin"
        # compact keys of its tracks' artists and of the performers its titles copy
        # ("originally performed by X")
        _f("artist_keys", _ARR),
        _f("primary_artist_key", _S),  # compact key of the primary artist most tracks have
        _f("version_type", _S),  # the group's version type (WORK_INPUT.version_type)
        _f("first_year", IntegerType()),  # its earliest release year or ISRC year
        _f("duration_s", _D),  # its tracks' median duration, seconds
        _f("n_tracks", _L),  # tracks in the group
    ]
)

WORK_PAIRS = pairs_schema("recording_group_id")
WORK_GROUPS = StructType(
    [
        *groups_schema("recording_group_id", "work_id").fields[:-2],
        _f("is_original", BooleanType(), False),  # the work's original recording group
        *groups_schema("recording_group_id", "work_id").fields[-2:],
    ]
)

# ORIGINAL is the role of a work's original; the others relate a group to it.
RELATION_TYPES = (
    "COVER_OF",
    "RERECORDING_OF",
    "LIVE_VERSION_OF",
    "REMIX_OF",
    "EDIT_OF",
    "ACOUSTIC_VERSION_OF",
    "INSTRUMENTAL_OF",
    "KARAOKE_OF",
)

WORKS = StructType(
    [
        _f("work_id", _S, False),  # the work's stable id (work_groups.work_id)
        _f("title", _S),  # the original's core title
        _f("iswc", _S),  # the ISWC most of its groups carry (null: none)
        _f("n_recording_groups", _L, False),  # recording groups in the work
        _f("original_recording_group_id", _S, False),  # the work's original recording group
        _f("run_id", _S, False),  # the run that built it
        _f("model_version", _S, False),  # that run's model (<entity>-<hash of its settings>)
    ]
)

VERSION_RELATIONS = StructType(
    [
        _f("src_recording_group_id", _S, False),  # the version
        _f("dst_recording_group_id", _S, False),  # the work's original
        _f("work_id", _S, False),  # the work both belong to
        _f("relation_type", _S, False),  # RELATION_TYPES
        _f("confidence", _D),  # match probability of the pair (null: linked through others)
        _f("evidence", _ARR, False),  # why: version type, artists, the pair's strongest levels
        _f("run_id", _S, False),  # the run that built it
        _f("model_version", _S, False),  # that run's model (<entity>-<hash of its settings>)
    ]
)

CONTRACTS["works"] = EntityContracts(
    input=WORK_INPUT,
    features=WORK_FEATURES,
    pairs=WORK_PAIRS,
    groups=WORK_GROUPS,
    golden=WORK_GOLDEN,
    extra={
        "feed": WORK_FEED,
        "credits": TRACK_CREDITS,
        "works": WORKS,
        "version_relations": VERSION_RELATIONS,
    },
)


# --- contributors (SongDNA) ---------------------------------------------------------
# The people credited on tracks: one record per distinct credited name per track
# neighbourhood (features.contributors), clustered into people.

CONTRIBUTOR_INPUT = StructType(
    [
        _f("contributor_record_id", _S, False),  # "cr" + hash of name, IPI, ISNI, neighbourhood
        _f("name", _S),  # as credited
        _f("ipi", _S),  # as credited beside the name
        _f("isni", _S),
        _f("neighbourhood", _S),  # primary artist key of the tracks that credit it
        _f("roles", _ARR),  # every role it is credited in (lower case)
        _f("instruments", _ARR),  # a performer's instruments
        _f("co_credit_keys", _ARR),  # name keys of the others credited on its tracks
        _f("recording_group_ids", _ARR),  # its tracks' recording groups
        _f("iswcs", _ARR),  # its tracks' valid ISWCs
        _f("credit_ids", _ARR),  # the credits it stands for
        _f("n_credits", _L),  # how many: credit_ids' size
    ]
)

CONTRIBUTOR_FEATURES = StructType(
    [
        _f("contributor_record_id", _S, False),  # CONTRIBUTOR_INPUT's (one row each)
        _f("name", _S),  # as credited
        _f("name_norm", _S),  # features.contributors.normalize_person
        _f("name_key", _S),  # name_norm without spaces
        _f("name_tokens", _ARR),  # its words
        _f("sorted_name_key", _S),  # its words sorted and joined: any name order
        _f("last_name", _S),  # its last word
        _f("initial_key", _S),  # first initial + last name ("mmartin"); one word: name_key
        _f("initial_only", BooleanType()),  # the first name is an initial ("M. Martin")
        _f("ipi", _S),  # 11 digits, mod-101 check valid
        _f("isni", _S),  # 16 characters, MOD 11-2 check valid
        _f("roles", _ARR),  # every role it is credited in (lower case)
        _f("role_classes", _ARR),  # its role class: writing, production, performance, other
        _f("instruments", _ARR),  # a performer's instruments
        _f("neighbourhood", _S),  # primary artist key of the tracks that credit it
        _f("co_credit_keys", _ARR),  # name keys of the others on its tracks (null: none)
        _f("recording_group_ids", _ARR),  # its tracks' recording groups (null: none)
        _f("iswcs", _ARR),  # its tracks' valid ISWCs (null: none)
        _f("n_credits", _L),  # the credits it stands for
    ]
)

CONTRIBUTOR_GOLDEN = StructType(
    [
        _f("contributor_record_id", _S, False),
        _f("person_id", _S, False),  # same value = same person (most of its credits')
        _f("name_variant", _S),  # how most of its credits spell the person: plain, initial, ...
    ]
)

# one row per credit: who it names (the sample generator's truth)
CREDIT_TRUTH = StructType(
    [
        _f("credit_id", _S, False),
        _f("person_id", _S, False),
        _f("name_variant", _S),
    ]
)

CONTRIBUTOR_PAIRS = pairs_schema("contributor_record_id")
CONTRIBUTOR_GROUPS = groups_schema("contributor_record_id", "contributor_id")

CONTRIBUTORS = StructType(
    [
        _f("contributor_id", _S, False),  # the person's stable id (contributor_groups')
        _f("name", _S),  # the spelling most of their credits use
        _f("names", _ARR),  # every spelling, the most credited first (at most 20)
        _f("ipis", _ARR),  # the valid IPI name numbers their credits carry (null: none)
        _f("isnis", _ARR),  # the valid ISNIs (null: none)
        _f("role_classes", _ARR),  # writing, production, performance, other
        _f("roles", _ARR),  # every role they are credited in
        _f("n_records", _L, False),  # contributor records clustered into them
        _f("n_credits", _L),  # credits behind those records
        _f("n_artists", _L, False),  # neighbourhoods (primary artists) they are credited for
        _f("run_id", _S, False),  # the run that built it
        _f("model_version", _S, False),  # that run's model (<entity>-<hash of its settings>)
    ]
)

CONTRACTS["contributors"] = EntityContracts(
    input=CONTRIBUTOR_INPUT,
    features=CONTRIBUTOR_FEATURES,
    pairs=CONTRIBUTOR_PAIRS,
    groups=CONTRIBUTOR_GROUPS,
    golden=CONTRIBUTOR_GOLDEN,
    extra={"credits": TRACK_CREDITS, "credit_truth": CREDIT_TRUTH, "contributors": CONTRIBUTORS},
)


# --- the Music Knowledge Graph (jobs.graph) ----------------------------------------------
# Every entity's records and groups as typed nodes, their relations as typed edges:
# GraphFrames' shape (nodes: id; edges: src, dst).

NODE_TYPES = ("track", "recording_group", "video", "release", "work", "contributor")
# src <edge_type> dst: "track TRACK_OF recording_group", "recording_group RECORDING_OF work",
# "release RELEASE_OF recording_group" (the release carries the recording), "work
# WRITTEN_BY contributor", "recording_group COVER_OF recording_group" (the original)
CREDIT_EDGE_TYPES = (
    "PERFORMED_BY",
    "FEATURES",
    "WRITTEN_BY",
    "COMPOSED_BY",
    "PRODUCED_BY",
    "MIXED_BY",
    "REMIXED_BY",
    "CREDITED",  # a role the graph does not type (engineer, arranger, ...): kept, not dropped
)
EDGE_TYPES = (
    "TRACK_OF",
    "VIDEO_OF",
    "RELEASE_OF",
    "RECORDING_OF",
    *CREDIT_EDGE_TYPES,
    *RELATION_TYPES,
    "SAMPLES",
    "INTERPOLATES",
)
EDGE_SOURCES = ("model", "declared")

KG_NODES = StructType(
    [
        _f("id", _S, False),  # the entity's stable id (a track's or video's own id)
        _f("node_type", _S, False),  # NODE_TYPES
        _f("display_name", _S),  # a title, a name: what a person reads
        _f("properties", _S),  # JSON object: the node type's own fields
        _f("run_id", _S, False),  # the jobs.graph run that wrote it
        _f("model_version", _S),  # the model that made it (null: an input record)
    ]
)

KG_EDGES = StructType(
    [
        _f("src", _S, False),  # a node id
        _f("dst", _S, False),  # a node id
        _f("edge_type", _S, False),  # EDGE_TYPES
        # how sure: the match probability behind it (null: nothing was matched to make it,
        # e.g. a record alone in its group, or a declared relation resolved by id)
        _f("confidence", _D),
        _f("evidence", _ARR, False),  # why: roles, levels, the declaration's fields
        _f("source", _S, False),  # model (the resolution made it) | declared (an input says it)
        _f("run_id", _S, False),  # the jobs.graph run that wrote it
        _f("model_version", _S),  # the model behind it (null: declared and resolved by id)
    ]
)

# Samples and interpolations as labels or a sample database deliver them: one row per
# relation, the target by catalog track id, by ISWC (a work) or by title and artist.
DECLARED_RELATIONS = StructType(
    [
        _f("relation_id", _S),  # the delivery's id (null: derived from its values)
        _f("source", _S),
        _f("track_id", _S),  # the track that samples or interpolates
        _f("relation_type", _S),  # sample | interpolation (SAMPLES, sampled, ... accepted)
        _f("target_track_id", _S),  # the sampled / interpolated track's catalog id
        _f("target_iswc", _S),  # the interpolated work's ISWC
        _f("target_title", _S),  # as a sample database writes it
        _f("target_artist", _S),
    ]
)

# the sample generator's truth: what each declared relation really points at
RELATION_TRUTH = StructType(
    [
        _f("relation_id", _S, False),
        # the golden recording_id (SAMPLES) or work_id (INTERPOLATES) it points at;
        # null: a target the catalog does not hold (it must stay unresolved)
        _f("target_truth", _S),
    ]
)

# one row per declared relation (quarantined rows aside): where it landed, or why not
RELATION_RESOLUTION = StructType(
    [
        _f("relation_id", _S, False),  # the declaration's id (DECLARED_RELATIONS)
        _f("track_id", _S, False),  # the track that samples or interpolates
        _f("edge_type", _S, False),  # SAMPLES | INTERPOLATES
        _f("src", _S),  # the sampling track's recording group (null: unresolved)
        _f("dst", _S),  # the target's recording group (SAMPLES) or work (null: unresolved)
        _f("resolved_by", _S),  # target_track_id | target_iswc | title_artist
        _f("reason", _S),  # why it is unresolved (null: resolved)
        _f("run_id", _S, False),  # the jobs.graph run that resolved it
    ]
)

CONTRACTS["recordings"] = replace(
    CONTRACTS["recordings"],
    extra={
        "declared_relations": DECLARED_RELATIONS,
        "relation_truth": RELATION_TRUTH,
        "relation_resolution": RELATION_RESOLUTION,
    },
)
