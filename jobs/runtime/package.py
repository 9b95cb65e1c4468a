"""Package the project's code as one zip for spark-submit's ``--py-files``.

    make dist        # = python -m jobs.runtime.package dist/music_resolution.zip

The zip holds the packages jobs/, features/ and splink_models/ (sources and
the model JSON files beside them), never conf/: a job imported from the zip
finds conf/ in the working directory (see ``jobs.runtime.config.PROJECT_ROOT``), so
spark-submit runs from the project root or passes ``--config-dir``.
Entries are sorted and carry a fixed timestamp, so the same sources give the
same bytes.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("jobs", "features", "splink_models")
DEFAULT_DEST = PROJECT_ROOT / "dist" / "music_resolution.zip"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry


def _package_files(root: Path) -> Iterator[Path]:
    """Every file of the packages, without bytecode caches or hidden files."""
    for package in PACKAGES:
        folder = root / package
        if not (folder / "__init__.py").is_file():
            raise FileNotFoundError(f"{folder} is not a Python package (no __init__.py)")
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(root)
            if not path.is_file() or path.suffix == ".pyc":
                continue
            if any(part == "__pycache__" or part.startswith(".") for part in rel.parts):
                continue
            yield path


def build_zip(dest: str | Path = DEFAULT_DEST, *, root: str | Path = PROJECT_ROOT) -> Path:
    """Write the packages' zip to ``dest`` (atomically, through a rename) and return its path."""
    root, dest = Path(root), Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in _package_files(root):
                info = zipfile.ZipInfo(path.relative_to(root).as_posix(), _FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, path.read_bytes())
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


if __name__ == "__main__":  # python -m jobs.runtime.package [dest]
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = build_zip(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DEST)
    with zipfile.ZipFile(out) as archive:
        logger.info("wrote %s (%d files)", out, len(archive.namelist()))
