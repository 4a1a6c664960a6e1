"""A typical wrong answer: sets spec.nodeName with a PATCH, which the API server refuses, instead of a Binding."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "my_scheduler.py"


def apply(cluster, namespace: str) -> None:
    old = "    core.create_namespaced_binding(NAMESPACE, binding, _preload_content=False)"
    new = '    core.patch_namespaced_pod(pod.metadata.name, NAMESPACE, {"spec": {"nodeName": node}})'
    hand_in(cluster, namespace, patched(ANSWER, {old: new}), "my_scheduler.py")
