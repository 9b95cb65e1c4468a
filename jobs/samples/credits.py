"""The people behind the sample catalog's tracks: credits as labels deliver them, with truth.

Every credit names a person (or a band) of the catalog: the writers of the
works, the performing artists, producers who work for many artists, mixers,
remixers and band members who play an instrument. Each person has an IPI
name number and some an ISNI; a credit carries them on a share of rows only,
as deliveries do. Credits spell names the ways labels get them wrong:
initials, "Last, First", diacritics dropped, a typo, the native script
instead of the transliteration, a legal name where other credits use the
stage name (with the same IPI/ISNI: the only link), a country suffix
("Max Martin (SE)"), "& His Orchestra". Some producers share a writer's
exact name and are different people who never work with the same artists.

The truth is one row per credit (``CREDIT_TRUTH_COLUMNS``): the credits
table's ``credit_id``s, and for a track's main artist the id a contributor
builder gives it (``features.contributors.artist_credit_id``), where the
track names its recording's artist first (not "Various Artists", nor a duo
that splits into two names).

Drawn from a random stream of their own: the tracks, works and writer
credits of a seed are the same as without them (the writer rows keep their
names; they gain an id and identifiers).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from features.contributors import artist_credit_id
from features.identifiers import ipi_check, isni_check
from jobs.samples.catalog import (
    SYLLABLES,
    VARIOUS_ARTISTS,
    _Artist,
    _CatalogBuilder,
    _Recording,
    spell_person,
    strip_diacritics,
)

# fmt: off
CREDIT_COLUMNS: tuple[str, ...] = (  # TRACK_CREDITS' order
    "track_id", "source", "name", "role", "credit_id", "instrument", "ipi", "isni",
)
CREDIT_TRUTH_COLUMNS: tuple[str, ...] = ("credit_id", "person_id", "name_variant")
# fmt: on
IPI_RATE = {"writer": 0.7, "producer": 0.4, "mixer": 0.3, "remixer": 0.3, "performer": 0.15}
ISNI_RATE = 0.15  # of credits whose person has an ISNI
PERSON_ISNI_RATE = 0.5
LEGAL_NAME_RATE = 0.35  # of solo artists: a legal name besides the stage name
SELF_PRODUCED_RATE = 0.25  # of solo artists with a legal name: produce their records
LEGAL_CREDIT_RATE = 0.6  # of their producer credits: under the legal name
PRODUCER_CREDIT_RATE = 0.5  # of a recording's tracks credit its producer
MIXER_CREDIT_RATE = 0.3
REMIXER_CREDIT_RATE = 0.6
MEMBER_CREDIT_RATE = 0.3  # of a band's tracks credit its members with their instruments
HOMONYM_RATE = 0.1  # of producers (at least 3): named exactly as one of the writers
INSTRUMENTS = ("vocals", "guitar", "bass", "drums", "keyboards", "piano", "saxophone", "violin")
# how a (non-writer) credit spells a name; writer credits keep the works' spellings
NAME_VARIANTS = {
    "plain": 60,
    "inverted": 12,
    "initial": 10,
    "no_diacritics": 5,
    "typo": 4,
    "upper": 3,
    "country": 3,
    "orchestra": 3,
}
COUNTRY_SUFFIXES = ("SE", "US", "UK", "DE", "FR", "JP", "BR")
BAD_CREDIT_KINDS = ("blank_name", "invalid_ipi", "invalid_isni")


@dataclass(slots=True)
class Person:
    person_id: str
    name: str  # as most credits spell it (a stage name for artists)
    native: str | None = None  # the name in its own script, when ``name`` is a transliteration
    legal: str | None = None  # legal name (solo artists)
    ipi: str = ""
    isni: str | None = None
    instrument: str | None = None  # band members


class _People:
    def __init__(self, builder: _CatalogBuilder, seed: int) -> None:
        self.r = random.Random(seed * 104_729 + 7)
        self.b = builder
        self.people: list[Person] = []
        self.by_writer: dict[str, Person] = {}
        self.by_artist: dict[int, Person] = {}
        self.by_latin: dict[str, Person] = {}
        self.members: dict[int, list[Person]] = {}
        self.producers_of: dict[int, list[Person]] = {}
        for name in builder.writers.items:
            self.by_writer[name] = self._person(name)
        for artist in (*builder.artists.items, *builder.karaoke):
            p = self._person(artist.latin_name, native=artist.name if artist.latin else None)
            self.by_artist[id(artist)] = p
            self.by_latin.setdefault(artist.latin_name, p)
            solo = not artist.name.startswith("The ") and " & " not in artist.name
            if solo and self.r.random() < LEGAL_NAME_RATE:
                p.legal = self._name()
            if artist.name.startswith("The "):
                self.members[id(artist)] = [
                    self._person(self._name(), instrument=self.r.choice(INSTRUMENTS))
                    for _ in range(self.r.randint(2, 4))
                ]
        n_artists = len(builder.artists.items)
        writers = list(self.by_writer.values())
        # who is credited beside whom: the names on each artist's recordings, and on
        # the recordings of each writer's songs
        beside_artist: dict[int, set[str]] = {}
        beside_writer: dict[str, set[str]] = {}
        for rec in builder.recordings:
            wrote = builder.works[rec.work_index].writers
            credited = {rec.artist.latin_name, *wrote}
            credited |= {a.latin_name for a in rec.featured}
            if rec.remixer is not None:
                credited.add(rec.remixer.latin_name)
            beside_artist.setdefault(id(rec.artist), set()).update(credited)
            for w in wrote:
                beside_writer.setdefault(w, set()).update(credited)
        producers = []
        # a homonym producer never works for an artist whose recordings credit anyone
        # its namesake's songs credit: two people of one name who share no collaborator
        avoid: dict[int, set[str]] = {}
        n_producers = max(15, n_artists // 12)
        n_homonyms = max(3, round(n_producers * HOMONYM_RATE))
        homonyms = {2 + i * (n_producers - 2) // n_homonyms for i in range(n_homonyms)}
        # each of a different writer: a name two people share, one writes, one produces
        # (two producers of one name, for different artists and without an IPI, are
        # past telling apart from the credits)
        namesakes = iter(self.r.sample(writers, len(homonyms)))
        for i in range(n_producers):
            if i in homonyms:  # a writer's exact name, another person
                namesake = next(namesakes).name
                producers.append(self._person(namesake))
                avoid[id(producers[-1])] = beside_writer.get(namesake, set()) - {namesake}
            else:
                producers.append(self._person(self._name()))
        self.mixers = [self._person(self._name()) for _ in range(max(10, n_artists // 25))]
        # producers work for many artists, the busiest for most (Zipf-like)
        weights = [1.0 / (i + 2) for i in range(len(producers))]
        for artist in builder.artists.items:
            own = [
                p
                for p in self.r.choices(producers, weights, k=self.r.randint(1, 2))
                if not avoid.get(id(p), set()) & beside_artist.get(id(artist), set())
            ] or [next(p for p in producers if id(p) not in avoid)]
            p = self.by_artist[id(artist)]
            if p.legal and self.r.random() < SELF_PRODUCED_RATE:
                own = [p]
            self.producers_of[id(artist)] = own

    def _name(self) -> str:
        def part(lo: int, hi: int) -> str:
            n = self.r.randint(lo, hi)
            return "".join(self.r.choice(SYLLABLES) for _ in range(n)).capitalize()

        return f"{part(2, 2)} {part(2, 3)}"

    def _person(self, name: str, **kw: str | None) -> Person:
        n = len(self.people) + 1
        base = f"{(n * 7919 + 1_000_003) % 10**9:09d}"  # a bijection: never repeats
        isni = None
        if self.r.random() < PERSON_ISNI_RATE:
            digits = f"0000000{(n * 104_723 + 17) % 10**8:08d}"
            isni = digits + isni_check(digits)
        p = Person(f"P{n:07d}", name, ipi=base + ipi_check(base), isni=isni, **kw)
        self.people.append(p)
        return p


def _spell(r: random.Random, p: Person, variant: str) -> str:
    name = p.name
    if variant in ("inverted", "initial"):
        return spell_person(name, variant)
    if variant == "no_diacritics":
        return strip_diacritics(name)
    if variant == "typo" and len(name) >= 4:
        i = r.randrange(1, len(name) - 2)
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if variant == "upper":
        return name.upper()
    if variant == "country":
        return f"{name} ({r.choice(COUNTRY_SUFFIXES)})"
    if variant == "orchestra":
        return f"{name} & His Orchestra"
    return name


def generate_credits(
    builder: _CatalogBuilder, tracks: pd.DataFrame, writer_rows: pd.DataFrame, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(credits, truth): ``CREDIT_COLUMNS`` rows for the catalog's tracks and ``CREDIT_TRUTH_COLUMNS``.

    ``writer_rows`` are the works' writer credits (track_id, source, name,
    role), kept as they are apart from an id and the writer's identifiers.
    """
    people = _People(builder, seed)
    r = people.r
    variants = list(NAME_VARIANTS)
    weights = list(NAME_VARIANTS.values())
    recs, works = builder.recordings, builder.works
    original_artist: dict[int, _Artist] = {}
    for rec in recs:
        if rec.kind == "studio":
            original_artist.setdefault(rec.work_index, rec.artist)
    track_ids, rec_index = builder._track_works
    rec_of = dict(zip(track_ids, rec_index.tolist(), strict=True))
    rows: list[tuple] = []
    truth: list[tuple[str, str, str]] = []

    def add(
        track_id: str,
        source: str,
        person: Person,
        role: str,
        name: str,
        variant: str,
        instrument: str | None = None,
    ) -> None:
        credit_id = f"C{len(rows) + 1:08d}"
        ipi = person.ipi if r.random() < IPI_RATE.get(role, IPI_RATE["writer"]) else None
        isni = person.isni if person.isni and r.random() < ISNI_RATE else None
        if variant == "legal":  # the stage name's identifiers are what ties it to the person
            ipi, isni = person.ipi, person.isni
        rows.append((track_id, source, name, role, credit_id, instrument, ipi, isni))
        truth.append((credit_id, person.person_id, variant))

    for track_id, source, name, role in writer_rows.itertuples(index=False):
        rec = recs[rec_of[track_id]]
        artist = original_artist.get(rec.work_index)
        writer = _writer_of(name, works[rec.work_index].writers)
        if artist is not None and writer == artist.latin_name:
            person = people.by_artist[id(artist)]
        else:  # a pool writer, or the artist a work was written for (_new_work)
            person = people.by_writer.get(writer) or people.by_latin[writer]
        add(track_id, source, person, role, name, _writer_variant(name, person.name))

    for track_id, artists in zip(tracks["track_id"], tracks["artists"], strict=True):
        rec = recs[rec_of[track_id]]
        main = people.by_artist.get(id(rec.artist))
        first = artists[0] if artists else None
        if (
            main is not None
            and first not in (None, VARIOUS_ARTISTS)
            and " & " not in rec.artist.name
        ):
            truth.append((artist_credit_id(track_id, 0), main.person_id, "artist"))
        for credit in _track_credits(people, rec, r):
            person, role, instrument = credit
            variant = r.choices(variants, weights)[0]
            if variant == "orchestra" and role != "performer":
                variant = "plain"
            name = person.name
            if role == "producer" and person.legal and r.random() < LEGAL_CREDIT_RATE:
                name, variant = person.legal, "legal"
            elif person.native and r.random() < 0.3:
                name, variant = person.native, "native"
            else:
                name = _spell(r, person, variant)
            add(track_id, "sample", person, role, name, variant, instrument)
    return (
        pd.DataFrame(rows, columns=list(CREDIT_COLUMNS)),
        pd.DataFrame(truth, columns=list(CREDIT_TRUTH_COLUMNS)),
    )


def _track_credits(
    people: _People, rec: _Recording, r: random.Random
) -> Iterator[tuple[Person, str, str | None]]:
    """(person, role, instrument) of a track's non-writer credits."""
    artist = rec.artist
    producers = people.producers_of.get(id(artist))
    if producers and r.random() < PRODUCER_CREDIT_RATE:
        yield producers[rec.index % len(producers)], "producer", None
    if r.random() < MIXER_CREDIT_RATE:
        yield people.mixers[(rec.index * 31) % len(people.mixers)], "mixer", None
    if rec.remixer is not None and r.random() < REMIXER_CREDIT_RATE:
        yield people.by_artist[id(rec.remixer)], "remixer", None
    for member in people.members.get(id(artist), ()) if r.random() < MEMBER_CREDIT_RATE else ():
        yield member, "performer", member.instrument


def _writer_of(credited: str, writers: tuple[str, ...]) -> str:
    """Which of the work's writers a works spelling names (plain, inverted or initial)."""
    for w in writers:
        if credited in (w, spell_person(w, "inverted"), spell_person(w, "initial")):
            return w
    raise ValueError(f"credit {credited!r} names none of the work's writers {writers}")


def _writer_variant(credited: str, name: str) -> str:
    if credited == name:
        return "plain"
    return "inverted" if ", " in credited else "initial"


def inject_bad_credits(
    credits: pd.DataFrame, rate: float, seed: int = 42
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Spoil a share of credits as deliveries do: a blank name, an IPI or ISNI that fails its check."""
    r = random.Random(seed + 3)
    n_bad = int(round(len(credits) * rate))
    out = credits.copy()
    counts: dict[str, int] = {}
    for i, row in enumerate(r.sample(range(len(out)), n_bad)):
        kind = BAD_CREDIT_KINDS[i % len(BAD_CREDIT_KINDS)]
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "blank_name":
            out.iat[row, out.columns.get_loc("name")] = " "
        elif kind == "invalid_ipi":  # the last check digit off by one
            base = f"{(row * 7919) % 10**9:09d}"
            check = ipi_check(base)
            out.iat[row, out.columns.get_loc("ipi")] = (
                base + check[0] + str((int(check[1]) + 1) % 10)
            )
        else:
            digits = f"0000000{row % 10**8:08d}"
            wrong = "0" if isni_check(digits) != "0" else "1"
            out.iat[row, out.columns.get_loc("isni")] = digits + wrong
    return out, counts
