"""The book's own pages with code cells, executed against the live cluster as the book build does.

The chapters read the cluster (the system plane's architecture, drawn from the processes that run
it) and assert what their prose says about it, as the labs do; the explorer makes objects in a
namespace of its own, which the ``owned_by`` check then finds gone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from threeplanes.book import execute, notebook_pages

ROOT = Path(__file__).resolve().parents[2]
PAGES = [page for page in notebook_pages(ROOT) if page.parent.name == "book"]
assert PAGES, "no page of book/ has code cells"


@pytest.mark.cluster
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_runs_top_to_bottom(page: Path, live_cluster, owned_by) -> None:
    owned_by(page.stem)
    execute(page)
