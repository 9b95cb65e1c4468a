"""Files a person reads: aligned text tables, JSON and HTML written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def rounded(values: Mapping[str, Any], digits: int = 4) -> dict[str, Any]:
    """``values`` with every float rounded to ``digits`` (a benchmark report row)."""
    return {k: (round(v, digits) if isinstance(v, float) else v) for k, v in values.items()}


def text_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as an aligned text table of ``columns`` (a missing or None value is blank)."""
    cells = [["" if row.get(c) is None else str(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def write_json_atomic(path: str | Path, payload: Any) -> Path:
    """Write JSON through a temporary file and a rename: readers never see half a file."""
    return write_text_atomic(
        path, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n"
    )


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write a text file through a temporary file and a rename: never half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; reports are for everyone
    os.replace(tmp, target)
    return target


