"""Sphinx directive ``syllabus-map``: the table of syllabus items and where the book covers them.

It reads ``syllabus.yml`` at the book's root. Links are real cross-references, so a path or
anchor that does not exist is a build warning (an error under ``-W``).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from docutils import nodes
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective

COLUMNS = ("chapter", "lab", "exercise", "quiz", "missions")


def _xref(target: str, text: str) -> nodes.Node:
    path, _, anchor = target.partition("#")
    docname = str(Path(path).with_suffix(""))
    if anchor:
        ref = addnodes.pending_xref("", refdomain="std", reftype="ref", reftarget=anchor, refexplicit=True)
    else:
        ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget="/" + docname, refexplicit=True)
    ref += nodes.inline(text, text)
    return ref


def _links(targets: str | list[str] | None, column: str) -> nodes.Node | str:
    """One link per target (a lab may be named with the others that also cover the item)."""
    if not targets:
        return "" if column == "missions" else "planned"  # not every item has a mission to break and fix
    if isinstance(targets, str):
        return _xref(targets, column)
    span = nodes.inline()
    for position, target in enumerate(targets):
        if position:
            span += nodes.Text(", ")
        span += _xref(target, Path(target.partition("#")[0]).stem)
    return span


class SyllabusMap(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        source = Path(self.env.srcdir) / "syllabus.yml"
        self.env.note_dependency(str(source))
        items = yaml.safe_load(source.read_text())
        table = nodes.table(classes=["syllabus-map"])
        group = nodes.tgroup(cols=2 + len(COLUMNS))
        table += group
        for width in (6, 26, 14, 14, 14, 12, 14):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        head += self._row(["ID", "What", *(c.capitalize() for c in COLUMNS)])
        group += head
        body = nodes.tbody()
        for item_id, item in items.items():
            cells: list[nodes.Node | str] = [item_id, item["title"]]
            for column in COLUMNS:
                cells.append(_links(item.get(column), column))
            body += self._row(cells)
        group += body
        return [table]

    @staticmethod
    def _row(cells: list) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            paragraph = nodes.paragraph()
            paragraph += nodes.Text(cell) if isinstance(cell, str) else cell
            entry += paragraph
            row += entry
        return row


def setup(app):
    app.add_directive("syllabus-map", SyllabusMap)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
