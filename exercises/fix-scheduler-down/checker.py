"""Checker of the fix-scheduler-down mission: the scheduler of the mission's own control plane places pods again,
and packs them as the team asked.

The mission's setup starts a control plane of its own for the reader's namespace (``MissionPlane``: kwokctl's
processes in ``<cache>/missions/<namespace>/fix-scheduler-down``, two simulated nodes), whose kube-scheduler reads
the configuration file ``kube-scheduler.yaml`` in that folder; the setup breaks that file, so the scheduler exits
as soon as it starts and the Deployment ``web`` of the namespace ``shop`` there stays Pending. The reader edits
the file; the checker starts the scheduler again with whatever the file holds and plays the scenario once per
check (the framework's two looks read the same outcome):

1. the plane answers (else: run the setup);
2. the scheduler, started again, answers ``/healthz`` and keeps running (else: its log says why; and when the
   pods of ``web`` have nodes all the same, someone placed them by hand, which hides the symptom);
3. every pod of ``web`` gets a node and runs;
4. a pod of the checker's own, asking for the default scheduler, gets a node;
5. it lands on the fuller node (``worker-a``, where the pod ``batch`` holds half of it): the team's
   configuration packs pods (``NodeResourcesFit`` with a strategy that scores fuller nodes higher).

The objects and the configuration file are read only to explain a failure. The helpers the setup, the
teardown and the test cases share are here (``MissionPlane``, on ``threeplanes.checking.missions``), for the rule
that an exercise keeps its code in its own folder.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

from threeplanes.checking import Checker, Criterion, Failure, missions
from threeplanes.checking.programs import until_first_failure
from threeplanes.kit.connect import Cluster
from threeplanes.kit.control_plane import Node, Started

ID = "fix-scheduler-down"
SHOP = "shop"  # the namespace of the mission's plane where the shop runs
WEB = "web"
FULL, EMPTY = "worker-a", "worker-b"
CONFIG_FILE = "kube-scheduler.yaml"
HEALTHY_S = 20  # for the restarted scheduler to answer /healthz
PLACED_S = 25  # for the pods of web, then the checker's pod, to get a node
REUSE_S = 20  # an outcome serves the checker's second look (for one version of the file)
SETUP = ".venv/bin/threeplanes exercise setup fix-scheduler-down -n {namespace}"

GOOD_STRATEGY = "MostAllocated"
BROKEN_STRATEGY = "MostRequested"  # no such strategy: the scheduler refuses the file and exits


def scheduler_config(kubeconfig: Path, strategy: str = GOOD_STRATEGY) -> str:
    """The team's configuration: one profile, the default scheduler, packing pods onto the fullest node."""
    return f"""\
# The shop's scheduler: pack pods onto the fullest node that fits, so that empty nodes can be
# given back (the cluster autoscaler removes nodes nobody uses). Changed by the platform team.
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: {kubeconfig}
leaderElection:
  leaderElect: false
profiles:
- schedulerName: default-scheduler
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: {strategy}
        resources:
        - name: cpu
          weight: 1
        - name: memory
          weight: 1
"""


class MissionPlane(missions.MissionPlane):
    """The control plane of one namespace's mission, its scheduler reading ``kube-scheduler.yaml`` in its folder."""

    exercise_id = ID
    nodes = (Node(FULL, zone="zone-a"), Node(EMPTY, zone="zone-a"))

    def flags(self) -> dict[str, dict[str, str]]:
        return {"kube-scheduler": {"config": str(self.config)}}

    @property
    def config(self) -> Path:
        return self.folder / CONFIG_FILE

    def component_kubeconfig(self) -> Path:
        """The kubeconfig kwokctl gives its components (the scheduler's configuration names it)."""
        return self.local.cluster_dir() / "kubeconfig.yaml"

    def before_up(self) -> None:
        """The team's configuration as it was before the break."""
        self.config.write_text(scheduler_config(self.component_kubeconfig()))

    def after_up(self) -> None:
        self.link_logs()

    def start_scheduler(self) -> tuple[Started, int]:
        """Stop the scheduler if it runs, and start it again with the file as it is now, on a free port."""
        return self.restart_component("kube-scheduler")


# --- the scenario -----------------------------------------------------------------------------------


def _pods(cluster: Cluster, selector: str) -> list:
    return cluster.core.list_namespaced_pod(SHOP, label_selector=selector).items


def _running(pod: Any) -> bool:
    return bool(pod.spec.node_name) and pod.status.phase == "Running"


def _until(look, done, timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    seen = look()
    while not done(seen) and time.monotonic() < deadline:
        time.sleep(every)
        seen = look()
    return seen


def _profiles(plane: MissionPlane) -> list[str]:
    """The scheduler names of the configuration's profiles, to explain a failure; [] when unreadable."""
    try:
        data = yaml.safe_load(plane.config.read_text()) or {}
        return [str(p.get("schedulerName", "default-scheduler")) for p in data.get("profiles") or [{}]]
    except (OSError, yaml.YAMLError, AttributeError):
        return []


def _strategy(plane: MissionPlane) -> str:
    """NodeResourcesFit's scoring strategy in the configuration, to explain a failure."""
    try:
        data = yaml.safe_load(plane.config.read_text()) or {}
        for profile in data.get("profiles") or []:
            for entry in profile.get("pluginConfig") or []:
                if entry.get("name") == "NodeResourcesFit":
                    return str(((entry.get("args") or {}).get("scoringStrategy") or {}).get("type", "LeastAllocated"))
    except (OSError, yaml.YAMLError, AttributeError):
        return "unreadable"
    return "LeastAllocated (the default: no pluginConfig for NodeResourcesFit)"


def scheduler_runs(plane: MissionPlane, cluster: Cluster) -> Failure | None:
    started, port = plane.start_scheduler()
    deadline = time.monotonic() + HEALTHY_S
    healthy = False
    while time.monotonic() < deadline and started.running:
        healthy = missions.answers_healthz(port)
        if healthy:
            break
        time.sleep(0.5)
    time.sleep(1)
    if healthy and started.running:
        return None
    web = _pods(cluster, f"app={WEB}")
    logs = f"{plane.logs}/kube-scheduler.log"
    if web and all(p.spec.node_name for p in web):
        return Failure(
            f"the pods of {WEB} have nodes, yet the scheduler, started again with {plane.config}, does not keep "
            "running: they were placed by hand (nodeName or a Binding), which hides the symptom",
            f"the next new pod will wait Pending just the same: find out why the scheduler stops, in {logs}",
        )
    if started.running:
        return Failure(
            f"the scheduler, started again with {plane.config}, runs but does not answer /healthz after {HEALTHY_S} s",
            f"read the end of its log, {logs}",
        )
    return Failure(
        f"the plane's kube-scheduler, started again with {plane.config} as you left it, exited within {HEALTHY_S} s",
        f"a component that stops says why on its way out: read the last lines of its own log, {logs}",
    )


def web_placed(plane: MissionPlane, cluster: Cluster) -> Failure | None:
    pods = _until(
        lambda: _pods(cluster, f"app={WEB}"), lambda ps: len(ps) >= 2 and all(_running(p) for p in ps), PLACED_S
    )
    if len(pods) >= 2 and all(_running(p) for p in pods):
        return None
    waiting = [p.metadata.name for p in pods if not p.spec.node_name]
    if waiting and "default-scheduler" not in _profiles(plane):
        return Failure(
            f"the scheduler runs, and {len(waiting)} pod(s) of {WEB} still have no node after {PLACED_S} s",
            "a scheduler places only the pods whose spec.schedulerName names one of its profiles: compare the "
            f"pods' (kubectl get pod -n {SHOP} -o yaml) with the profiles of {plane.config}",
        )
    return Failure(
        f"{len(waiting)} of {len(pods)} pod(s) of {WEB} have no node, or are not Running, after {PLACED_S} s",
        f"read the pods' events (kubectl describe pod -n {SHOP}) and the scheduler's log, {plane.logs}",
    )


def packs(plane: MissionPlane, cluster: Cluster) -> Failure | None:
    name = f"checker-{secrets.token_hex(3)}"
    requests = {"cpu": "500m", "memory": "2Gi"}
    body = {
        "metadata": {"name": name, "labels": {"app": "checker"}},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "c", "image": "web", "resources": {"requests": requests}}],
        },
    }
    cluster.core.create_namespaced_pod(SHOP, body)
    try:
        pod = _until(lambda: cluster.core.read_namespaced_pod(name, SHOP), lambda p: bool(p.spec.node_name), PLACED_S)
    finally:
        with contextlib.suppress(client.ApiException):
            cluster.core.delete_namespaced_pod(name, SHOP, grace_period_seconds=0)
    if not pod.spec.node_name:
        return Failure(
            f"a new pod of the checker's own (requests {requests}) got no node within {PLACED_S} s",
            f"read its events (kubectl describe pod -n {SHOP}) and the scheduler's log, {plane.logs}",
        )
    if pod.spec.node_name != FULL:
        return Failure(
            f"a new pod of the checker's own went to {pod.spec.node_name}, the emptier node, not {FULL}, where "
            f"batch holds half the node: the scheduler spreads (NodeResourcesFit's strategy: {_strategy(plane)})",
            "the scheduler runs, but not as the platform team configured it: it must still pack pods onto the "
            "fuller node, so keep NodeResourcesFit's scoring strategy with a type that prefers full nodes",
        )
    return None


STEPS = {"scheduler": scheduler_runs, "web": web_placed, "packs": packs}


def play(namespace: str) -> dict[str, Failure | None]:
    plane = MissionPlane(namespace)
    cluster, failure = missions.reached_plane(
        plane, SETUP.format(namespace=namespace), lambda cluster: cluster.core.read_namespace(SHOP)
    )
    if cluster is None:
        return {"plane": failure}
    steps = ((name, lambda check=check: check(plane, cluster)) for name, check in STEPS.items())
    return {"plane": None, **until_first_failure(steps)}


step = missions.played_steps(play, REUSE_S, lambda namespace: missions.file_version(MissionPlane(namespace).config))


PLANE = Criterion("The mission's control plane answers", step("plane"))
SCHEDULER = Criterion(
    "Its scheduler, started again with your configuration, keeps running", step("scheduler"), (PLANE,)
)
WEB_PLACED = Criterion("The pods of web get a node and run", step("web"), (SCHEDULER,))
PACKS = Criterion("A new pod gets a node, the fuller one, as the team configured", step("packs"), (WEB_PLACED,))

CHECKER = Checker("New pods start again on the mission's control plane", [PLANE, SCHEDULER, WEB_PLACED, PACKS])
