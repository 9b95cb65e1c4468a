"""The house's shape: stage and runtime code never names an entity; entry points stay thin."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from jobs.runtime.config import PROJECT_ROOT

GENERIC = ("jobs/stages", "jobs/runtime")
# the configured entity types, and the ones the roadmap names before they land
PLANNED = ("recordings", "videos", "releases", "works", "contributors")
LAYERING = PROJECT_ROOT.parent / "shared" / "tools" / "layering.py"


def _entity_names() -> set[str]:
    base = yaml.safe_load((PROJECT_ROOT / "conf" / "base.yaml").read_text())
    return set(base["entities"]) | set(PLANNED)


def _generic_sources() -> list[Path]:
    return sorted(p for folder in GENERIC for p in (PROJECT_ROOT / folder).rglob("*.py"))


def test_no_generic_module_names_an_entity():
    pattern = re.compile(r"\b(" + "|".join(sorted(_entity_names())) + r")\b")
    hits = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}"
        for path in _generic_sources()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not hits, "stage/runtime code names an entity:\n" + "\n".join(hits)


def test_the_name_check_finds_a_name(tmp_path):
    """The check above can fail: a line naming an entity is a hit."""
    pattern = re.compile(r"\b(" + "|".join(sorted(_entity_names())) + r")\b")
    assert pattern.search('if entity == "videos":')
    assert not pattern.search("a music video of a recording")


def test_entry_points_are_thin():
    mains = sorted((PROJECT_ROOT / "jobs").glob("*.py"))
    assert {p.name for p in mains} >= {"train.py", "resolve.py", "evaluate.py", "demo.py"}
    long = {p.name: n for p in mains if (n := len(p.read_text().splitlines())) > 130}
    assert not long, f"entry points over ~120 lines: {long}"
    libraries = [p.name for p in mains if p.name.startswith("_") and p.name != "__init__.py"]
    assert not libraries, f"library modules at jobs/ top level: {libraries}"


@pytest.mark.skipif(not LAYERING.is_file(), reason=f"{LAYERING} is not here")
def test_imports_point_one_way_and_have_no_cycle():
    result = subprocess.run(
        [sys.executable, str(LAYERING)], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
