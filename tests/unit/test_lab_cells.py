"""Every code cell of a lab (and of an executed book page) fits the page's column (80 characters: a longer
line scrolls sideways on the site and hides its end), and imports only names the package has."""

from __future__ import annotations

import ast
import importlib
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


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_name_a_page_imports_from_the_book_exists(page: Path) -> None:
    """A lab that imports a helper moved elsewhere fails here in a second, not half way through its run."""
    missing = []
    for cell in CELL.findall(page.read_text()):
        source = "\n".join(line for line in cell.splitlines() if not line.lstrip().startswith(("%", "!", ":")))
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a cell magic's body (%%writefile) is not the page's Python
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("threeplanes"):
                module = importlib.import_module(node.module)
                missing += [f"{node.module}.{a.name}" for a in node.names if not has(module, a.name)]
    assert not missing, f"{page.name} imports names that do not exist: {missing}"


def has(module: object, name: str) -> bool:
    """``module`` has ``name``: an attribute, or a submodule (``from threeplanes.system import dns``)."""
    if hasattr(module, name):
        return True
    try:
        importlib.import_module(f"{module.__name__}.{name}")
        return True
    except ModuleNotFoundError:
        return False
