"""Workload controllers side by side: what each makes, in what order, and under which names.

``Arrivals`` follows a set of pods with one list-then-watch and records the order in which
they appeared and became Ready, and which pods were Ready when each new one appeared (how a
StatefulSet's ordered start shows). ``template_hash`` reads the ``pod-template-hash`` label a
Deployment's ReplicaSets and pods carry. ``daemon_pods_by_node`` maps each node to the
DaemonSet pods bound to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from threeplanes.kit.pods import live
from threeplanes.kit.tables import Table, table
from threeplanes.kit.wait import Objects, is_ready, pods_summary, wait_for, wait_for_one

TEMPLATE_HASH = "pod-template-hash"


def template_hash(obj: Any) -> str | None:
    return (obj.metadata.labels or {}).get(TEMPLATE_HASH)


def owner_name(obj: Any) -> str | None:
    refs = obj.metadata.owner_references or []
    return refs[0].name if refs else None


@dataclass
class Arrivals:
    """The order in which pods appeared and became Ready, as one watch saw it."""

    appeared: list[str] = field(default_factory=list)
    ready: list[str] = field(default_factory=list)
    ready_when_appeared: dict[str, set[str]] = field(default_factory=dict)

    def see(self, pods: Objects) -> None:
        running = live(pods)
        ready_now = {p.metadata.name for p in running if is_ready(p)}
        for pod in sorted(running, key=lambda p: p.metadata.name):
            name = pod.metadata.name
            if name not in self.appeared:
                self.appeared.append(name)
                self.ready_when_appeared[name] = ready_now - {name}
            if name in ready_now and name not in self.ready:
                self.ready.append(name)

    def table(self) -> Table:
        return table(
            self.appeared,
            {
                "POD": lambda n: n,
                "APPEARED": lambda n: self.appeared.index(n) + 1,
                "READY": lambda n: self.ready.index(n) + 1 if n in self.ready else "",
                "READY WHEN IT APPEARED": lambda n: ", ".join(sorted(self.ready_when_appeared[n])) or "(none)",
            },
        )


def follow_arrivals(
    cluster: Any, namespace: str, selector: str, count: int, arrivals: Arrivals | None = None, timeout: float = 60
) -> Arrivals:
    """Watch the pods ``selector`` matches until ``count`` are Ready, recording their order."""
    arrivals = arrivals or Arrivals()

    def done(pods: Objects) -> bool:
        arrivals.see(pods)
        running = live(pods)
        return len(running) == count and all(map(is_ready, running))

    wait_for(
        cluster.core.list_namespaced_pod,
        done,
        what=f"{count} pod(s) {selector!r} in {namespace} to be Ready",
        describe=pods_summary,
        timeout=timeout,
        namespace=namespace,
        label_selector=selector,
    )
    return arrivals


def daemon_pods_by_node(pods: Objects) -> dict[str, list[str]]:
    """``{node: [pod, ...]}`` for the live pods given (those of one DaemonSet)."""
    found: dict[str, list[str]] = {}
    for pod in pods:
        if not pod.metadata.deletion_timestamp and pod.spec.node_name:
            found.setdefault(pod.spec.node_name, []).append(pod.metadata.name)
    return dict(sorted(found.items()))


def claims_of(pod: Any) -> list[str]:
    return [v.persistent_volume_claim.claim_name for v in pod.spec.volumes or [] if v.persistent_volume_claim]


def daemonset_state(daemonset: Any) -> str:
    s = daemonset.status
    desired, scheduled = s.desired_number_scheduled or 0, s.current_number_scheduled or 0
    return f"{s.number_ready or 0} ready of {desired} desired, {scheduled} scheduled"


def wait_for_daemonset(cluster: Any, namespace: str, name: str, count: int, timeout: float = 60) -> Any:
    """Wait until DaemonSet ``name`` wants ``count`` pods, runs ``count`` and all are ready."""

    def settled(daemonset: Any) -> bool:
        s, generation = daemonset.status, daemonset.metadata.generation
        counts = (s.desired_number_scheduled, s.current_number_scheduled, s.number_ready, s.updated_number_scheduled)
        return (s.observed_generation or 0) >= generation and counts == (count,) * 4

    return wait_for_one(
        cluster.apps.list_namespaced_daemon_set,
        name,
        settled,
        what=f"DaemonSet {namespace}/{name} to run {count} ready pod(s)",
        describe=daemonset_state,
        missing="no such DaemonSet",
        timeout=timeout,
        namespace=namespace,
    )
