"""The .ipynb the site offers for a lab runs as it is: the shortest lab, executed from another folder."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
SHORTEST_LAB = ROOT / "labs" / "00-meet-your-cluster.md"


def extension():
    spec = importlib.util.spec_from_file_location(
        "notebook_downloads", ROOT / "book" / "_ext" / "notebook_downloads.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.cluster
def test_the_downloaded_notebook_of_the_shortest_lab_runs_as_it_is(tmp_path, live_cluster, owned_by) -> None:
    owned_by(SHORTEST_LAB.stem)
    offered = tmp_path / "00-meet-your-cluster.ipynb"
    extension().write_notebook(extension().notebook_for(SHORTEST_LAB), offered)
    notebook = nbformat.read(offered, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert not [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
