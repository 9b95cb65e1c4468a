"""Text normalisation shared by every entity type: Column -> Column, Spark built-ins only.

Spark has no Unicode NFKD, so diacritics are folded with ``translate`` over the
Latin, Cyrillic and Greek letters a music catalog meets; a row-wise Python UDF
would be ~10x slower on Spark (see README, benchmarks).
"""

from __future__ import annotations

from pyspark.sql import Column
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
    kana_map = F.create_map(*[F.lit(x) for pair in _KANA.items() for x in pair])
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


def compact_key(normalized: Column) -> Column:
    """Blocking key: a normalised text without spaces and a leading 'the'."""
    no_article = F.regexp_replace(normalized, r"^the ", "")
    return blank_to_null(F.regexp_replace(no_article, " ", ""))


def null_if_generic(normalized: Column, generic_values: tuple[str, ...]) -> Column:
    """Null out values such as 'various artists' that carry no identity.

    A value that dominates a column wrecks EM and glues unrelated records:
    null is Splink's 'no evidence either way'.
    """
    if not generic_values:
        return normalized
    # config says "N/A", the data says "n a": compare in normalised form
    generic = [normalize_text(F.lit(v)) for v in generic_values]
    return F.when(~normalized.isin(*generic), normalized)
