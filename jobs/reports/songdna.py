"""A song's DNA, read from the knowledge graph (kg_nodes, kg_edges) a hop at a time.

``find_tracks`` turns a query into tracks: a track id, or "title - artist"
(every word of each part in the track's display name, case and accents
aside). ``song_dna`` walks the graph from one track: its recording group
and the group's other tracks (its other releases), the releases carrying
it, its videos, its work, who wrote, composed, produced, mixed, remixed and
performed it, the work's other versions with their relation types, what it
samples and interpolates and what samples or interpolates it, and "more by
these writers". Each hop is one filtered query of the edges (cached in the
session's memory after the first; nothing is collected whole). ``dna_lines``
prints it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from features.errors import ResolutionError
from features.text import normalize_text
from jobs.runtime.config import AppConfig
from jobs.runtime.delta import read_table, table_exists

CREDITS = {  # edge type -> the DNA's key
    "WRITTEN_BY": "writers",
    "COMPOSED_BY": "composers",
    "PRODUCED_BY": "producers",
    "MIXED_BY": "mixers",
    "REMIXED_BY": "remixers",
    "PERFORMED_BY": "performers",
    "FEATURES": "featured",
    "CREDITED": "other_credits",
}
MORE_BY_WRITERS = 10


class Graph:
    """The two kg tables (the walk filters them per hop)."""

    def __init__(self, spark: SparkSession, cfg: AppConfig, *, cache: bool = True) -> None:
        if cfg.graph is None:
            raise ResolutionError("no graph section in the config: no knowledge graph to read")
        paths = [cfg.table_path(t) for t in (cfg.graph.nodes_table, cfg.graph.edges_table)]
        missing = [p for p in paths if not table_exists(spark, p)]
        if missing:
            raise ResolutionError(
                f"no knowledge graph at {', '.join(missing)}: run python -m jobs.graph first"
            )
        # cached (a session that looks up many songs): the first lookup reads the tables
        # once, the next ones hop in memory; one lookup reads only what it filters
        self.nodes: DataFrame = read_table(spark, paths[0]).select(
            "id", "node_type", "display_name"
        )
        self.edges: DataFrame = read_table(spark, paths[1]).select(
            "src", "dst", "edge_type", "confidence", "evidence", "source"
        )
        if cache:
            self.nodes, self.edges = self.nodes.cache(), self.edges.cache()

    def edges_touching(self, ids: Iterable[str], *, end: str = "any") -> list[dict[str, Any]]:
        ids = sorted(set(ids))
        if not ids:
            return []
        cond = {
            "src": F.col("src").isin(ids),
            "dst": F.col("dst").isin(ids),
            "any": F.col("src").isin(ids) | F.col("dst").isin(ids),
        }[end]
        cols = ["src", "dst", "edge_type", "confidence", "evidence", "source"]
        return [r.asDict() for r in self.edges.where(cond).select(*cols).collect()]

    def names(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ids = sorted(set(ids))
        if not ids:
            return {}
        rows = self.nodes.where(F.col("id").isin(ids)).select("id", "node_type", "display_name")
        return {r["id"]: r.asDict() for r in rows.collect()}


def find_tracks(graph: Graph, query: str, limit: int = 10) -> list[dict[str, Any]]:
    """Tracks a query names: its id, else every word of "title - artist" in the display name.

    Words are compared as features.text.normalize_text leaves them: "beyonce"
    finds "Beyoncé", "petr" a name in Cyrillic.
    """
    by_id = graph.nodes.where((F.col("id") == query) & (F.col("node_type") == "track"))
    rows = by_id.select("id", "display_name").limit(1).collect()
    if rows:
        return [r.asDict() for r in rows]
    if not any(c.isalnum() for c in query):
        return []
    # both sides as the features normalise text: case, accents, other scripts, punctuation
    words = F.split(F.coalesce(normalize_text(F.lit(query)), F.lit("")), " ")
    name = F.concat(F.lit(" "), normalize_text(F.col("display_name")), F.lit(" "))
    every_word = F.forall(words, lambda w: name.contains(F.concat(F.lit(" "), w, F.lit(" "))))
    hits = (
        graph.nodes.where((F.col("node_type") == "track") & every_word)
        .select("id", "display_name")
        .orderBy(F.length("display_name"), "id")
        .limit(limit)
        .collect()
    )
    return [r.asDict() for r in hits]


def song_dna(graph: Graph, track_id: str) -> dict[str, Any]:
    """Everything the graph says about the song of one track (see the module docstring)."""
    hop1 = graph.edges_touching([track_id], end="src")
    group = next((e["dst"] for e in hop1 if e["edge_type"] == "TRACK_OF"), None)
    dna: dict[str, Any] = {"track_id": track_id, "recording_group": group}
    if group is None:
        return dna
    around = graph.edges_touching([group])
    work = next(
        (e["dst"] for e in around if e["edge_type"] == "RECORDING_OF" and e["src"] == group), None
    )
    about_work = graph.edges_touching([work]) if work else []
    groups_of_work = [e["src"] for e in about_work if e["edge_type"] == "RECORDING_OF"]
    versions = graph.edges_touching(groups_of_work, end="src") if groups_of_work else []
    writers = {
        e["dst"]
        for e in about_work
        if e["src"] == work and e["edge_type"] in ("WRITTEN_BY", "COMPOSED_BY")
    }
    by_writers = [
        e
        for e in graph.edges_touching(writers, end="dst")
        if e["edge_type"] in ("WRITTEN_BY", "COMPOSED_BY") and e["src"] != work
    ]
    ids = {track_id, group, work} | {e["src"] for e in around + about_work + versions + by_writers}
    ids |= {e["dst"] for e in around + about_work + versions + by_writers}
    names = graph.names(i for i in ids if i)

    def node(i: str, **extra: Any) -> dict[str, Any]:
        n = names.get(i, {})
        return {"id": i, "type": n.get("node_type"), "name": n.get("display_name"), **extra}

    def linked(edges: list[dict[str, Any]], types: Iterable[str], end: str) -> list[dict[str, Any]]:
        types = set(types)
        other = "src" if end == "dst" else "dst"
        out = [
            node(e[other], edge=e["edge_type"], confidence=e["confidence"], evidence=e["evidence"])
            for e in edges
            if e["edge_type"] in types and e[end] in (group, work)
        ]
        return sorted(out, key=lambda x: (x["edge"], x["name"] or "", x["id"]))

    dna["track"] = node(track_id)
    dna["recording_group"] = node(group)
    dna["other_tracks"] = [t for t in linked(around, ["TRACK_OF"], "dst") if t["id"] != track_id]
    dna["releases"] = linked(around, ["RELEASE_OF"], "dst")
    dna["videos"] = linked(around, ["VIDEO_OF"], "dst")
    dna["work"] = node(work) if work else None
    for edge_type, key in CREDITS.items():
        source = about_work if edge_type in ("WRITTEN_BY", "COMPOSED_BY") and work else around
        dna[key] = [
            node(e["dst"], evidence=e["evidence"], confidence=e["confidence"])
            for e in source
            if e["edge_type"] == edge_type and e["src"] in (group, work)
        ]
    relation_types = {"TRACK_OF", "RECORDING_OF", "SAMPLES", "INTERPOLATES", *CREDITS}
    dna["versions"] = sorted(
        (
            {
                "version": node(e["src"]),
                "relation": e["edge_type"],
                "of": node(e["dst"]),
                "confidence": e["confidence"],
            }
            for e in versions
            if e["edge_type"] not in relation_types
            and e["edge_type"].endswith("_OF")
            and names.get(e["dst"], {}).get("node_type") == "recording_group"
        ),
        key=lambda v: (v["relation"], v["version"]["id"]),
    )
    dna["samples"] = linked(around, ["SAMPLES", "INTERPOLATES"], "src")
    dna["sampled_by"] = linked(around + about_work, ["SAMPLES", "INTERPOLATES"], "dst")
    more = sorted({e["src"] for e in by_writers if e["src"] != work})
    dna["more_by_writers"] = [node(w) for w in more[:MORE_BY_WRITERS]]
    return dna


def showcase_track(graph: Graph) -> str | None:
    """A track whose recording group the graph says most about (the demo shows its DNA).

    The group with the most distinct edge types touching it and its work (ties:
    the smallest id), and of its tracks the smallest id.
    """
    e = graph.edges
    work_of = e.where(F.col("edge_type") == "RECORDING_OF").select(
        F.col("src").alias("group"), F.col("dst").alias("work")
    )
    touching = e.select(F.col("src").alias("node"), "edge_type").unionByName(
        e.select(F.col("dst").alias("node"), "edge_type")
    )
    groups = (
        e.where(F.col("edge_type") == "TRACK_OF").select(F.col("dst").alias("group")).distinct()
    )
    on_group = groups.join(touching.withColumnRenamed("node", "group"), "group")
    on_work = (
        groups.join(work_of, "group").join(touching.withColumnRenamed("node", "work"), "work")
    ).select("group", "edge_type")
    best = (
        on_group.unionByName(on_work)
        .groupBy("group")
        .agg(F.countDistinct("edge_type").alias("n"))
        .orderBy(F.desc("n"), "group")
        .first()
    )
    if best is None:
        return None
    track = (
        e.where((F.col("edge_type") == "TRACK_OF") & (F.col("dst") == best["group"]))
        .agg(F.min("src"))
        .first()
    )
    return track[0] if track else None


def _names(items: list[dict[str, Any]]) -> str:
    return "; ".join(f"{i['name']} ({i['id']})" for i in items) or "-"


def dna_lines(dna: dict[str, Any]) -> list[str]:
    """The DNA as a person reads it."""
    if dna.get("recording_group") is None:
        return [f"track {dna['track_id']}: in no recording group (quarantined or not resolved)"]
    t, g, w = dna["track"], dna["recording_group"], dna.get("work")
    lines = [
        f"{t['name']} ({t['id']})",
        f"  recording         {g['name']} ({g['id']}), {len(dna['other_tracks'])} other tracks",
        f"  releases          {_names(dna['releases'])}",
        f"  videos            {_names(dna['videos'])}",
        f"  work              {w['name']} ({w['id']})" if w else "  work              -",
    ]
    for key in CREDITS.values():
        if dna[key]:
            lines.append(f"  {key:<17} {_names(dna[key])}")
    for v in dna["versions"]:
        lines.append(
            f"  version           {v['version']['name']} ({v['version']['id']}) "
            f"{v['relation']} {v['of']['id']}"
        )
    for key, label in (("samples", "samples"), ("sampled_by", "sampled by")):
        for s in dna[key]:
            lines.append(f"  {label:<17} {s['edge']} {s['name']} ({s['id']})")
    lines.append(f"  more by writers   {_names(dna['more_by_writers'])}")
    return lines
