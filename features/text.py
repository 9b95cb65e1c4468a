"""Text normalisation shared by every entity type: Column -> Column, Spark built-ins only.

Spark has no Unicode NFKD, so diacritics are folded with ``translate`` over the
Latin, Cyrillic and Greek letters a music catalog meets; a row-wise Python UDF
would be ~10x slower on Spark (see README, benchmarks).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F

# One-to-one foldings of Latin letters with diacritics, as "<letter><base>" pairs.
_FOLD_PAIRS = (
    "àa áa âa ãa äa åa āa ăa ąa ǎa çc ćc ĉc ċc čc ďd đd ðd èe ée êe ëe ēe ĕe ėe ęe ěe "
    "ĝg ğg ġg ģg ĥh ħh ìi íi îi ïi ĩi īi ĭi įi ıi ǐi ĵj ķk ĺl ļl ľl ŀl łl ñn ńn ņn ňn "
    "òo óo ôo õo öo øo ōo ŏo őo ǒo ŕr ŗr řr śs ŝs şs šs șs ţt ťt ŧt țt þt "
    "ùu úu ûu üu ũu ūu ŭu ůu űu ųu ǔu ŵw ýy ÿy ŷy źz żz žz"
).split()
_FOLD_FROM = "".join(pair[0] for pair in _FOLD_PAIRS)
_FOLD_TO = "".join(pair[1] for pair in _FOLD_PAIRS)
# Cyrillic and Greek letters that transliterate to one Latin letter.
_TRANSLIT_PAIRS = (
    "аa бb вv гg дd еe зz иi йi кk лl мm нn оo пp рr сs тt уu фf хh цc ыy эe "
    "αa βb γg δd εe ζz ηi ιi κk λl μm νn ξx οo πp ρr σs ςs τt υy φf χh ωo "
    "άa έe ήi ίi όo ύy ώo"
).split()
_TRANSLIT_FROM = "".join(pair[0] for pair in _TRANSLIT_PAIRS)
_TRANSLIT_TO = "".join(pair[1] for pair in _TRANSLIT_PAIRS)
# Signs with no Latin letter: deleted (translate drops from-chars past the to-string).
_DROPPED = "ъь"
# Letters that transliterate to several Latin letters (regexp_replace, in order).
_MULTI_LETTER = (
    ("ß", "ss"),
    ("æ", "ae"),
    ("œ", "oe"),
    ("ё", "e"),
    ("ж", "zh"),
    ("ч", "ch"),
    ("ш", "sh"),
    ("щ", "shch"),
    ("ю", "yu"),
    ("я", "ya"),
    ("ψ", "ps"),
    ("θ", "th"),
)

# Katakana to Hepburn romaji, one character at a time ("コカヤ" -> "kokaya"), so a
# Japanese credit meets its transliteration. (Contracted syllables come out
# spelt in full, "キャ" -> "kiya": both sides of a comparison are folded alike.)
_KANA_ROWS = (
    "ア a イ i ウ u エ e オ o カ ka キ ki ク ku ケ ke コ ko サ sa シ shi ス su セ se ソ so "
    "タ ta チ chi ツ tsu テ te ト to ナ na ニ ni ヌ nu ネ ne ノ no ハ ha ヒ hi フ fu ヘ he "
    "ホ ho マ ma ミ mi ム mu メ me モ mo ヤ ya ユ yu ヨ yo ラ ra リ ri ル ru レ re ロ ro "
    "ワ wa ヲ o ン n ガ ga ギ gi グ gu ゲ ge ゴ go ザ za ジ ji ズ zu ゼ ze ゾ zo ダ da ヂ ji "
    "ヅ zu デ de ド do バ ba ビ bi ブ bu ベ be ボ bo パ pa ピ pi プ pu ペ pe ポ po ヴ vu "
    "ァ a ィ i ゥ u ェ e ォ o ャ ya ュ yu ョ yo"
).split()
_KANA = dict(zip(_KANA_ROWS[0::2], _KANA_ROWS[1::2], strict=True))
_KANA_CLASS = "[\u30a1-\u30fc]"
# The map as one SQL literal: built from ~170 F.lit calls it cost a py4j round trip
# each, seconds of driver time per feature build.
_KANA_MAP_SQL = "map(" + ", ".join(f"'{x}'" for pair in _KANA.items() for x in pair) + ")"
_KANA_DROPPED = "ーッ"  # the long-vowel mark and the small tsu (a doubled consonant)

SEPARATOR_PUNCTUATION = r"[\-‐‑‒–—―_/\\|:;,.!?¿¡\"“”„«»‘’'`´*~^+=<>#@%$]"


_MULTI_LETTER_CLASS = "[" + "".join(source for source, _ in _MULTI_LETTER) + "]"
# Apostrophes vanish without a space in normalize_text ("don't" -> "dont").
_APOSTROPHES = "'’`´"


def _fold(lowered: Column, *, drop: str = "") -> Column:
    """Multi-letter transliteration, then one-to-one folding; ``drop``: chars deleted too.

    The multi-letter replacements run only on the rare values that hold such a
    letter (one regex test instead of twelve replacements on every value: the
    feature stage is dominated by regex passes, README "Benchmarks").
    """
    multi = lowered
    for source, target in _MULTI_LETTER:
        multi = F.regexp_replace(multi, source, target)
    lowered = F.when(lowered.rlike(_MULTI_LETTER_CLASS), multi).otherwise(lowered)
    kana_map = F.expr(_KANA_MAP_SQL)
    kana = F.array_join(
        F.transform(F.split(lowered, ""), lambda c: F.coalesce(F.try_element_at(kana_map, c), c)),
        "",
    )
    lowered = F.when(lowered.rlike(_KANA_CLASS), kana).otherwise(lowered)
    # translate deletes the from-chars past the end of the to-string: the dropped ones
    return F.translate(
        lowered,
        _FOLD_FROM + _TRANSLIT_FROM + _DROPPED + _KANA_DROPPED + drop,
        _FOLD_TO + _TRANSLIT_TO,
    )


def fold_case_and_accents(text: Column) -> Column:
    """Lower-case, fold diacritics and transliterate Cyrillic/Greek/katakana to Latin.

    Keeps brackets and punctuation, so tag parsing can still see them.
    """
    return F.regexp_replace(_fold(F.lower(text)), r"\s+", " ")


def normalize_text(text: Column) -> Column:
    """Comparable form of a name or title: folded, '&' -> 'and', no punctuation.

    Apostrophes vanish without a space ("don't" -> "dont") so that "Dont" and
    "Don't" agree; other punctuation becomes a space. Empty results are null,
    so a blank value can never make two records agree.
    """
    return normalize_folded(_fold(F.lower(text)))


def normalize_folded(folded: Column) -> Column:
    """``normalize_text`` of a value that is already through ``fold_case_and_accents``.

    Two regex passes: '&'/'+' become ' and ', then every run of characters
    that are neither letters nor digits (whitespace included) becomes one
    space. (Folding twice gives the same text, so callers that hold a folded
    value skip it: the feature stage's time is mostly regex passes.)
    """
    text = F.regexp_replace(F.translate(folded, _APOSTROPHES, ""), r"[&+]", " and ")
    return blank_to_null(F.trim(F.regexp_replace(text, r"[^\p{L}\p{N}]+", " ")))


def blank_to_null(text: Column) -> Column:
    """Empty or whitespace-only strings become null."""
    return F.when(F.length(F.trim(text)) > 0, text)


def let(value: Column, body: Callable[[Column], Column]) -> Column:
    """``body(value)`` with ``value`` computed once per row.

    Spark has no "let": a Column used twice in an expression (a CASE WHEN, or
    blank_to_null's test and result) is computed twice, and nested helpers
    multiply that. A lambda argument is computed once however often it is read.
    """
    return F.get(F.transform(F.array(value), body), 0)


def empty_to_null(text: Column) -> Column:
    """Trimmed text, null when empty, computing ``text`` once (unlike blank_to_null)."""
    return F.get(F.array_remove(F.array(F.trim(text)), F.lit("")), 0)


def compact_key(normalized: Column) -> Column:
    """Blocking key: a normalised text without spaces and a leading 'the'."""
    no_article = F.regexp_replace(normalized, r"^the ", "")
    return blank_to_null(F.regexp_replace(no_article, " ", ""))


@functools.cache
def normalized_constants(
    normalize: Callable[[Column], Column], values: tuple[str, ...]
) -> tuple[str, ...]:
    """``normalize`` of each configured value, as text: computed once by Spark, then literals.

    Written as ``normalize(F.lit(v))`` inside a feature expression, each value
    brings the whole normalisation tree along (a dozen replacements, the kana
    map, translate); eighteen generic artists made the releases' plan take
    seconds to analyse at every withColumn. Values that normalise to nothing
    are left out (they could never equal a value).
    """
    if not values:
        return ()
    spark = SparkSession.active()
    row = spark.range(1).select(*[normalize(F.lit(v)) for v in values]).first()
    return tuple(dict.fromkeys(v for v in row if v is not None))


def null_if_generic(normalized: Column, generic_values: tuple[str, ...]) -> Column:
    """Null out values such as 'various artists' that carry no identity.

    A value that dominates a column wrecks EM and glues unrelated records:
    null is Splink's 'no evidence either way'.
    """
    if not generic_values:
        return normalized
    # config says "N/A", the data says "n a": compare in normalised form
    generic = normalized_constants(normalize_text, generic_values)
    return F.when(~normalized.isin(*generic), normalized)


# --- numbers in titles ---------------------------------------------------------------

# Words after which a Roman numeral is a number: "part ii", "vol iv", "act i". Not
# "no"/"nr" ("No I Don't"): a catalogue number after them is written in digits.
_NUMBERED_WORDS = "part|pt|vol|volume|act|book|chapter|scene|movement|episode"
_ROMAN_NUMERALS = (
    "i ii iii iv v vi vii viii ix x xi xii xiii xiv xv xvi xvii xviii xix xx"
).split()
_ROMAN_ALTERNATION = "|".join(sorted(_ROMAN_NUMERALS, key=len, reverse=True))
# A number written as one word with its label ("op27", "bwv1007", "no5", "pt2").
_GLUED_NUMBER_PATTERN = r"\b(op|no|nr|pt|vol|bwv|kv|hwv)(\d+)\b"
# "1,000 miles" is "1 000 miles" once normalised: a group of three digits joins the number.
_THOUSANDS_PATTERN = r"\b(\d{1,3}) (\d{3})\b"
# The year of a remaster, re-issue, edition or mix that core_title leaves in because
# no bracket or dash marks it as a tag ("Song 2011 Remaster", "Song Remastered 2009").
_VERSION_YEAR_PATTERN = (
    r"\b(?:19|20)\d{2} (?:digital(?:ly)? )?(?:re ?master(?:ed)?|re ?issue|edition|version|mix)\b"
    r"|\b(?:re ?master(?:ed)?|re ?issue|edition|version|mix)(?: in)? (?:19|20)\d{2}\b"
)
# A bare number (a word of digits), or a Roman numeral after a word of _NUMBERED_WORDS.
TITLE_NUMBER_PATTERN = (
    rf"(?<![\p{{L}}\p{{N}}])(\d+|(?<=\b(?:{_NUMBERED_WORDS}) )(?:{_ROMAN_ALTERNATION}))"
    r"(?![\p{L}\p{N}])"
)


def title_numbers(core_title: Column) -> Column:
    """The numbers a title names, as sorted distinct strings; null when it names none.

    Two titles that differ only by a number ("Part 1" / "Part 2", "No. 5" /
    "No. 9", "Fine Song 1" / "Fine Song 10") are different songs, yet a
    string similarity scores them as near-equal: the numbers are compared on
    their own. ``core_title`` is a normalised title without version tags
    (``features.tracks.core_title`` and its video and work counterparts), so
    a remaster or live tag's year ("(2011 Remaster)", " - Live at ... 1979")
    is already gone; a remaster, re-issue, edition or mix year the tag
    patterns did not see ("Song 2011 Remaster") is dropped here.

    What counts as a number:

    - every word made only of digits, leading zeros dropped: "99 problems"
      -> ["99"], "vol 03" -> ["3"], "k 331" -> ["331"], "#5" and "No. 5" and
      "No.5" -> ["5"], "op 27 no 2" -> ["2", "27"], "1,000 miles" -> ["1000"];
      a year in the title is a number like any other ("1979" -> ["1979"]): a
      differing number is a differing song;
    - a number glued to its label: "op27", "no5", "bwv1007" -> ["27"], ["5"],
      ["1007"];
    - a Roman numeral after part, pt, vol, volume, act, book, chapter, scene,
      movement or episode, as its value: "part ii" -> ["2"] (so "Part II" and
      "Part 2" agree); elsewhere a Roman numeral is a word ("i", "v", "x");
    - not: digits inside a word ("u2", "2pac", "4ever", "1st", "1080p"), or
      numbers spelt out ("one", "two": out of scope).

    The values are kept without their labels ("No. 5" and "Op. 5" both give
    "5"), so a label one catalog writes and another leaves out ("Symphony
    No. 5" / "Symphony 5") does not make a difference.
    """
    roman_values = F.create_map(
        *[F.lit(x) for i, r in enumerate(_ROMAN_NUMERALS) for x in (r, str(i + 1))]
    )
    text = F.regexp_replace(core_title, _VERSION_YEAR_PATTERN, " ")
    text = F.regexp_replace(text, _GLUED_NUMBER_PATTERN, "$1 $2")
    text = F.regexp_replace(text, _THOUSANDS_PATTERN, "$1$2")
    tokens = F.regexp_extract_all(text, F.lit(TITLE_NUMBER_PATTERN), 1)
    values = F.transform(
        tokens,
        lambda t: F.coalesce(
            F.try_element_at(roman_values, t), F.regexp_replace(t, r"^0+(?=\d)", "")
        ),
    )
    numbers = F.array_sort(F.array_distinct(values))
    return F.when(F.size(numbers) > 0, numbers)
