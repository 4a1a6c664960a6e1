"""A lab that fails half-way still cleans up: its kernel's exit deletes what it made.

The lab below makes its namespace and a node of its own, then a cell fails, so its clean-up cell
never runs. When the kernel shuts down, the at-exit deletions it registered must all be asked for
before the kernel is killed (a few seconds after it is told to stop): nothing may be left once the
API server has finished them.
"""

from __future__ import annotations

import textwrap
import time

import pytest
from jupyter_cache.executors.utils import single_nb_execution
from myst_nb.core.read import read_myst_markdown_notebook
from myst_parser.config.main import MdParserConfig

from threeplanes.kit.cleanup import cluster_scoped
from threeplanes.kit.labels import LAB_LABEL

OWNER = "failing-lab-test"

FAILING_LAB = textwrap.dedent(
    f"""\
    ---
    kernelspec:
      display_name: Python 3
      language: python
      name: python3
    ---

    ```{{code-cell}} ipython3
    from threeplanes.kit.connect import connect
    from threeplanes.kit.namespaces import lab_namespace
    from threeplanes.kit.nodes import NodePool

    cluster = connect()
    namespace = lab_namespace(cluster, "{OWNER}")
    NodePool(namespace, owner="{OWNER}").create(cluster, "a", "b")
    ```

    ```{{code-cell}} ipython3
    raise RuntimeError("a cell that fails half-way")
    ```

    ```{{code-cell}} ipython3
    from threeplanes.kit.namespaces import delete_namespace

    delete_namespace(cluster, namespace)
    ```
    """
)


@pytest.mark.cluster
def test_a_lab_that_fails_half_way_leaves_nothing(tmp_path, live_cluster, owned_by) -> None:
    if not live_cluster.simulated:
        pytest.skip("the failing lab makes kwok-simulated nodes, which only the local cluster has")
    owned_by(OWNER)
    notebook = read_myst_markdown_notebook(FAILING_LAB, MdParserConfig(), path=str(tmp_path / "failing.md"))
    result = single_nb_execution(notebook, cwd=str(tmp_path), timeout=120, allow_errors=False)
    assert result.err is not None and "a cell that fails half-way" in str(result.err)

    deadline = time.monotonic() + 90
    while left := [str(o) for o in cluster_scoped(live_cluster, f"{LAB_LABEL}={OWNER}")]:
        assert time.monotonic() < deadline, f"90 s after the failed lab's kernel exited, still there: {left}"
        time.sleep(1)
