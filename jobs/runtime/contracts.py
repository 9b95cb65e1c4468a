"""Output contracts as files for other languages: BigQuery JSON schemas and Avro schemas.

``conf/contracts/`` holds, for every output table, ``<table>.bigquery.json`` (what
``bq mk --schema`` takes) and ``<table>.avsc`` (an Avro record schema), generated
from the StructType constants of ``features.schemas``, and ``VERSION`` (its
``CONTRACT_VERSION``). Readers in Scala or BigQuery build on these files, so a
breaking change to them (a column removed, renamed or retyped, nullable made
required, a required column added, a table removed) is allowed only together
with a new ``CONTRACT_VERSION``: ``contract_problems`` says what breaks.

Output tables are the ones the jobs publish: each entity's features, pairs,
groups, id_history, matches, unmatched and product tables (``OUTPUT_ROLES``,
``products.roles``), and the shared quarantine, evaluation, error_analysis and
model_comparison tables. Inputs, derived inputs, golden and labelled pairs are
read, not published.

Descriptions come from the comments of ``features/schemas.py`` (the StructFields
carry no metadata): a column's description is the comment on the lines of its
``_f(...)`` call, else the comment lines just above it. The call is looked for in
the constant's own assignment first, then in what it names (the schema
functions it calls, the constants it nests), by exact name before f-string
pattern (``f"{id_column}_l"``). A column no comment describes gets none.
"""

from __future__ import annotations

import ast
import inspect
import io
import json
import re
import tokenize
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    DateType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructType,
    TimestampType,
)

from features import schemas
from features.errors import SchemaMismatchError
from jobs.runtime.config import AppConfig
from jobs.runtime.output import write_text_atomic

# an entity's tables by role that the jobs publish (besides its products' roles)
OUTPUT_ROLES = ("features", "pairs", "groups", "id_history", "matches", "unmatched")
BIGQUERY_SUFFIX, AVRO_SUFFIX, VERSION_FILE = ".bigquery.json", ".avsc", "VERSION"
AVRO_NAMESPACE = "music_resolution"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Spark type -> (BigQuery type, Avro type): the plain types JVM readers get
PLAIN_TYPES: dict[type[DataType], tuple[str, Any]] = {
    StringType: ("STRING", "string"),
    LongType: ("INT64", "long"),
    IntegerType: ("INT64", "int"),
    DoubleType: ("FLOAT64", "double"),
    BooleanType: ("BOOL", "boolean"),
    TimestampType: ("TIMESTAMP", {"type": "long", "logicalType": "timestamp-micros"}),
    DateType: ("DATE", {"type": "int", "logicalType": "date"}),
}


class ContractError(SchemaMismatchError):
    """An output contract cannot be written as a file, or changes without a version bump."""


# --- which tables ---------------------------------------------------------------------


def output_tables(cfg: AppConfig) -> dict[str, StructType]:
    """Every output table of the configured entities and the shared ones, by table name."""
    tables: dict[str, StructType] = {}

    def add(name: str | None, contract: StructType | None, where: str) -> None:
        if name is None:
            return
        if contract is None:
            raise ContractError(f"{where}: table {name!r} has no contract in features.schemas")
        if tables.setdefault(name, contract) is not contract:
            raise ContractError(f"{where}: table {name!r} is named twice with two contracts")

    for entity in cfg.entities.values():
        contracts = schemas.CONTRACTS.get(entity.contracts)
        if contracts is None:
            raise ContractError(f"entities.{entity.name}.contracts: unknown {entity.contracts!r}")
        for role in OUTPUT_ROLES:
            add(entity.tables.get(role), getattr(contracts, role), f"entities.{entity.name}")
        for role in entity.products.roles if entity.products else ():
            add(entity.tables.get(role), contracts.extra.get(role), f"entities.{entity.name}")
    add(cfg.quarantine_table, schemas.QUARANTINE, "tables.quarantine")
    add(cfg.evaluation_table, schemas.EVALUATION, "tables.evaluation")
    add(cfg.error_analysis_table, schemas.ERROR_ANALYSIS, "tables.error_analysis")
    if cfg.lifecycle is not None:
        add(cfg.lifecycle.comparison_table, schemas.MODEL_COMPARISON, "tables.model_comparison")
    return tables


# --- descriptions from the comments of features/schemas.py -----------------------------


class SchemaComments:
    """The comments of a schemas module's source, looked up by constant and column."""

    def __init__(self, source: str, module: Any = None) -> None:
        self.module = module
        self.defs: dict[str, ast.stmt] = {}
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef):
                self.defs[node.name] = node
            elif isinstance(node, ast.Assign):
                self.defs.update({t.id: node for t in node.targets if isinstance(t, ast.Name)})
        self.comments: dict[int, str] = {}
        self.code_lines: set[int] = set()
        skip = {tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                self.comments[tok.start[0]] = tok.string.lstrip("#").strip()
            elif tok.type not in skip:
                self.code_lines.add(tok.start[0])

    @classmethod
    def of_module(cls, module: Any = schemas) -> SchemaComments:
        try:
            return cls(inspect.getsource(module), module)
        except (OSError, TypeError):  # no source (a frozen build): no descriptions
            return cls("", module)

    def constant_name(self, contract: StructType) -> str | None:
        """The module constant that is ``contract`` (a modified copy has none)."""
        names = vars(self.module) if self.module is not None else {}
        return next((n for n, v in names.items() if v is contract and n in self.defs), None)

    def _above(self, line: int) -> str:
        lines = []
        while line - 1 in self.comments and line - 1 not in self.code_lines:
            line -= 1
            lines.insert(0, self.comments[line])
        return " ".join(lines)

    def table_doc(self, contract: StructType) -> str:
        """The comment above the constant, else the docstring of the function building it."""
        name = self.constant_name(contract)
        if name is None:
            return ""
        node = self.defs[name]
        if doc := self._above(node.lineno):
            return doc
        for n in ast.walk(node):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
                builder = self.defs.get(n.func.id)
                if isinstance(builder, ast.FunctionDef) and (text := ast.get_docstring(builder)):
                    return " ".join(text.split())
        return ""

    def describer(self, contract: StructType) -> Callable[[str], str]:
        """A column name -> its description, for the columns of ``contract``."""
        name = self.constant_name(contract)
        scopes, seen = ([self.defs[name]] if name else []), {name}
        for scope in scopes:  # grows: what each scope names, breadth first
            for n in ast.walk(scope):
                if isinstance(n, ast.Name) and n.id in self.defs and n.id not in seen:
                    seen.add(n.id)
                    scopes.append(self.defs[n.id])
        exact: dict[str, str] = {}
        patterns: list[tuple[re.Pattern[str], str]] = []
        for scope in scopes:
            for call in sorted(
                (n for n in ast.walk(scope) if _is_field_call(n)), key=lambda c: c.lineno
            ):
                first = call.args[0]
                inline = [
                    self.comments[i]
                    for i in range(call.lineno, (call.end_lineno or call.lineno) + 1)
                    if i in self.comments
                ]
                text = " ".join(inline) or self._above(call.lineno)
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    exact.setdefault(first.value, text)
                elif isinstance(first, ast.JoinedStr):
                    patterns.append((_pattern(first), text))

        def describe(column: str) -> str:
            if column in exact:
                return exact[column]
            return next((text for p, text in patterns if p.fullmatch(column)), "")

        return describe


def _is_field_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("_f", "StructField")
        and bool(node.args)
    )


def _pattern(name: ast.JoinedStr) -> re.Pattern[str]:
    parts = [re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in name.values]
    return re.compile("".join(parts))


# --- the two file formats --------------------------------------------------------------


def _plain(dtype: DataType, where: str, fmt: int) -> Any:
    try:
        return PLAIN_TYPES[type(dtype)][fmt]
    except KeyError:
        raise ContractError(
            f"{where}: {dtype.simpleString()} is not a plain type for JVM readers "
            f"(use one of {', '.join(sorted(t().simpleString() for t in PLAIN_TYPES))}, "
            "array or struct)"
        ) from None


def bigquery_schema(
    contract: StructType, describe: Callable[[str], str], where: str = "table"
) -> list[dict[str, Any]]:
    """A contract as a BigQuery JSON schema: arrays are REPEATED, structs RECORD."""
    fields = []
    for f in contract.fields:
        column = f"{where}.{f.name}"
        dtype, mode = f.dataType, "NULLABLE" if f.nullable else "REQUIRED"
        if isinstance(dtype, ArrayType):  # BigQuery keeps no null element: REPEATED says all
            dtype, mode = dtype.elementType, "REPEATED"
            if isinstance(dtype, ArrayType):
                raise ContractError(f"{column}: BigQuery has no array of arrays")
        field: dict[str, Any] = {"name": f.name, "mode": mode}
        if isinstance(dtype, StructType):
            field |= {"type": "RECORD", "fields": bigquery_schema(dtype, describe, column)}
        else:
            field["type"] = _plain(dtype, column, 0)
        if describe(f.name):
            field["description"] = describe(f.name)
        fields.append(field)
    return fields


def _avro_type(dtype: DataType, nullable: bool, name: str, describe: Callable[[str], str]) -> Any:
    if isinstance(dtype, ArrayType):
        items = _avro_type(dtype.elementType, dtype.containsNull, name, describe)
        avro: Any = {"type": "array", "items": items}
    elif isinstance(dtype, StructType):
        avro = avro_schema(dtype, describe, name, namespace=None)
    else:
        avro = _plain(dtype, name, 1)
    return ["null", avro] if nullable else avro


def avro_schema(
    contract: StructType,
    describe: Callable[[str], str],
    name: str,
    doc: str = "",
    namespace: str | None = AVRO_NAMESPACE,
) -> dict[str, Any]:
    """A contract as an Avro record: nullable is a union with null (default null).

    A nested struct is a record named ``<parent>_<column>`` in the parent's namespace.
    """
    if not _NAME.fullmatch(name):
        raise ContractError(f"{name!r} is not an Avro name: use letters, digits and _")
    fields = []
    for f in contract.fields:
        field = {
            "name": f.name,
            "type": _avro_type(f.dataType, f.nullable, f"{name}_{f.name}", describe),
        }
        if f.nullable:
            field["default"] = None
        if describe(f.name):
            field["doc"] = describe(f.name)
        fields.append(field)
    record = {"type": "record", "name": name, "fields": fields}
    return record | ({"namespace": namespace} if namespace else {}) | ({"doc": doc} if doc else {})


def _json(payload: Any) -> str:
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_contracts(
    tables: Mapping[str, StructType], version: str, comments: SchemaComments | None = None
) -> dict[str, str]:
    """File name -> text of every contract file, VERSION included (deterministic)."""
    comments = comments or SchemaComments.of_module()
    files = {VERSION_FILE: f"{version}\n"}
    for table, contract in sorted(tables.items()):
        describe = comments.describer(contract)
        files[table + BIGQUERY_SUFFIX] = _json(bigquery_schema(contract, describe, table))
        avro = avro_schema(contract, describe, table, comments.table_doc(contract))
        files[table + AVRO_SUFFIX] = _json(avro)
    return files


# --- what differs, what breaks -----------------------------------------------------------


def _generated_files(contract_dir: Path) -> list[Path]:
    found = [*contract_dir.glob(f"*{BIGQUERY_SUFFIX}"), *contract_dir.glob(f"*{AVRO_SUFFIX}")]
    return sorted(found + [p for p in [contract_dir / VERSION_FILE] if p.exists()])


def stale_files(contract_dir: Path, rendered: Mapping[str, str]) -> list[str]:
    """Contract files that are missing, differ from ``rendered`` or are left over."""
    stale = [
        f"{name} ({'differs' if (contract_dir / name).exists() else 'missing'})"
        for name, text in sorted(rendered.items())
        if not (contract_dir / name).exists() or (contract_dir / name).read_text() != text
    ]
    extra = [
        f"{p.name} (no such output table)"
        for p in _generated_files(contract_dir)
        if p.name not in rendered
    ]
    return stale + extra


def write_contracts(contract_dir: Path, rendered: Mapping[str, str]) -> list[str]:
    """Write the files that changed, remove the left-over ones; their names."""
    changed = stale_files(contract_dir, rendered)
    contract_dir.mkdir(parents=True, exist_ok=True)
    for path in _generated_files(contract_dir):
        if path.name not in rendered:
            path.unlink()
    for name, text in rendered.items():
        if not (contract_dir / name).exists() or (contract_dir / name).read_text() != text:
            write_text_atomic(contract_dir / name, text)
    return changed


def _shape(field: Mapping[str, Any]) -> str:
    kind = field["type"]
    return f"ARRAY<{kind}>" if field.get("mode") == "REPEATED" else kind


def breaking_changes(
    committed: Mapping[str, list[dict[str, Any]]], current: Mapping[str, list[dict[str, Any]]]
) -> list[str]:
    """What ``current`` (BigQuery schemas by table) breaks of ``committed``, one line each.

    Breaking: a table or column removed (a rename is a removal), a type changed
    (arrays included), NULLABLE made REQUIRED, a REQUIRED column added.
    Compatible: a NULLABLE or REPEATED column added, REQUIRED made NULLABLE
    (BigQuery relaxes a column in place), descriptions, column order.
    """
    changes = [f"{table}: table removed" for table in sorted(committed) if table not in current]
    for table in sorted(set(committed) & set(current)):
        changes += _field_changes(table, committed[table], current[table])
    return changes


def _field_changes(where: str, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    now = {f["name"]: f for f in new}
    changes = []
    for before in old:
        column, after = f"{where}.{before['name']}", now.get(before["name"])
        if after is None:
            changes.append(f"{column}: column removed (or renamed)")
        elif _shape(before) != _shape(after):
            changes.append(f"{column}: type {_shape(before)} -> {_shape(after)}")
        elif before.get("mode") == "NULLABLE" and after.get("mode") == "REQUIRED":
            changes.append(f"{column}: NULLABLE -> REQUIRED")
        elif before["type"] == "RECORD":
            changes += _field_changes(column, before["fields"], after["fields"])
    known = {f["name"] for f in old}
    changes += [
        f"{where}.{f['name']}: REQUIRED column added"
        for f in new
        if f["name"] not in known and f.get("mode") == "REQUIRED"
    ]
    return changes


def contract_problems(
    contract_dir: Path, tables: Mapping[str, StructType], version: str
) -> list[str]:
    """Breaking changes of ``tables`` against the committed BigQuery schemas at one version.

    None when ``version`` differs from the committed VERSION (the bump is the
    documented event) or nothing is committed yet.
    """
    version_file = contract_dir / VERSION_FILE
    if not version_file.exists() or version_file.read_text().strip() != version:
        return []
    committed = {
        p.name.removesuffix(BIGQUERY_SUFFIX): json.loads(p.read_text())
        for p in contract_dir.glob(f"*{BIGQUERY_SUFFIX}")
    }
    current = {t: bigquery_schema(c, lambda _: "", t) for t, c in tables.items()}
    return [
        f"{change} (breaks contract version {version}: bump features.schemas.CONTRACT_VERSION)"
        for change in breaking_changes(committed, current)
    ]
