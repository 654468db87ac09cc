"""docs/architecture.md is the map of the code: every package and root module under src/reclaim is on it."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "reclaim"
DOC = (REPO / "docs" / "architecture.md").read_text()
PARTS = sorted(
    [f"{p.name}/" for p in PACKAGE.iterdir() if (p / "__init__.py").exists()]
    + [p.name for p in PACKAGE.glob("*.py") if p.name not in {"__init__.py", "__main__.py"}]
)


@pytest.mark.parametrize("part", PARTS)
def test_every_package_is_on_the_map(part: str) -> None:
    assert f"`{part}`" in DOC, f"docs/architecture.md does not describe src/reclaim/{part}"


def test_the_map_names_nothing_that_is_gone() -> None:
    named = {line.split("`")[1] for line in DOC.splitlines() if line.startswith("| ") and line.count("`") >= 2}
    assert named <= set(PARTS), f"docs/architecture.md describes what no longer exists: {named - set(PARTS)}"


def test_readme_points_inside_the_repository() -> None:
    readme = (REPO / "README.md").read_text()
    assert "../shared" not in readme
    assert "docs/architecture.md" in readme
    assert (REPO / "LICENSE").read_text().count("Apache License") >= 1
