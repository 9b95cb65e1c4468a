"""Release features for album/CD deduplication: titles, numbers, editions, artists, tracks.

Every function is a pure transform on Spark built-ins. Two things decide
whether two releases are one: what is on them and which member of a family
they are. What is on them is the track list, compared as a set of words
(``track_tokens``), so that "01 Papercut" and "Papercut", one element per
track or all titles in one string, agree; three MinHash bands of those words
(``track_band_*``) are blocking keys that find copies whatever their title and
artist say. Which member of a family they are is in the title: the disc, the
volume and the years it names ("Frankfurt Trance Vol. 04 CD1" and "... CD2"
differ by one character, which no string similarity sees) and the edition
("Deluxe", "2011 Remaster", "Japan Edition"). These are pulled out into their
own columns, and the title that remains (``core_title``) is what the fuzzy
comparisons see. "Various Artists" and its spellings are no artist (null), and
values garbled by mojibake (UTF-8 read as Latin-1) compare only as wholes.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from features.artists import normalize_artist, split_artist_names
from features.quality import FieldRule, RecordRule, title_required
from features.schemas import RELEASE_FEATURES
from features.text import (
    blank_to_null,
    compact_key,
    normalize_text,
    normalized_constants,
    null_if_generic,
)
from features.tracks import release_year

# Numbers as releases spell them: digits, English words, Roman numerals.
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve "
    "thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_ROMAN = ("i ii iii iv v vi vii viii ix x xi xii xiii xiv xv xvi xvii xviii xix xx").split()
_NUMBER_TOKEN = (
    r"\d{1,3}|" + "|".join(_NUMBER_WORDS) + "|" + "|".join(sorted(_ROMAN, key=len, reverse=True))
)
# Patterns run on normalize_text output: lower-case, no punctuation, single spaces.
# "cd1", "cd 2", "disc 2 of 3", "disk1"; not "2 cd" (a 2-CD set) nor "cd 2000".
DISC_PATTERN = (
    rf"\b(?:cd|cds|disc|disk|disque|disco|dvd)\s?({_NUMBER_TOKEN})(?:\s?of\s?\d{{1,2}})?\b"
)
# "vol 04", "volume three", "part ii", "pt 2", "teil 1", "tome 3"; "no 5" but
# not "no one" (a number word after "no" is a title: "No One Knows")
VOLUME_PATTERN = (
    rf"\b(?:(?:vol|vols|volume|volumes|volumen|tome|tomo|teil|part|pt|folge|chapter)"
    rf"\s?({_NUMBER_TOKEN})|(?:no|nr|number)\s?(\d{{1,3}}))\b"
)
# A series number at the end of a title ("Now 45", "Bravo Hits 32"): after a
# word, so that neither a year nor the end of a date ("London 20 10 94") is one.
TRAILING_NUMBER_PATTERN = r"(?<=\p{L})\s(\d{1,3})$"
TITLE_YEAR_PATTERN = r"\b((?:19|20)\d{2})\b"

# edition, the pattern that proves it (checked in order; the first wins).
EDITION_RULES: tuple[tuple[str, str], ...] = (
    ("deluxe", r"\b(?:super )?deluxe(?: edition| version)?\b"),
    (
        "remaster",
        r"\b(?:\d{4} )?(?:digitally )?re ?master(?:ed)?(?: \d{4})?(?: edition| version)?\b",
    ),
    ("expanded", r"\bexpanded(?: edition| version)?\b"),
    ("anniversary", r"\b(?:\d{1,3}(?:st|nd|rd|th)? )?anniversary(?: edition)?\b"),
    ("bonus", r"\b(?:with |plus )?bonus(?: tracks?| cd| disc| dvd)?\b"),
    ("limited", r"\blimited edition\b"),
    (
        "regional",
        r"\b(?:japan|japanese|uk|us|usa|eu|european|german|international)"
        r" (?:edition|version|import|release|pressing)\b|\bjpn\b|\bimport\b",
    ),
    ("reissue", r"\bre ?issue(?:d)?\b"),
    ("edition", r"\b(?:special|collectors?|tour|platinum|gold|enhanced|\d{4}) edition\b"),
    # the format a store appends ("Title - Single", "Title - EP"): a single and an EP
    # of one song are two products
    ("single", r"\bsingle$"),
    ("ep", r"\bep$"),
)
# Words that describe what a release is, not which one: stripped from the core title.
DESCRIPTOR_PATTERN = (
    r"\b(?:the )?(?:original )?(?:motion picture |film |movie |tv |television )?"
    r"(?:original )?sound ?tracks?\b|\bost\b|\bmusic from the (?:motion picture|film|movie)\b"
)

# Words of a track list that say nothing about which release it is: function
# words of the languages a music catalog meets, and listing noise ("track",
# "bonus", "remix"). Digits and one-letter tokens are dropped as well (track
# numbers, "01 Papercut"; apostrophe halves, "don t").
TRACK_STOPWORDS = tuple(
    (
        # English
        "the of and to in on at for from by with a an is it its be are was were am "
        "i me my you your he she his her we our they them their this that these "
        "those what when where who how all no not so do don can will just up out "
        "ll re ve dont cant wont im ive youre "
        # German, Dutch
        "der die das den dem des ein eine und ist im zu mit von fur auf nicht ich "
        "du er sie es wir ihr het een en van op te ik je "
        # French, Spanish, Portuguese, Italian
        "le la les un une des du de et est il elle je tu ne pas pour dans sur qui "
        "que el los las una y o por con se mi te lo al del da do dos em e os as "
        "um uma para ao aos na nas il lo gli di che non per "
        # placeholders for a title ("Track 01", "Pista 01", "Skladba 1", "Onbekend")
        "track tracks titel title piste pista faixa traccia spur skladba utwor "
        "unknown unbekannt inconnu desconocido onbekend sconosciuto untitled "
        # the movement and form words of classical listings, shared by any two
        # of them ("Allegro ma non troppo", "Sonata No. 2 in B flat major, Op. 35")
        "allegro allegretto adagio adagietto andante andantino moderato presto "
        "prestissimo largo larghetto lento vivace grave assai molto ma non troppo "
        "con brio poco piu meno mosso cantabile espressivo tempo finale menuet "
        "menuetto minuetto minuet trio scherzo rondo rondeau variations variation "
        "theme aria recitativo sonata sonatas concerto symphony quartet quintet "
        "suite movement major minor dur moll flat sharp op opus nr bwv kv hob "
        "ii iii iv vi vii viii ix xi xii "
        # listing noise
        "bonus intro outro interlude hidden feat ft "
        "featuring remix mix version edit radio original extended live remastered "
        "remaster mono stereo instrumental reprise part pt"
    ).split()
)
# Everything the core title leaves out, as one pattern (one regex pass).
RELEASE_TAG_PATTERN = "|".join(
    f"(?:{p})"
    for p in (DISC_PATTERN, VOLUME_PATTERN, DESCRIPTOR_PATTERN, *(p for _, p in EDITION_RULES))
)
# A word garbled by reading UTF-8 as Latin-1/cp1252 (features.releases.drop_mojibake_words).
MOJIBAKE_WORD_PATTERN = "[\u0080-\u00bf\u0192\u02c6\u02dc]|[ãâåæ][šžœ]|[šžœ][ãâåæ]|[ãâ]$|^[ãâ]"
UPC_PATTERN = r"^\d{12,13}$"
MAX_TRACK_COUNT = 500
# Fewer distinct informative words than this: the listing is a placeholder
# ("Track 01 ... Track 12") or the title repeated, not evidence.
MIN_TRACK_TOKENS = 3
TRACK_BANDS = 3
LABEL_NOISE_PATTERN = (
    r"\b(?:records|recordings|record|music|musique|entertainment|label|ltd|inc|llc"
    r"|gmbh|co|corp|company|group|productions|publishing)\b"
)


# --- titles ---------------------------------------------------------------------


def _number_value(token: Column) -> Column:
    """'04' -> 4, 'three' -> 3, 'iv' -> 4; anything else -> null."""
    words = {w: i + 1 for i, w in enumerate(_NUMBER_WORDS)}
    romans = {r: i + 1 for i, r in enumerate(_ROMAN)}
    lookup = F.create_map(*[F.lit(x) for kv in {**words, **romans}.items() for x in kv])
    return F.coalesce(token.try_cast("int"), F.element_at(lookup, token))


def disc_number(title_norm: Column) -> Column:
    """Which disc of a set: 'Hits CD2' -> 2, 'Live (Disc 1 of 2)' -> 1; none -> null."""
    token = blank_to_null(F.regexp_extract(title_norm, DISC_PATTERN, 1))
    return _number_value(token)


def _without_tags(title_norm: Column) -> Column:
    """The title without edition words, disc/volume numbers and 'Original Soundtrack'."""
    stripped = F.regexp_replace(title_norm, RELEASE_TAG_PATTERN, " ")
    return F.trim(F.regexp_replace(stripped, r"\s+", " "))


def volume_number(title_norm: Column) -> Column:
    """Which volume or part of a series: 'Trance Vol. 04' -> 4, 'Part II' -> 2, 'Now 45' -> 45.

    A number that ends the title once the edition and disc words are gone is
    a series number; a year (four digits) is not. None -> null.
    """
    named = F.coalesce(
        blank_to_null(F.regexp_extract(title_norm, VOLUME_PATTERN, 1)),
        blank_to_null(F.regexp_extract(title_norm, VOLUME_PATTERN, 2)),
    )
    trailing = blank_to_null(
        F.regexp_extract(_without_tags(title_norm), TRAILING_NUMBER_PATTERN, 1)
    )
    return F.coalesce(_number_value(named), trailing.cast("int"))


def title_years(title_norm: Column) -> Column:
    """The years a title names ('The Beatles 1962-1966' -> ['1962', '1966']); none -> null.

    Two releases whose titles name different years are different releases
    (a series' 1998 and 1999 editions, two concerts), whatever else they share.
    """
    years = F.array_sort(
        F.array_distinct(F.regexp_extract_all(title_norm, F.lit(TITLE_YEAR_PATTERN), 1))
    )
    return F.when(F.size(years) > 0, years)


def edition(title_norm: Column) -> Column:
    """The edition a title names ('deluxe', 'remaster', 'regional', ...); none -> null."""
    expr = None
    for name, pattern in EDITION_RULES:
        cond = F.coalesce(title_norm.rlike(pattern), F.lit(False))
        expr = F.when(cond, F.lit(name)) if expr is None else expr.when(cond, F.lit(name))
    return expr


def strip_release_tags(title_norm: Column) -> Column:
    """The title without edition words, disc/volume/series numbers and 'Original Soundtrack'."""
    no_number = F.regexp_replace(_without_tags(title_norm), TRAILING_NUMBER_PATTERN, "")
    return blank_to_null(F.trim(no_number))


def core_title(title: Column, generic_titles: tuple[str, ...] = ()) -> Column:
    """Normalised title without edition, disc and volume words; generic titles -> null."""
    return null_if_generic(strip_release_tags(normalize_text(title)), generic_titles)


def words(text: Column) -> Column:
    """Distinct words of a normalised text, sorted; null stays null."""
    return F.array_sort(F.array_distinct(F.split(text, " ")))


# --- artists ----------------------------------------------------------------------


def artist_key(name: Column) -> Column:
    """An artist's compact key: ``compact_key(normalize_artist(name))``."""
    return compact_key(normalize_artist(name))


def drop_generic_artists(names: Column, generic_artists: tuple[str, ...]) -> Column:
    """Remove 'Various Artists' and friends (raw or normalised names), compared without spaces.

    Catalogs write "various" in many ways ("v a", "v/a", "various artist"):
    comparing compact keys catches the spellings that differ only by spaces.
    """
    if not generic_artists:
        return names
    generic = normalized_constants(artist_key, generic_artists)
    return F.filter(names, lambda a: ~F.coalesce(artist_key(a).isin(*generic), F.lit(False)))


# --- track lists ----------------------------------------------------------------------


def drop_mojibake_words(text: Column) -> Column:
    """The text without its mojibake words ('mãºsicas', 'ã â ºâ'): UTF-8 read as Latin-1.

    A garbled Cyrillic or Japanese listing turns into words over a tiny
    alphabet ('a³a', 'aªa' once folded) that every other garbled listing
    shares: kept, they make unrelated releases look alike. A word is garbled
    when it holds a Latin-1 symbol (superscripts, fractions, ordinals: never
    part of a word), a cp1252 letter next to 'Ã'/'Â', or ends or starts with
    one of those two (real words put a letter after 'ã' or 'â').
    """
    lowered = F.translate(F.lower(text), "'’`´", "")
    raw_words = F.split(lowered, r"[\s\p{Punct}]+")
    clean = F.filter(raw_words, lambda w: ~w.rlike(MOJIBAKE_WORD_PATTERN))
    return F.array_join(clean, " ")


def without_mojibake(text: Column) -> Column:
    """A title or name that is mostly mojibake -> a digest of it; others as they are.

    Folded, a garbled value ('ã â ºâ' -> 'a a a') looks like every other
    garbled value to a string similarity. Identical garbage still says "same
    release", so a value whose words are mostly garbled becomes a hex digest,
    which matches only itself. A value with a garbled word or two
    ('mãºsicas para louvar ao senhor') keeps them: the rest still compares.
    """
    raw_words = F.filter(
        F.split(F.lower(F.trim(text)), r"[\s\p{Punct}]+"), lambda w: F.length(w) > 0
    )
    garbled = F.size(F.filter(raw_words, lambda w: w.rlike(MOJIBAKE_WORD_PATTERN)))
    mostly_garbled = garbled * 2 > F.size(raw_words)
    digest = F.substring(F.md5(F.lower(F.trim(text))), 1, 16)
    return F.when((garbled > 0) & mostly_garbled, digest).otherwise(text)


def track_tokens(track_titles: Column, artists_norm: Column | None = None) -> Column:
    """Distinct informative words of all track titles, sorted; none -> null.

    A set of words does not care how the titles were split ("one element holds
    them all" and "one element per track" agree) nor about track numbers. The
    release's own artist names are dropped too: some catalogs write
    "Artist - Title" for every track.
    """
    text = F.array_join(F.coalesce(track_titles, F.array().cast("array<string>")), " ")
    all_words = F.split(F.coalesce(normalize_text(drop_mojibake_words(text)), F.lit("")), " ")
    artist_words = (
        F.flatten(F.transform(artists_norm, lambda a: F.split(a, " ")))
        if artists_norm is not None
        else F.array().cast("array<string>")
    )
    kept = F.filter(
        all_words,
        lambda w: (F.length(w) > 1)
        & ~w.rlike(r"^\d+$")
        & ~w.isin(*TRACK_STOPWORDS)
        & ~F.coalesce(F.array_contains(artist_words, w), F.lit(False)),
    )
    distinct = F.array_sort(F.array_distinct(kept))
    return F.when(F.size(distinct) >= MIN_TRACK_TOKENS, distinct)


def track_band(tokens: Column, band: int) -> Column:
    """One MinHash band of the track words: a blocking key two similar track lists likely share.

    Each band is the pair of minimum hashes of the words under two hash seeds:
    two lists with word-set Jaccard J share a band with probability J^2, so
    a few bands find most releases with the same tracks however their titles
    are spelt, and few releases that merely share some words.
    """
    minima = [_min_hash(tokens, seed) for seed in (2 * band, 2 * band + 1)]
    return F.when(tokens.isNotNull(), F.xxhash64(*minima))


def _min_hash(tokens: Column, seed: int) -> Column:
    # a one-argument lambda: F.transform passes the index to a second argument
    return F.array_min(F.transform(tokens, lambda t: F.xxhash64(F.lit(seed), t)))


def track_count(track_count: Column, track_titles: Column) -> Column:
    """The number of tracks: as given, else the number of titles when there are several.

    One element holding all titles (a concatenated listing) says nothing about
    the count; absurd counts (<= 0, > 500) -> null.
    """
    titles = F.filter(
        F.coalesce(track_titles, F.array().cast("array<string>")),
        lambda t: F.length(F.trim(t)) > 0,
    )
    counted = F.when(F.size(titles) > 1, F.size(titles))
    given = F.when((track_count > 0) & (track_count <= MAX_TRACK_COUNT), track_count)
    return F.coalesce(given, counted)


def track_count_is_invalid(track_count: Column) -> Column:
    return F.coalesce((track_count <= 0) | (track_count > MAX_TRACK_COUNT), F.lit(False))


# --- identifiers and numbers ----------------------------------------------------------


def normalize_upc(upc: Column) -> Column:
    """UPC-A or EAN-13 as 13 digits ('0 75678-26412 5' -> '0075678264125'); bad check digit -> null.

    A UPC-A is an EAN-13 with a leading zero, so both spellings of one
    product agree. The check digit catches typos and placeholder values.
    """
    digits = F.regexp_replace(F.trim(upc), r"[\s\-_.]", "")
    ean = F.when(digits.rlike(UPC_PATTERN), F.lpad(digits, 13, "0"))
    weighted = None
    for position in range(1, 13):
        digit = F.substring(ean, position, 1).cast("int") * F.lit(1 if position % 2 else 3)
        weighted = digit if weighted is None else weighted + digit
    check = (F.lit(10) - weighted % 10) % 10
    valid = check == F.substring(ean, 13, 1).cast("int")
    return F.when(valid & ~ean.rlike(r"^0+$"), ean)


def upc_is_invalid(upc: Column) -> Column:
    """True when a UPC/EAN is present but not 12-13 digits with a valid check digit."""
    present = F.length(F.trim(upc)) > 0
    return F.coalesce(present & normalize_upc(upc).isNull(), F.lit(False))


def year_of_release(release_date: Column, year: Column) -> Column:
    """The date's year, else the catalog's year; placeholder years outside 1900-2100 -> null."""
    given = F.when((year >= 1900) & (year <= 2100), year)
    return F.coalesce(release_year(release_date), given)


def release_year_is_invalid(year: Column) -> Column:
    return F.coalesce(year.isNotNull() & ((year < 1900) | (year > 2100)), F.lit(False))


def normalize_label(label: Column) -> Column:
    """'Warner Bros. Records Inc.' -> 'warner bros': no company-form words."""
    norm = normalize_text(label)
    return blank_to_null(
        F.trim(F.regexp_replace(F.regexp_replace(norm, LABEL_NOISE_PATTERN, " "), r"\s+", " "))
    )


# --- the feature table ----------------------------------------------------------------


def with_title_features(df: DataFrame, *, generic_titles: tuple[str, ...] = ()) -> DataFrame:
    title = without_mojibake(F.col("title"))
    return (
        df.withColumn("title_norm", normalize_text(title))
        .withColumn("core_title", core_title(title, generic_titles))
        .withColumn("core_title_key", compact_key(F.col("core_title")))
        .withColumn("edition", edition(F.col("title_norm")))
        .withColumn("disc_number", disc_number(F.col("title_norm")))
        .withColumn("volume_number", volume_number(F.col("title_norm")))
        .withColumn("title_years", title_years(F.col("title_norm")))
    )


def with_artist_features(df: DataFrame, *, generic_artists: tuple[str, ...] = ()) -> DataFrame:
    # whole credits first ("V/A" would split into "v" and "a"), then each artist
    names = drop_generic_artists(F.transform(F.col("artists"), without_mojibake), generic_artists)
    credited = drop_generic_artists(split_artist_names(names), generic_artists)
    return (
        df.withColumn("artists_norm", F.when(F.size(credited) > 0, credited))
        .withColumn("artist_keys", F.transform("artists_norm", compact_key))
        .withColumn("primary_artist", F.get(F.col("artists_norm"), 0))
        .withColumn("primary_artist_key", compact_key(F.col("primary_artist")))
        .withColumn("artist_tokens", words(F.array_join("artists_norm", " ")))
    )


def with_track_features(df: DataFrame) -> DataFrame:
    df = df.withColumn(
        "track_tokens", track_tokens(F.col("track_titles"), F.col("artists_norm"))
    ).withColumn("track_count", track_count(F.col("track_count"), F.col("track_titles")))
    for band in range(TRACK_BANDS):
        df = df.withColumn(f"track_band_{band + 1}", track_band(F.col("track_tokens"), band))
    return df


def with_identifier_features(df: DataFrame) -> DataFrame:
    return (
        df.withColumn("upc", normalize_upc(F.col("upc")))
        .withColumn("release_year", year_of_release(F.col("release_date"), F.col("release_year")))
        .withColumn("label_norm", normalize_label(F.col("label")))
        .withColumn("genre_norm", normalize_text(F.col("genre")))
    )


def build_release_features(
    releases: DataFrame, *, generic_values: Mapping[str, tuple[str, ...]] | None = None
) -> DataFrame:
    """RELEASE_INPUT -> RELEASE_FEATURES: the comparison-ready view of each release."""
    generic = generic_values or {}
    feats = (
        releases.transform(with_artist_features, generic_artists=tuple(generic.get("artist", ())))
        .transform(with_title_features, generic_titles=tuple(generic.get("title", ())))
        .transform(with_track_features)
        .transform(with_identifier_features)
    )
    return feats.select(*[f.name for f in RELEASE_FEATURES.fields])


def release_rules() -> tuple[list[RecordRule], list[FieldRule]]:
    """What makes a release unusable, and which of its values are nulled."""
    return (
        [title_required()],
        [
            FieldRule(
                "upc",
                upc_is_invalid(F.col("upc")),
                "invalid UPC/EAN (expected 12 or 13 digits with a valid check digit)",
            ),
            FieldRule(
                "release_date",
                release_year_is_invalid(F.year(F.col("release_date"))),
                "release date outside 1900-2100 (a placeholder such as 0001-01-01)",
            ),
            FieldRule(
                "release_year",
                release_year_is_invalid(F.col("release_year")),
                "release year outside 1900-2100",
            ),
            FieldRule(
                "track_count",
                track_count_is_invalid(F.col("track_count")),
                f"track count not positive or over {MAX_TRACK_COUNT}",
            ),
        ],
    )


def release_summary(features: DataFrame) -> Column:
    """One line a person reads to judge a pair: 'Title | Artist, Artist | 1999 | 12 tracks | Label | source'.

    Built from the feature table (RELEASE_FEATURES); missing parts are left out.
    """
    tracks = F.when(
        features["track_count"].isNotNull(),
        F.concat(features["track_count"].cast("string"), F.lit(" tracks")),
    )
    return F.concat_ws(
        " | ",
        features["title"],
        F.array_join(features["artists_norm"], ", "),
        features["release_year"].cast("string"),
        tracks,
        features["label_norm"],
        features["source"],
    )
