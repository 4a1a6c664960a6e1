"""Every lab, executed top to bottom against the live cluster: one test per lab file.

A lab asserts what its prose claims, so a cell that raises fails the test; the
``owned_by`` fixture then checks the lab deleted everything it made.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from filelock import FileLock
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution
from myst_nb.core.read import read_myst_markdown_notebook
from myst_parser.config.main import MdParserConfig

ROOT = Path(__file__).resolve().parents[2]
EXECUTION_CACHE = ROOT / "_build" / ".jupyter_cache"  # the cache the book build reads (_config.yml)
LABS = sorted((ROOT / "labs").glob("*.md"))
assert LABS, "no lab found in labs/"


def execute(path: Path) -> None:
    """Execute the lab as the book build would, and store the result where the build finds it,
    so that the book published after a test run shows the outputs of that very run."""
    notebook = read_myst_markdown_notebook(path.read_text(), MdParserConfig(), path=str(path))
    result = single_nb_execution(notebook, cwd=str(path.parent), timeout=300, allow_errors=False)
    if result.err is not None:
        raise result.err
    EXECUTION_CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(EXECUTION_CACHE.parent / "jupyter_cache.lock", timeout=120):  # labs run side by side
        cache = get_cache(str(EXECUTION_CACHE))
        record = cache.add_nb_to_project(str(path))
        bundle = CacheBundleIn(notebook, record.uri, data={"execution_seconds": result.time})
        cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)


@pytest.mark.cluster
@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_lab_runs_top_to_bottom(lab: Path, live_cluster, owned_by) -> None:
    owned_by(lab.stem)
    execute(lab)


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_lab_names_its_namespace_after_its_file(lab: Path) -> None:
    """The leftover check finds a lab's objects by its file's stem."""
    assert f'lab_namespace(cluster, "{lab.stem}")' in lab.read_text()


def test_every_lab_is_in_the_table_of_contents() -> None:
    toc = (ROOT / "_toc.yml").read_text()
    missing = [lab.name for lab in LABS if f"labs/{lab.stem}" not in toc]
    assert not missing, f"labs missing from _toc.yml: {missing}"
