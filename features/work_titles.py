"""Work (composition) features: the titles a song is known by (ISWCs: features.identifiers).

A work groups every recording of one song: covers, live takes, remixes,
medleys and soundtrack versions. Their titles disagree in shapes that a
string similarity scores badly ("(I Can't Get No) Satisfaction" /
"Satisfaction", "Theme from New York, New York" / "New York, New York",
"Yesterday / Michelle" / "Michelle"), so a title is read into the set of
*variants* its song could go by, and two recordings agree when their sets
meet. Every function is a pure transform on Spark built-ins; the tag patterns
are the recording features' (``features.tracks``), so a work sees the same
"live" or "remaster" that a recording group does.

Variant rules (a title may combine several):

1. Tags go: version and feature tags (``features.tracks``: "(Live)",
   "[Remastered 2011]", " - Radio Edit", "(feat. X)"), platform noise
   ("(Official Video)", "[HD]", "(1965)"), cover and medley notes
   ("[Nine Inch Nails cover]"), and the "from" notes of soundtrack songs
   ("(From the film Y)", ' - From "Y" Soundtrack'). Quotes around the whole
   title and a "Medley:" prefix go too.
2. Medleys split on " / " (and "//"): each part is a variant. A bare "/" and a
   " - " are not medley separators ("AC/DC", "24/7"; a " - " left after the
   tags are gone joins a title to its subtitle, movement or artist far more
   often than two songs), unless the title says "medley" ("Medley: Golden
   Slumbers/Carry That Weight"). Each part bridges two works when the
   variants are clustered by connected components: a model should weigh a
   shared medley part below a shared core.
3. Brackets that are not tags: the title without them is a variant ("(I Can't
   Get No) Satisfaction" -> "satisfaction"), and a trailing bracket's text is
   one too, as an alternative title ("Play Something Sweet (Brickyard Blues)"
   -> "brickyard blues"); a leading bracket is the first words of the title,
   never a title of its own.
4. "Theme from X", "Love Theme from X", "Main Title from X", also in brackets
   ("My Heart Will Go On (Love Theme from 'Titanic')"): "x" is a variant.
   "Love Theme (From X)" is read as "Love Theme from X", not as a tagged
   "Love Theme", which would join the love themes of every film.
5. Spelling: a leading "the"/"a"/"an" may go ("A Whiter Shade of Pale" /
   "Whiter Shade of Pale"), a dropped g is spelt out ("Walkin'" -> "walking").

A derived variant (every one but the first) must say something: one made only
of words such as "part", "theme", "intro", "reprise", numbers or roman
numerals ("Theme (Love Me Tender)" -> not "theme") or shorter than three
characters is dropped, because it would join unrelated songs.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from features.text import fold_case_and_accents, normalize_text
from features.tracks import BRACKET_TAG_PATTERN, DASH_TAG_PATTERN, FEAT_TAIL_PATTERN

_OPEN, _CLOSE = r"[\(\[\{]", r"[\)\]\}]"
_INSIDE = r"[^\(\)\[\]\{\}]"
_BRACKET = rf"{_OPEN}{_INSIDE}*{_CLOSE}"

# Tags that say how a song was performed or presented, beyond the recording
# features' TAG_KEYWORDS: a cover or medley note, platform noise.
WORK_TAG_KEYWORDS = (
    r"\bcover\b|\bcovers\b|\bmedley\b|\btribute\b|\bofficial\b|\bmusic video\b|\blyrics?\b"
    r"|\blyric video\b|\baudio\b|\bvideo\b|\bhd\b|\bhq\b|\bsoundtrack\b|\bost\b"
)
WORK_BRACKET_TAG_PATTERN = rf"\s*{_OPEN}{_INSIDE}*(?:{WORK_TAG_KEYWORDS}){_INSIDE}*{_CLOSE}"
# A bracket holding only a year: "(1965)".
YEAR_BRACKET_PATTERN = rf"\s*{_OPEN}\s*(?:19|20)\d{{2}}\s*{_CLOSE}"
WORK_DASH_TAG_PATTERN = rf"\s+[-–—]\s+{_INSIDE}*(?:{WORK_TAG_KEYWORDS}).*$"
# Quotes around the whole title ('"Heroes"', '«Ne me quitte pas»').
SURROUNDING_QUOTES_PATTERN = r"^\s*[\"“”„«»'‘’]+\s*(.*?)\s*[\"“”„«»'‘’]+\s*$"
MEDLEY_PREFIX_PATTERN = r"^\s*medley\s*[:\-–—]\s*"
# " / " and "//". A bare "/" is left alone: "AC/DC", "24/7", "Either/Or", "Love/Hate".
MEDLEY_SEPARATOR_PATTERN = r"\s*//\s*|\s+/\s+"
# A title that says it is a medley ("Medley: A/B/C", "A - B (Medley)") splits on any
# slash, dash or semicolon between its parts.
MEDLEY_MARKER_PATTERN = r"\bmedley\b"
MARKED_MEDLEY_SEPARATOR_PATTERN = r"\s*/+\s*|\s+[-–—]\s+|\s*;\s*"
# A dropped g ("Walkin'", "Comin'"): the variant spells it out.
DROPPED_G_PATTERN = r"(?<=\p{L}{2})in['’](?![\p{L}\p{N}])"
LEADING_ARTICLE_PATTERN = r"^(?:the|a|an) "
# "Love Theme (From Y)" is the theme's title, not a song with a soundtrack tag:
# the bracket is opened so that the tag patterns leave it alone.
_THEME_WORDS = (
    r"(?:(?:love|main|end|opening|closing|title)\s+)?theme(?:\s+song|\s+music)?"
    r"|(?:main|end|opening|closing)\s+titles?(?:\s+theme)?"
)
BRACKETED_FROM_AFTER_THEME_PATTERN = (
    rf"\b({_THEME_WORDS})\s*{_OPEN}\s*((?:from|to)\s+{_INSIDE}*){_CLOSE}"
)
# "Theme from X" at the start, in a bracket, or after a medley separator; X
# ends at a bracket, slash or " - ".
THEME_FROM_PATTERN = (
    rf"(?:^|{_OPEN}\s*|/\s*)(?:{_THEME_WORDS})\s+(?:from|to)\s+"
    r"(?:(?:the\s+)?(?:original\s+)?(?:film|movie|motion picture|musical|tv series|series"
    r"|show|opera|soundtrack)\s+)?"
    r"((?:(?!\s[-–—]\s)[^\(\)\[\]\{\}/])+)"
)
# Words that make a derived variant an annotation, not a title ("part 2", "reprise").
ANNOTATION_WORDS = (
    "part",
    "parts",
    "pt",
    "no",
    "nr",
    "number",
    "vol",
    "volume",
    "reprise",
    "intro",
    "introduction",
    "outro",
    "interlude",
    "prelude",
    "overture",
    "finale",
    "coda",
    "suite",
    "medley",
    "theme",
    "themes",
    "main",
    "title",
    "titles",
    "act",
    "scene",
    "op",
    "opus",
    "mvt",
    "movement",
    "continued",
    "cont",
    "segue",
    "excerpt",
    "excerpts",
    "bonus",
    "track",
    "hidden",
    "song",
    "version",
    "live",
    "mix",
    "edit",
    "remix",
    "demo",
    "mono",
    "stereo",
    "instrumental",
    "acoustic",
    "single",
    "album",
    "the",
    "a",
    "an",
    "of",
    "and",
    "from",
    "to",
)
_NUMBER_OR_ROMAN = r"^(?:\d+|x{0,3}(?:ix|iv|v?i{0,3}))$"
MIN_VARIANT_LENGTH = 3


# --- titles -----------------------------------------------------------------------


def strip_work_tags(title: Column) -> Column:
    """The folded title without tags, notes and noise; non-tag brackets stay.

    Quotes around the title and a "Medley:" prefix go first; then, in one
    pass, bracketed version tags ("(Live)"), cover or noise notes ("[Nine Inch
    Nails cover]", "(Official Video)", "(1965)"); then in another the " - ..."
    tag suffix and an unbracketed "feat. X".
    """
    return _strip_tags(_prepared(fold_case_and_accents(title)))


def _prepared(folded: Column) -> Column:
    """Quotes around the title, a "Medley:" prefix and the bracket of "Theme (From Y)" gone."""
    text = F.regexp_replace(folded, SURROUNDING_QUOTES_PATTERN, "$1")
    text = F.regexp_replace(text, MEDLEY_PREFIX_PATTERN, "")
    return F.regexp_replace(text, BRACKETED_FROM_AFTER_THEME_PATTERN, "$1 $2")


def _strip_tags(text: Column) -> Column:
    brackets = f"{BRACKET_TAG_PATTERN}|{WORK_BRACKET_TAG_PATTERN}|{YEAR_BRACKET_PATTERN}"
    text = F.regexp_replace(text, brackets, "")
    tails = f"{DASH_TAG_PATTERN}|{WORK_DASH_TAG_PATTERN}|{FEAT_TAIL_PATTERN}"
    return F.trim(F.regexp_replace(text, tails, ""))


def _is_title_like(variant: Column) -> Column:
    """False for an annotation ("part 2", "theme", "reprise") or a too-short variant."""
    annotation = F.forall(
        F.split(variant, " "),
        lambda word: word.isin(*ANNOTATION_WORDS) | word.rlike(_NUMBER_OR_ROMAN),
    )
    return (F.length(variant) >= MIN_VARIANT_LENGTH) & ~annotation


def _segment_variants(segment: Column) -> Column:
    """One title or medley part -> [as is, without brackets, g spelt out, trailing bracket texts]."""
    g_spelt_out = F.regexp_replace(segment, DROPPED_G_PATTERN, "ing")
    without_brackets = F.regexp_replace(segment, rf"\s*{_BRACKET}\s*", " ")
    after_leading = F.regexp_replace(segment, rf"^\s*{_BRACKET}", "")
    alternatives = F.regexp_extract_all(after_leading, F.lit(rf"{_OPEN}({_INSIDE}*){_CLOSE}"), 1)
    return F.concat(F.array(segment, without_brackets, g_spelt_out), alternatives)


def work_title_variants(title: Column) -> Column:
    """The normalised titles this recording's song could be known by; first = the core title.

    The core (element 0) is the title with its tags, notes and noise removed
    (``strip_work_tags``) and its remaining brackets read as plain words: the
    fullest name of the song, so that "(I Can't Get No) Satisfaction" and
    "Theme from New York, New York" keep every word and a medley stays whole
    ("yesterday michelle"). It equals the recording feature ``core_title``
    for most titles, so a work's core is the core of its recordings. The
    other elements are the shorter names the song also goes by (the module
    docstring lists the rules); a recording of the same song usually shares
    at least one of them, an unrelated song rarely does.

    Returns an empty array for a null or blank title, never null.
    """
    folded = fold_case_and_accents(title)
    prepared = _prepared(folded)
    base = _strip_tags(prepared)
    parts = F.when(
        folded.rlike(MEDLEY_MARKER_PATTERN),
        F.split(base, MARKED_MEDLEY_SEPARATOR_PATTERN),
    ).otherwise(F.split(base, MEDLEY_SEPARATOR_PATTERN))
    segments = F.when(F.size(parts) > 1, F.concat(F.array(base), parts)).otherwise(F.array(base))
    from_segments = F.flatten(F.transform(segments, _segment_variants))
    # theme notes are read before the tag pass, which removes "(Love Theme from Y)"
    themes = F.regexp_extract_all(prepared, F.lit(THEME_FROM_PATTERN), 1)
    core = normalize_text(base)
    candidates = F.transform(F.concat(from_segments, themes), normalize_text)
    without_article = F.transform(
        F.concat(F.array(core), candidates),
        lambda v: F.regexp_replace(v, LEADING_ARTICLE_PATTERN, ""),
    )
    derived = F.filter(
        F.concat(candidates, without_article), lambda v: v.isNotNull() & _is_title_like(v)
    )
    everything = F.concat(F.array(core), derived)
    return F.coalesce(
        F.array_distinct(F.filter(everything, lambda v: v.isNotNull())),
        F.array().cast("array<string>"),
    )


def core_work_title(title: Column) -> Column:
    """The core title of ``work_title_variants`` (its first element); null when there is none.

    The tag-stripped title is computed on its own first: only the rare title
    that is all tags ("(Theme from Shaft)") pays for the variants.
    """
    core = normalize_text(strip_work_tags(title))
    return F.coalesce(core, F.get(work_title_variants(title), 0))
