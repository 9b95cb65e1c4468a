"""Text files split into records with every physical line accounted for.

A delimited (CSV) or JSON-lines file is read here, in plain Python, one file
at a time, rather than by Spark's readers, because those cannot say which
line a record came from and fail in ways that lose data: an unclosed quote
swallows the following lines into one value, a short or long row is kept
with its values shifted, and bytes that are not UTF-8 become U+FFFD.

Each physical line ends up in exactly one place: the header, a blank line, a
record (a record may span lines when a quoted value holds a newline), or a
malformed line with its reason. ``FileAccount`` counts them; the caller
checks lines read = header + blank + lines of the records it kept and quarantined.

The rules, in order, for each line that starts a record:

- its bytes must decode in the source's encoding (UTF-8 unless declared);
  with a declared fallback encoding (e.g. cp1252) the line is decoded with
  that and flagged, never silently replaced;
- a NUL byte makes the line malformed (no feed means one);
- CSV: the line is one record when its quotes close and it has as many
  fields as the header. When a quoted value is still open at the end of the
  line, the following lines are joined to it, up to ``max_record_lines``,
  and kept only if the joined text closes its quotes and has exactly the
  header's field count. Otherwise only the first line is malformed ("quote
  never closed") and reading starts again at the next line, so one stray
  quote costs one line, not its neighbours;
- JSON lines: each line is one JSON object.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

RAW_TEXT_LIMIT = 500  # characters of a malformed line kept in its quarantine row

# Columns a source read for ingest carries beside its own (names no feed uses)
LOCATION = "_ingest_location"  # "<file> line <n>" of a text record; null for Parquet/Delta
LINES = "_ingest_lines"  # physical lines the record spans (null for Parquet/Delta)
ORDER = "_ingest_order"  # position in the source: files in path order, then lines
PROBLEM = "_ingest_problem"  # why a line is malformed (the row is then only this)
RAW = "_ingest_raw"  # a malformed or flagged line's text, truncated
FLAG = "_ingest_flag"  # a caveat on a kept record (decoded with the fallback encoding)
READER_COLUMNS = (LOCATION, LINES, ORDER, PROBLEM, RAW, FLAG)


@dataclass(frozen=True)
class TextFormat:
    """How a text source is split into records (from a mapping's format and options)."""

    kind: str  # "csv" or "json"
    delimiter: str = ","
    quote: str = '"'
    escape: str = '"'  # the quote itself: RFC 4180 doubled quotes; else e.g. a backslash
    header: bool = True
    multiline: bool = True  # a quoted CSV value may hold newlines
    encoding: str = "utf-8"
    fallback_encoding: str | None = None
    max_record_lines: int = 50


@dataclass(frozen=True)
class Record:
    """One record, or one malformed line, of a text file.

    ``values`` holds a CSV record's fields by header name (missing for a
    malformed line), ``text`` a JSON line's text; ``problem`` says why a
    line is malformed; ``flag`` notes a record kept with a caveat (decoded
    with the fallback encoding).
    """

    line: int  # 1-based number of the first physical line
    n_lines: int
    values: dict[str, str | None] | None = None
    text: str | None = None
    problem: str | None = None
    flag: str | None = None
    raw: str | None = None  # the line(s) as read (truncated), for malformed or flagged ones


@dataclass
class FileAccount:
    """Where the physical lines of one file went."""

    lines: int = 0
    header: int = 0
    blank: int = 0
    malformed: int = 0
    records: int = 0
    columns: list[str] = field(default_factory=list)


def physical_lines(data: bytes) -> list[bytes]:
    r"""The file's lines without their terminators (\n or \r\n); a last line needs none."""
    if not data:
        return []
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def _decode(raw: bytes, fmt: TextFormat) -> tuple[str | None, str | None, str | None]:
    """(text, problem, flag) for one line's bytes."""
    try:
        return raw.decode(fmt.encoding), None, None
    except UnicodeDecodeError as e:
        where = f"invalid {fmt.encoding} bytes at byte {e.start + 1}"
        if fmt.fallback_encoding is None:
            return None, f"{where} (declare the source's encoding or a fallback_encoding)", None
        try:
            return raw.decode(fmt.fallback_encoding), None, f"{where}: decoded as {fmt.fallback_encoding}"
        except UnicodeDecodeError as e2:
            return None, f"{where}, and invalid {fmt.fallback_encoding} at byte {e2.start + 1}", None


def _truncate(text: str) -> str:
    return text if len(text) <= RAW_TEXT_LIMIT else text[:RAW_TEXT_LIMIT] + "..."


def _csv_fields(text: str, fmt: TextFormat) -> tuple[list[str | None] | None, str | None, bool]:
    """(fields, problem, open_quote) of one candidate record's text.

    ``open_quote`` is true when the text ends inside a quoted value (the
    record may continue on the next line). An empty field is None.
    """
    doubled = fmt.escape == fmt.quote
    reader = csv.reader(
        [text],
        delimiter=fmt.delimiter,
        quotechar=fmt.quote,
        doublequote=doubled,
        escapechar=None if doubled else fmt.escape,
        strict=True,
    )
    try:
        fields = next(reader)
    except csv.Error as e:
        if "unexpected end of data" in str(e):
            return None, "quote never closed", True
        return None, f"malformed quoting ({e})", False
    # csv gives "" for both ,, and ,"",: either is a missing value to the parsers
    return [f if f != "" else None for f in fields], None, False


def read_csv(data: bytes, fmt: TextFormat) -> tuple[Iterator[Record], FileAccount]:
    """Records of one delimited file and, once they are consumed, its line account."""
    account = FileAccount()
    return _csv_records(physical_lines(data), fmt, account), account


def _csv_records(lines: list[bytes], fmt: TextFormat, account: FileAccount) -> Iterator[Record]:
    account.lines = len(lines)
    decoded = [_decode(raw, fmt) for raw in lines]
    i = 0
    columns: list[str] | None = None
    if fmt.header:
        while i < len(lines) and columns is None:
            text, problem, flag = decoded[i]
            if text is not None and text.strip() == "":
                account.blank += 1
            elif problem is not None or text is None or "\x00" in text:
                account.malformed += 1
                yield Record(i + 1, 1, problem=problem or "NUL byte in header", raw=_truncate(repr(lines[i])))
            else:
                fields, problem, _ = _csv_fields(text, fmt)
                if fields is None:
                    account.malformed += 1
                    yield Record(i + 1, 1, problem=f"header: {problem}", raw=_truncate(text))
                else:
                    columns = [f.strip() if f else f"_c{n}" for n, f in enumerate(fields)]
                    account.header = 1
            i += 1
        if columns is None:
            return
    while i < len(lines):
        text, problem, flag = decoded[i]
        if text is None:
            account.malformed += 1
            yield Record(i + 1, 1, problem=problem, raw=_truncate(repr(lines[i])))
            i += 1
            continue
        if text.strip() == "":
            account.blank += 1
            i += 1
            continue
        if "\x00" in text:
            account.malformed += 1
            yield Record(i + 1, 1, problem="NUL byte in line", raw=_truncate(text.replace("\x00", "\\0")))
            i += 1
            continue
        record, used = _csv_record(decoded, i, text, flag, fmt, columns)
        if record.problem is None:
            account.records += 1
        else:
            account.malformed += used
        yield record
        i += used
    account.columns = list(columns or [])


def _csv_record(
    decoded: list[tuple[str | None, str | None, str | None]],
    start: int,
    text: str,
    flag: str | None,
    fmt: TextFormat,
    columns: list[str] | None,
) -> tuple[Record, int]:
    """The record starting at line ``start`` and how many lines it used."""
    fields, problem, open_quote = _csv_fields(text, fmt)
    joined, used = text, 1
    while open_quote and fmt.multiline and used < fmt.max_record_lines:
        if start + used >= len(decoded):
            break
        more, bad, more_flag = decoded[start + used]
        if more is None or "\x00" in more:
            break  # a line that cannot be read ends the attempt
        joined, used = joined + "\n" + more, used + 1
        flag = flag or more_flag
        fields, problem, open_quote = _csv_fields(joined, fmt)
    expected = len(columns) if columns is not None else None
    if fields is not None and (expected is None or len(fields) == expected):
        if columns is None:
            values = {f"_c{n}": v for n, v in enumerate(fields)}
        else:
            values = dict(zip(columns, fields, strict=True))
        raw = _truncate(joined) if flag else None
        return Record(start + 1, used, values=values, flag=flag, raw=raw), used
    if used > 1 or open_quote:
        # joining lines did not give a whole record: only the first line is bad
        return Record(start + 1, 1, problem="quote never closed", raw=_truncate(text)), 1
    if fields is None:
        return Record(start + 1, 1, problem=problem, raw=_truncate(text)), 1
    return (
        Record(
            start + 1,
            1,
            problem=f"{len(fields)} fields where the header has {expected}",
            raw=_truncate(text),
        ),
        1,
    )


def read_json_lines(data: bytes, fmt: TextFormat) -> tuple[Iterator[Record], FileAccount]:
    """Records of one JSON-lines file (each a JSON object's text) and its line account."""
    account = FileAccount()
    return _json_records(physical_lines(data), fmt, account), account


def _json_records(lines: list[bytes], fmt: TextFormat, account: FileAccount) -> Iterator[Record]:
    account.lines = len(lines)
    for i, raw in enumerate(lines):
        text, problem, flag = _decode(raw, fmt)
        if text is not None and text.strip() == "":
            account.blank += 1
            continue
        if text is not None and "\x00" in text:
            problem = "NUL byte in line"
        elif text is not None:
            try:
                value = json.loads(text)
            except json.JSONDecodeError as e:
                problem = f"invalid JSON ({e.msg} at column {e.colno})"
            else:
                if not isinstance(value, dict):
                    problem = f"a JSON {type(value).__name__}, not an object"
        if problem is not None:
            account.malformed += 1
            shown = repr(raw) if text is None else text.replace("\x00", "\\0")
            yield Record(i + 1, 1, problem=problem, raw=_truncate(shown))
            continue
        account.records += 1
        yield Record(i + 1, 1, text=text, flag=flag, raw=_truncate(text) if flag else None)
