"""Every lab, executed top to bottom against the live cluster: one test per lab file.

A lab asserts what its prose claims, so a cell that raises fails the test; the
``owned_by`` fixture then checks the lab deleted everything it made.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from threeplanes.book import execute

ROOT = Path(__file__).resolve().parents[2]
LABS = sorted((ROOT / "labs").glob("*.md"))
assert LABS, "no lab found in labs/"


@pytest.mark.cluster
@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_lab_runs_top_to_bottom(lab: Path, live_cluster, owned_by) -> None:
    owned_by(lab.stem)
    execute(lab)  # as `make book` does, into the cache the book build reads: the book then shows this run


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_lab_names_its_namespace_after_its_file(lab: Path) -> None:
    """The leftover check finds a lab's objects by its file's stem."""
    assert f'lab_namespace(cluster, "{lab.stem}")' in lab.read_text()


def test_every_lab_is_in_the_table_of_contents() -> None:
    toc = (ROOT / "_toc.yml").read_text()
    missing = [lab.name for lab in LABS if f"labs/{lab.stem}" not in toc]
    assert not missing, f"labs missing from _toc.yml: {missing}"
