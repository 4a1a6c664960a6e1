"""Sphinx extension: include each script once per page.

Jupyter Book runs the set-up of sphinx-thebe and sphinx-togglebutton twice with Sphinx 7, so
every page declared ``THEBE_JS_URL`` twice and the browser reported an error.
Duplicates are dropped from each page's context before it is rendered.
"""

from __future__ import annotations


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = (script.filename or "", tuple(sorted((k, str(v)) for k, v in script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _drop_duplicate_scripts, priority=1)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
