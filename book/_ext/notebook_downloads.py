"""Sphinx extension: each notebook page offers itself as an ``.ipynb`` that runs as it is.

sphinx-book-theme's download menu lists an ``.ipynb`` when the page context names one
(``ipynb_source``, relative to ``_sources``); myst-nb does not set it for MyST markdown
notebooks. Here each page whose source is a notebook (jupytext front matter with a
kernelspec) is converted with jupytext into ``_build/html/_sources/<page>.ipynb``, without
outputs, and the context names it, so the menu offers it beside the ``.md``.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat


def notebook_for(source: Path) -> nbformat.NotebookNode | None:
    """The notebook of a MyST markdown page, or None when the page is not a notebook."""
    if source.suffix != ".md" or not source.read_text().startswith("---"):
        return None
    notebook = jupytext.read(source, fmt="md:myst")
    if not notebook.metadata.get("kernelspec"):
        return None
    notebook.metadata.pop("jupytext", None)  # the .ipynb stands alone: no pairing with the .md
    return notebook


def write_notebook(notebook: nbformat.NotebookNode, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(notebook)
    nbformat.write(notebook, str(target))


def _offer_notebook(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    if doctree is None:
        return
    source = Path(app.env.doc2path(pagename))
    notebook = notebook_for(source)
    if notebook is None:
        return
    write_notebook(notebook, Path(app.outdir) / "_sources" / f"{pagename}.ipynb")
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app):
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", _offer_notebook, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
