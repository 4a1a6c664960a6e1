"""A lab that fails half-way still cleans up: its kernel's exit deletes what it made.

The lab below makes its namespace, two nodes of its own and a volume whose deletion a finalizer
holds, then a cell fails, so its clean-up cell never runs. When the kernel shuts down, the at-exit
deletions it registered run last-registered first, and the kernel is killed a few seconds after it
is told to stop: an at-exit deletion that waited for the held volume would be killed before the
namespace's was asked for. Each must ask and go on, so that everything but the held volume goes.
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
from threeplanes.kit.wait import wait_for

OWNER = "failing-lab-test"
HOLD = "threeplanes.io/held-by-test"  # a finalizer nothing removes but this test

FAILING_LAB = textwrap.dedent(
    f"""\
    ---
    kernelspec:
      display_name: Python 3
      language: python
      name: python3
    ---

    ```{{code-cell}} ipython3
    from threeplanes.kit.cleanup import delete_at_exit
    from threeplanes.kit.connect import connect
    from threeplanes.kit.labels import FOR_NAMESPACE, owned_labels
    from threeplanes.kit.namespaces import lab_namespace
    from threeplanes.kit.nodes import NodePool

    cluster = connect()
    namespace = lab_namespace(cluster, "{OWNER}")
    NodePool(namespace, owner="{OWNER}").create(cluster, "a", "b")
    labels = owned_labels("{OWNER}", **{{FOR_NAMESPACE: namespace}})
    cluster.core.create_persistent_volume({{
        "metadata": {{"name": f"{{namespace}}-held", "labels": labels,
                     "finalizers": ["{HOLD}"]}},
        "spec": {{"capacity": {{"storage": "1Mi"}}, "accessModes": ["ReadWriteOnce"],
                 "hostPath": {{"path": "/tmp/held"}}}}}})
    delete_at_exit(cluster, f"{{FOR_NAMESPACE}}={{namespace}}")
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

    try:
        deadline = time.monotonic() + 90
        while True:
            left = sorted(str(o) for o in cluster_scoped(live_cluster, f"{LAB_LABEL}={OWNER}"))
            held = [o for o in left if o.startswith("persistentvolume/")]
            if held and left == held:
                break
            assert time.monotonic() < deadline, f"90 s after the failed lab's kernel exited, still there: {left}"
            time.sleep(1)
        (volume,) = held
        deleting = live_cluster.core.read_persistent_volume(volume.split("/")[1]).metadata.deletion_timestamp
        assert deleting, "the held volume's deletion was asked for too"
    finally:
        for held_volume in live_cluster.core.list_persistent_volume(label_selector=f"{LAB_LABEL}={OWNER}").items:
            live_cluster.core.patch_persistent_volume(held_volume.metadata.name, {"metadata": {"finalizers": None}})
    wait_for(
        live_cluster.core.list_persistent_volume,
        lambda volumes: not volumes,
        what="the held volume to go once its finalizer is removed",
        describe=lambda volumes: ", ".join(v.metadata.name for v in volumes),
        timeout=30,
        label_selector=f"{LAB_LABEL}={OWNER}",
    )
