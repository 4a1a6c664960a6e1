"""A fix that hides the symptom for a moment: the NotReady node's taints taken off by hand. The node lifecycle
controller puts them back within seconds, since the node is still not Ready, and its kubelet still exits.

From a terminal: kubectl --kubeconfig "$MISSION/kubeconfig" taint node worker-new node.kubernetes.io/unreachable-
"""

from __future__ import annotations

from threeplanes.kit.connect import connect
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.wait import wait_for

TAINT = "node.kubernetes.io/unreachable"


def apply(book, namespace: str) -> None:
    plane = connect(book.core.read_namespaced_config_map("mission", namespace).data["kubeconfig"], timeout=10)
    wait_for(
        plane.core.list_node,
        lambda nodes: any(t.key == TAINT for n in nodes for t in n.spec.taints or []),
        what=f"the taint {TAINT} on worker-new",
        describe=lambda nodes: ", ".join(t.key for n in nodes for t in n.spec.taints or []) or "no taint",
        timeout=30,
        field_selector="metadata.name=worker-new",
    )
    kubectl(f"taint node worker-new {TAINT}-", plane, show=False)
