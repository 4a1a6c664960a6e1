"""Every code cell of a lab (and of an executed book page) fits the page's column: 80 characters.

A longer line scrolls sideways on the site and hides its end.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "labs").glob("*.md")) + [
    p for p in sorted((ROOT / "book").glob("*.md")) if "```{code-cell}" in p.read_text()
]
CELL = re.compile(r"```\{code-cell\}[^\n]*\n(.*?)```", re.DOTALL)
COLUMNS = 80


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_code_cells_fit_the_column(page: Path) -> None:
    long = [line for cell in CELL.findall(page.read_text()) for line in cell.splitlines() if len(line) > COLUMNS]
    assert not long, f"{page.name}: {len(long)} line(s) over {COLUMNS} characters, the first: {long[0]!r}"
