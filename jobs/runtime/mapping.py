"""Source mappings: which files make up a user's catalog and how their columns become ours.

A mapping is a YAML file (examples in conf/sources/, the format is described
at the top of each) read into frozen dataclasses. Like ``load_config``, the
loader collects every problem and raises one ConfigError naming each key, so
a mapping is fixed in one pass and before any Spark job runs.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pyspark.sql.types import ArrayType, DataType, IntegerType, StructType

from features.errors import ConfigError
from features.parsing import PARSERS, FieldMapping
from features.records import TextFormat
from features.schemas import CONTRACTS
from jobs.runtime.config import resolve_local_path, suggestion

LINKAGES = ("dedupe_only", "link_only", "link_and_dedupe")
FORMATS = ("csv", "json", "parquet", "delta")
# What each format reads with unless the mapping's options say otherwise.
DEFAULT_OPTIONS: Mapping[str, Mapping[str, str]] = {
    "csv": {"header": "true"},
    "json": {},
    "parquet": {},
    "delta": {},
}
# The options each text format's reader (features.records) takes; Parquet and Delta
# sources pass theirs to Spark.
TEXT_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "csv": (
        "header",
        "sep",
        "quote",
        "escape",
        "multiLine",
        "encoding",
        "fallback_encoding",
        "max_record_lines",
    ),
    "json": ("encoding", "fallback_encoding"),
}
# The parser a contract field gets when its mapping does not name one.
DEFAULT_PARSE: Mapping[str, str] = {
    "artists": "artists",
    "duration_ms": "duration",
    "release_date": "date",
    "published_at": "timestamp",
}
REQUIRED_FIELDS = ("title",)


def _parser_for(field_type: DataType) -> str:
    """The parser a field gets by its type when neither the mapping nor DEFAULT_PARSE names one."""
    if isinstance(field_type, IntegerType):
        return "integer"
    if isinstance(field_type, ArrayType):
        return "list"
    return "text"  # a record without one cannot be matched at all
_TOP_KEYS = (
    "description",
    "entity",
    "table",
    "linkage",
    "sources",
    "placeholders",
    "labelled_pairs",
    "golden_pairs",
    "golden_clusters",
)
_SOURCE_KEYS = ("path", "format", "options", "id", "columns", "null_values")
_ID_KEYS = ("column", "columns", "prefix")
_LABEL_KEYS = ("path", "files", "format", "options", "left", "right", "label", "split")
_CLUSTER_KEYS = ("source", "column", "truth")
# joins the values of an id of several columns: id {columns: [set_id, ver_id]} -> '21-1'
ID_SEPARATOR = "-"
_PATH_VARIABLE = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True, kw_only=True)
class SourceMapping:
    """One file (or folder) of the catalog and how its columns fill the contract."""

    name: str  # also the value of the ``source`` column
    path: str
    format: str
    options: Mapping[str, str]
    # the column(s) whose values make the record id: one, or several when no single
    # column is unique (their trimmed values joined by ID_SEPARATOR; a blank part: no id)
    id_columns: tuple[str, ...]
    id_prefix: str
    fields: tuple[FieldMapping, ...]

    @property
    def id_column(self) -> str:
        """The column the record id is read from; for several id columns, the one ingest
        adds joining them (named 'a+b', as quarantine reasons show it)."""
        return "+".join(self.id_columns)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every source column the mapping reads (id first)."""
        return tuple(dict.fromkeys([*self.id_columns, *(f.column for f in self.fields)]))

    def text_format(self) -> TextFormat | None:
        """How ``features.records`` splits this source's files; None for Parquet and Delta."""
        if self.format not in TEXT_OPTIONS:
            return None
        o = self.options
        return TextFormat(
            kind=self.format,
            delimiter=o.get("sep", ","),
            quote=o.get("quote", '"'),
            escape=o.get("escape", '"'),
            header=o.get("header", "true") == "true",
            multiline=o.get("multiLine", "true") == "true",
            encoding=o.get("encoding", "utf-8"),
            fallback_encoding=o.get("fallback_encoding"),
            max_record_lines=int(o.get("max_record_lines", "50")),
        )


@dataclass(frozen=True, kw_only=True)
class PairSide:
    """One side of a labelled pair: the source its ids belong to and the column holding them."""

    source: str  # a source of the mapping: its id prefix makes the record id
    column: str
    id_prefix: str


@dataclass(frozen=True, kw_only=True)
class LabelledPairsMapping:
    """Golden data as labelled pairs: files of (left id, right id, label[, split])."""

    files: tuple[tuple[str | None, str], ...]  # (split named by the mapping or None, path)
    format: str
    options: Mapping[str, str]
    left: PairSide
    right: PairSide
    label_column: str | None  # 1 / 0 (also true/false, yes/no); None: golden pairs, all 1
    split_column: str | None  # read the split from this column (files without a split)


@dataclass(frozen=True, kw_only=True)
class GoldenClustersMapping:
    """Golden data as a cluster id column of a source: same value = same true cluster."""

    source: str  # a source of the mapping: its records (ids as ingested) get the value
    column: str  # that source's column holding each record's true cluster id
    truth: str | None  # the golden contract field it fills; None: golden.truth_column


@dataclass(frozen=True, kw_only=True)
class CatalogMapping:
    file: Path
    entity: str
    linkage: str
    contract: StructType  # the contract of the table it fills (the entity's input by default)
    id_field: str  # the contract's record id (its first field)
    sources: tuple[SourceMapping, ...]
    labelled_pairs: LabelledPairsMapping | None = None
    # the duplicate pairs of a closed world (every pair not listed is a non-match):
    # ingest turns them into the entity's golden cluster table
    golden_pairs: LabelledPairsMapping | None = None
    # or the true clusters as a column of one source: ingest writes the golden table from it
    golden_clusters: GoldenClustersMapping | None = None
    # the entity's table it fills, by role: input, or another input table its
    # contracts name (a feed, credits: EntityContracts.extra)
    table: str = "input"


def _strings(value: Any) -> tuple[str, ...] | None:
    """A YAML list of scalars as strings (dates YAML parsed as dates back to ISO text)."""
    if not isinstance(value, list) or any(isinstance(v, (list, dict)) for v in value):
        return None
    return tuple(str(v) for v in value)


def _option_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class _MappingReader:
    def __init__(self, file: Path, datasets_dir: str | Path | None):
        self.file = file
        self.datasets_dir = datasets_dir
        self.problems: list[str] = []

    def problem(self, key: str, what: str) -> None:
        self.problems.append(f"{key}: {what}")

    def unknown_keys(self, key: str, node: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for extra in sorted(set(node) - set(allowed)):
            hint = suggestion(str(extra), allowed)
            self.problem(
                f"{key}.{extra}" if key else extra,
                f"unknown key{hint or f' (known: {allowed})'}",
            )

    def path(self, key: str, raw: Any) -> str:
        if not isinstance(raw, str) or not raw.strip():
            self.problem(key, "missing: the file, folder or glob to read")
            return ""
        for variable in _PATH_VARIABLE.findall(raw):
            if variable != "datasets":
                self.problem(key, f"unknown variable {{{variable}}} (only {{datasets}} is filled)")
            elif self.datasets_dir is None:
                self.problem(
                    key, "uses {datasets} but no datasets folder was given (--datasets-dir)"
                )
        if self.datasets_dir is not None:
            raw = raw.replace("{datasets}", str(self.datasets_dir).rstrip("/"))
        return resolve_local_path(raw)

    def field_mapping(
        self,
        key: str,
        name: str,
        spec: Any,
        contract: StructType,
        source_nulls: tuple[str, ...],
        placeholders: Mapping[str, tuple[str, ...]],
    ) -> FieldMapping | None:
        if isinstance(spec, str):
            spec = {"column": spec}
        if not isinstance(spec, dict):
            self.problem(key, f"expected a column name or a mapping with 'column', got {spec!r}")
            return None
        column = spec.get("column")
        if not isinstance(column, str) or not column:
            self.problem(f"{key}.column", "missing: the source column to read")
        want = contract[name].dataType
        parse = spec.get("parse", DEFAULT_PARSE.get(name) or _parser_for(want))
        parser = PARSERS.get(parse)
        if parser is None:
            self.problem(f"{key}.parse", f"unknown parser {parse!r} (known: {tuple(PARSERS)})")
            return None
        if parser.output.simpleString() != want.simpleString():
            self.problem(
                f"{key}.parse",
                f"{parse!r} gives {parser.output.simpleString()}, {name} is {want.simpleString()}",
            )
        options = {k: v for k, v in spec.items() if k not in ("column", "parse", "null_values")}
        shared = placeholders.get(name, ())
        if shared and parser.placeholder is None:
            self.problem(f"placeholders.{name}", f"parser {parse!r} of {key} takes no placeholders")
        elif shared or "placeholders" in options:
            mine = _strings(options.get("placeholders", []))
            options["placeholders"] = (
                list(dict.fromkeys(shared + mine)) if mine is not None else mine
            )
        for message in parser.option_problems(options):
            knob, why = message.split(": ", 1)
            self.problem(f"{key}.{knob}", why)
        if "placeholders" in options:
            options["placeholders"] = tuple(options["placeholders"] or ())
        column_nulls = _strings(spec.get("null_values", []))
        if column_nulls is None:
            self.problem(f"{key}.null_values", "must be a list of values")
        return FieldMapping(
            field=name,
            column=column if isinstance(column, str) else "",
            parse=parse,
            options=options,
            null_values=tuple(dict.fromkeys(source_nulls + (column_nulls or ()))),
        )

    def source(
        self,
        name: str,
        node: Any,
        contract: StructType,
        id_field: str,
        placeholders: Mapping[str, tuple[str, ...]],
    ) -> SourceMapping | None:
        key = f"sources.{name}"
        if not isinstance(node, dict):
            self.problem(key, "expected a mapping with path, format, id and columns")
            return None
        self.unknown_keys(key, node, _SOURCE_KEYS)
        path = self.path(f"{key}.path", node.get("path"))
        fmt = node.get("format")
        if fmt not in FORMATS:
            self.problem(f"{key}.format", f"must be one of {FORMATS}, got {fmt!r}")
        options = node.get("options") or {}
        if not isinstance(options, dict) or any(
            isinstance(v, (list, dict)) for v in options.values()
        ):
            self.problem(f"{key}.options", "must map reader option names to single values")
            options = {}
        defaults = DEFAULT_OPTIONS.get(fmt, {}) if isinstance(fmt, str) else {}
        merged = {**defaults, **{str(k): _option_value(v) for k, v in options.items()}}
        if fmt in TEXT_OPTIONS:
            self.text_options(f"{key}.options", merged, TEXT_OPTIONS[fmt])
        id_spec = node.get("id")
        if isinstance(id_spec, str):
            id_spec = {"column": id_spec}
        id_columns = self.id_columns(f"{key}.id", id_spec)
        if not isinstance(id_spec, dict):
            id_spec = {}
        self.unknown_keys(f"{key}.id", id_spec, _ID_KEYS)
        prefix = id_spec.get("prefix", "")
        if not isinstance(prefix, str):
            self.problem(f"{key}.id.prefix", f"must be text, got {prefix!r}")
            prefix = ""
        source_nulls = _strings(node.get("null_values", []))
        if source_nulls is None:
            self.problem(f"{key}.null_values", "must be a list of values")
        columns = node.get("columns")
        if not isinstance(columns, dict) or not columns:
            self.problem(f"{key}.columns", "missing: map contract fields to source columns")
            columns = {}
        mappable = [f.name for f in contract.fields if f.name not in (id_field, "source")]
        fields = []
        for field_name, spec in columns.items():
            if field_name not in mappable:
                self.problem(
                    f"{key}.columns.{field_name}",
                    f"not a field of the input contract (fields: {mappable})",
                )
                continue
            mapped = self.field_mapping(
                f"{key}.columns.{field_name}",
                field_name,
                spec,
                contract,
                source_nulls or (),
                placeholders,
            )
            if mapped is not None:
                fields.append(mapped)
        for required in REQUIRED_FIELDS:
            if columns and required in mappable and required not in columns:
                self.problem(
                    f"{key}.columns.{required}", "required: records without it cannot be matched"
                )
        return SourceMapping(
            name=name,
            path=path,
            format=fmt if isinstance(fmt, str) else "",
            options=merged,
            id_columns=id_columns or ("",),
            id_prefix=prefix,
            fields=tuple(fields),
        )

    def text_options(self, key: str, options: dict[str, str], allowed: tuple[str, ...]) -> None:
        """The options of a CSV or JSON-lines source, checked for ``SourceMapping.text_format``."""
        self.unknown_keys(key, options, allowed)
        for name in ("sep", "quote", "escape"):
            if name in options and len(options[name]) != 1:
                self.problem(f"{key}.{name}", f"must be one character, got {options[name]!r}")
        for name in ("header", "multiLine"):
            if options.get(name, "true") not in ("true", "false"):
                self.problem(f"{key}.{name}", f"must be true or false, got {options[name]!r}")
        for name in ("encoding", "fallback_encoding"):
            if name in options:
                try:
                    codecs.lookup(options[name])
                except LookupError:
                    self.problem(f"{key}.{name}", f"unknown encoding {options[name]!r}")
        lines = options.get("max_record_lines", "50")
        if not lines.isdigit() or int(lines) < 1:
            self.problem(f"{key}.max_record_lines", f"must be a whole number >= 1, got {lines!r}")

    def id_columns(self, key: str, spec: Any) -> tuple[str, ...]:
        """``id``: {column: c} (one column) or {columns: [a, b, ...]} (no one column unique)."""
        if isinstance(spec, dict) and "column" in spec and "columns" in spec:
            self.problem(key, "give column (one) or columns (several), not both")
            return ()
        if isinstance(spec, dict) and isinstance(spec.get("column"), str) and spec["column"]:
            return (spec["column"],)
        if isinstance(spec, dict) and "columns" in spec:
            names = _strings(spec["columns"])
            if names is None or len(names) < 2 or not all(names):
                self.problem(
                    f"{key}.columns",
                    "must list two or more columns (for one, give column: <id column>)",
                )
                return ()
            return names
        self.problem(
            key,
            "missing: {column: <id column>, prefix: <text>} "
            "(or columns: [<column>, ...] when no one column is unique)",
        )
        return ()

    def options(self, key: str, node: Any, fmt: Any) -> dict[str, str]:
        options = node if node is not None else {}
        if not isinstance(options, dict) or any(
            isinstance(v, (list, dict)) for v in options.values()
        ):
            self.problem(key, "must map reader option names to single values")
            options = {}
        defaults = DEFAULT_OPTIONS.get(fmt, {}) if isinstance(fmt, str) else {}
        return {**defaults, **{str(k): _option_value(v) for k, v in options.items()}}

    def labelled_pairs(
        self, node: Any, sources: Mapping[str, SourceMapping], key: str = "labelled_pairs"
    ) -> LabelledPairsMapping | None:
        """``labelled_pairs`` (left, right, label[, split]) or ``golden_pairs`` (no label)."""
        golden = key == "golden_pairs"
        if not isinstance(node, dict):
            what = "left and right" if golden else "left, right and label"
            self.problem(key, f"expected a mapping with files (or path), {what}")
            return None
        allowed = tuple(k for k in _LABEL_KEYS if k not in ("label", "split")) if golden else None
        self.unknown_keys(key, node, allowed or _LABEL_KEYS)
        fmt = node.get("format", "csv")
        if fmt not in FORMATS:
            self.problem(f"{key}.format", f"must be one of {FORMATS}, got {fmt!r}")
        files: list[tuple[str | None, str]] = []
        if ("files" in node) == ("path" in node):
            self.problem(key, "give either files ({split: path, ...}) or path (one file)")
        elif "files" in node:
            if not isinstance(node["files"], dict) or not node["files"]:
                self.problem(f"{key}.files", "must map each split's name to its file")
            else:
                for split, raw in node["files"].items():
                    files.append((str(split), self.path(f"{key}.files.{split}", raw)))
        else:
            files.append((None, self.path(f"{key}.path", node["path"])))
        sides = {}
        for side in ("left", "right"):
            spec = node.get(side)
            if not isinstance(spec, dict) or not all(
                isinstance(spec.get(k), str) for k in ("source", "column")
            ):
                self.problem(f"{key}.{side}", "missing: {source: <a source name>, column: <id>}")
                continue
            self.unknown_keys(f"{key}.{side}", spec, ("source", "column"))
            source = sources.get(spec["source"])
            if source is None:
                self.problem(
                    f"{key}.{side}.source",
                    f"{spec['source']!r} is not a source of this mapping ({tuple(sources)})",
                )
                continue
            sides[side] = PairSide(
                source=source.name, column=spec["column"], id_prefix=source.id_prefix
            )
        label = None if golden else node.get("label")
        if not golden and (not isinstance(label, str) or not label):
            self.problem(f"{key}.label", "missing: the column holding 1 (match) or 0")
        split = node.get("split")
        if split is not None and not isinstance(split, str):
            self.problem(f"{key}.split", f"must be a column name, got {split!r}")
        if split is not None and "files" in node:
            self.problem(f"{key}.split", "files already name each file's split: drop split")
        if len(sides) < 2 or not (golden or isinstance(label, str)):
            return None
        return LabelledPairsMapping(
            files=tuple(files),
            format=fmt if isinstance(fmt, str) else "",
            options=self.options(f"{key}.options", node.get("options"), fmt),
            left=sides["left"],
            right=sides["right"],
            label_column=label,
            split_column=split,
        )

    def golden_clusters(
        self, node: Any, sources: Mapping[str, SourceMapping], golden: StructType | None
    ) -> GoldenClustersMapping | None:
        """``golden_clusters``: {source, column[, truth]}; truth checked against the golden contract."""
        key = "golden_clusters"
        if not isinstance(node, dict):
            self.problem(key, "expected a mapping with source and column (and truth, optional)")
            return None
        self.unknown_keys(key, node, _CLUSTER_KEYS)
        source, column, truth = node.get("source"), node.get("column"), node.get("truth")
        if not isinstance(source, str) or not source:
            self.problem(f"{key}.source", "missing: the source whose records the column labels")
        elif source not in sources:
            self.problem(
                f"{key}.source",
                f"{source!r} is not a source of this mapping (sources: {', '.join(sources)})",
            )
        if not isinstance(column, str) or not column:
            self.problem(
                f"{key}.column", "missing: the source column holding each record's true cluster id"
            )
        if truth is not None and golden is not None:
            # the first field is the record id: the truth is one of the others
            fields = golden.fieldNames()[1:]
            if truth not in fields:
                self.problem(
                    f"{key}.truth",
                    f"{truth!r} is not a field of the entity's golden contract (fields: {fields})",
                )
        if not (isinstance(source, str) and source in sources and isinstance(column, str)):
            return None
        return GoldenClustersMapping(
            source=source, column=column, truth=truth if isinstance(truth, str) else None
        )


def load_mapping(
    path: str | Path,
    *,
    datasets_dir: str | Path | None = None,
    entity_contracts: Mapping[str, str] | None = None,
) -> CatalogMapping:
    """Read and validate a source mapping; ``{datasets}`` in paths becomes ``datasets_dir``.

    ``entity_contracts`` maps each configured entity to its contracts
    (``entities.<e>.contracts``); without it an entity is its contracts' name.

    Raises:
        ConfigError: listing every problem, each under its key (e.g.
            ``sources.itunes.columns.duration_ms.unit``).
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"source mapping {file} not found (examples live in conf/sources/)")
    try:
        tree = yaml.safe_load(file.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"source mapping {file} is not valid YAML: {err}") from None
    if not isinstance(tree, dict):
        raise ConfigError(f"source mapping {file} must be a YAML mapping (entity, sources, ...)")
    r = _MappingReader(file, datasets_dir)
    r.unknown_keys("", tree, _TOP_KEYS)

    entity = tree.get("entity")
    known = entity_contracts if entity_contracts is not None else {k: k for k in CONTRACTS}
    contracts = CONTRACTS.get(known.get(entity, "")) if isinstance(entity, str) else None
    if contracts is None:
        r.problem("entity", f"must be one of {tuple(known)}, got {entity!r}")
    table = tree.get("table", "input")
    if contracts is not None and table != "input" and table not in contracts.extra:
        r.problem(
            "table",
            f"entity {entity} has no input table {table!r} "
            f"(its tables beside input: {', '.join(sorted(contracts.extra)) or 'none'})",
        )
        contracts = None
    linkage = tree.get("linkage")
    if linkage not in LINKAGES:
        r.problem("linkage", f"must be one of {LINKAGES}, got {linkage!r}")

    raw_placeholders = tree.get("placeholders") or {}
    placeholders: dict[str, tuple[str, ...]] = {}
    if not isinstance(raw_placeholders, dict):
        r.problem("placeholders", "must map contract fields to lists of values")
    else:
        for name, values in raw_placeholders.items():
            as_strings = _strings(values)
            if as_strings is None:
                r.problem(f"placeholders.{name}", "must be a list of values")
            else:
                placeholders[name] = as_strings

    raw_sources = tree.get("sources")
    if not isinstance(raw_sources, dict) or not raw_sources:
        r.problem("sources", "missing: name each source file under sources")
        raw_sources = {}
    sources: list[SourceMapping] = []
    if contracts is not None:
        contract = contracts.input if table == "input" else contracts.extra[table]
        id_field = contract.fields[0].name
        for name, node in raw_sources.items():
            mapped = r.source(str(name), node, contract, id_field, placeholders)
            if mapped is not None:
                sources.append(mapped)
        for name in placeholders:
            if name not in contract.fieldNames():
                r.problem(f"placeholders.{name}", "not a field of the contract")
            elif not any(f.field == name for s in sources for f in s.fields):
                r.problem(f"placeholders.{name}", "no source maps this field")
    if linkage in ("link_only", "link_and_dedupe") and len(raw_sources) < 2:
        r.problem("linkage", f"{linkage} needs at least two sources, got {len(raw_sources)}")
    if len(sources) > 1:
        by_prefix: dict[str, list[str]] = {}
        for s in sources:
            by_prefix.setdefault(s.id_prefix, []).append(s.name)
        for prefix, names in by_prefix.items():
            if len(names) > 1:
                r.problem(
                    f"sources.{names[1]}.id.prefix",
                    f"{prefix!r} is also the prefix of {names[0]}: ids could collide across "
                    "sources; give each source its own prefix",
                )
    labelled_pairs = golden_pairs = golden_clusters = None
    if "labelled_pairs" in tree:
        labelled_pairs = r.labelled_pairs(tree["labelled_pairs"], {s.name: s for s in sources})
    if "golden_pairs" in tree:
        golden_pairs = r.labelled_pairs(
            tree["golden_pairs"], {s.name: s for s in sources}, key="golden_pairs"
        )
    if "golden_clusters" in tree:
        if "golden_pairs" in tree:
            r.problem(
                "golden_clusters",
                "the mapping has golden_pairs too: give the golden truth one way, not both",
            )
        if contracts is not None and contracts.golden is None:
            r.problem("golden_clusters", f"entity {entity!r} has no golden contract to fill")
        golden_clusters = r.golden_clusters(
            tree["golden_clusters"],
            {s.name: s for s in sources},
            contracts.golden if contracts is not None else None,
        )
    if r.problems:
        raise ConfigError(f"source mapping {file} has problems:\n  - " + "\n  - ".join(r.problems))
    return CatalogMapping(
        file=file,
        entity=entity,
        linkage=linkage,
        contract=contract,
        id_field=id_field,
        sources=tuple(sources),
        labelled_pairs=labelled_pairs,
        golden_pairs=golden_pairs,
        golden_clusters=golden_clusters,
        table=table,
    )
