"""A lab's Python manifests shown as the YAML a reader would ``kubectl apply``.

The labs build each object as a Python dict and send it with the official client; the
exercises ask for YAML files. ``show_as_yaml`` renders the very dict a cell applied as YAML
and hands it to myst-nb's ``glue`` under a name, so that a page can show it in a tab beside
the Python (``{glue:md}`` with ``:format: myst``) without a second copy that could drift.
"""

from __future__ import annotations

from typing import Any

import yaml


def yaml_text(*objects: dict[str, Any]) -> str:
    """The objects as one YAML manifest, documents separated by ``---``, keys in written order."""
    return "---\n".join(yaml.safe_dump(obj, sort_keys=False, width=78) for obj in objects)


def show_as_yaml(name: str, *objects: dict[str, Any]) -> str:
    """Glue the objects, as a fenced YAML block, under ``name``; return the YAML text."""
    from IPython.display import Markdown
    from myst_nb import glue

    text = yaml_text(*objects)
    glue(name, Markdown(f"```yaml\n{text}```"), display=False)
    return text
