"""One definition per name: no public top-level name of the package is defined in two of its modules.

A second definition of a name is either a copy of one idea (it belongs once, in the lowest layer both
users may import) or a second idea under the first one's name (it wants a name of its own).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "threeplanes"


def defined_names(module: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):  # NAME = ... and NAME, OTHER = ...
            for target in node.targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if not name.startswith("_")}


def test_no_public_name_is_defined_in_two_modules() -> None:
    where: dict[str, list[str]] = defaultdict(list)
    for module in sorted(PACKAGE.rglob("*.py")):
        for name in defined_names(module):
            where[name].append(str(module.relative_to(PACKAGE)))
    twice = {name: places for name, places in sorted(where.items()) if len(places) > 1}
    listed = "\n".join(f"  {name}: {', '.join(places)}" for name, places in twice.items())
    assert not twice, f"defined in more than one module:\n{listed}"
