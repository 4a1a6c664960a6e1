"""Checker of the fix-controller-manager-down mission: the controller manager of the mission's own control plane
makes the pods a Deployment asks for again.

The mission's setup starts a control plane of its own for the reader's namespace (``MissionPlane``: kwokctl's
processes in ``<cache>/missions/<namespace>/fix-controller-manager-down``, one simulated node), whose
kube-controller-manager reads the kubeconfig ``kube-controller-manager.kubeconfig`` in that folder. The setup
breaks that file (its server is ``https://127.0.0.1:6443``, where nothing listens), so the controller manager
gives up waiting for the API server and exits; then it scales the Deployment ``web`` of the namespace ``shop``
from 2 to 5, and no pod is added. The reader edits the file; the checker starts the controller manager again
with whatever the file holds and plays the scenario once per check (the framework's two looks read the same
outcome):

1. the plane answers (else: run the setup);
2. ``web`` still asks for 5 replicas (scaled back, the symptom is hidden);
3. the controller manager, started again, makes the pods: 5 pods of ``web``'s ReplicaSet running within 30 s
   (else: it exited, and its log says why; and when hand-made pods fill the gap, they hide the symptom);
4. it follows a new scale: the checker scales ``web`` to 6, waits for the sixth pod, and scales it back to 5.

The objects and the file are read only to explain a failure. The helpers the setup, the teardown and the test
cases share are here (``MissionPlane``), for the rule that an exercise keeps its code in its own folder.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import yaml

from threeplanes.checking import Checker, Criterion, Failure, missions
from threeplanes.checking.programs import until_first_failure
from threeplanes.kit.connect import Cluster
from threeplanes.kit.control_plane import Node, Started

ID = "fix-controller-manager-down"
COMPONENT = "kube-controller-manager"
SHOP = "shop"
WEB = "web"
REPLICAS = 5
NODE = "worker-a"
KUBECONFIG_FILE = "kube-controller-manager.kubeconfig"
BROKEN_SERVER = "https://127.0.0.1:6443"
MADE_S = 30  # for the controller manager to make the missing pods (it gives up on an API server after 10 s)
FOLLOW_S = 20  # for the sixth pod
REUSE_S = 20
SETUP = ".venv/bin/threeplanes exercise setup fix-controller-manager-down -n {namespace}"


class MissionPlane(missions.MissionPlane):
    """The control plane of one namespace's mission; its controller manager's kubeconfig in its folder."""

    exercise_id = ID
    nodes = (Node(NODE, zone="zone-a"),)

    def flags(self) -> dict[str, dict[str, str]]:
        return {COMPONENT: {"leader-elect": "false"}}  # one instance: no lease to wait for after a restart

    @property
    def component_kubeconfig(self) -> Path:
        """The file the reader edits: the controller manager's kubeconfig."""
        return self.folder / KUBECONFIG_FILE

    def after_up(self) -> None:
        """The controller manager's kubeconfig a copy of kwokctl's (it works), the logs' link."""
        shutil.copyfile(self.local.cluster_dir() / "kubeconfig.yaml", self.component_kubeconfig)
        self.link_logs()

    def break_kubeconfig(self) -> None:
        config = yaml.safe_load(self.component_kubeconfig.read_text())
        config["clusters"][0]["cluster"]["server"] = BROKEN_SERVER
        self.component_kubeconfig.write_text(yaml.safe_dump(config, sort_keys=False))

    def start_manager(self) -> Started:
        """Stop the controller manager if it runs, and start it again with the reader's kubeconfig, on a free port."""
        started, _ = self.restart_component(COMPONENT, {"kubeconfig": str(self.component_kubeconfig)})
        return started


# --- the scenario -----------------------------------------------------------------------------------


def _pods(cluster: Cluster) -> list:
    """The live pods of web."""
    found = cluster.core.list_namespaced_pod(SHOP, label_selector=f"app={WEB}").items
    return [p for p in found if not p.metadata.deletion_timestamp]


def _owned(pod: Any) -> bool:
    return any(o.kind == "ReplicaSet" and o.controller for o in pod.metadata.owner_references or [])


def _made(cluster: Cluster, count: int) -> bool:
    pods = _pods(cluster)
    return len(pods) == count and all(_owned(p) and p.status.phase == "Running" for p in pods)


def still_asked(plane: MissionPlane, cluster: Cluster) -> Failure | None:
    replicas = cluster.apps.read_namespaced_deployment(WEB, SHOP).spec.replicas
    if replicas == REPLICAS:
        return None
    return Failure(
        f"the Deployment {WEB} asks for {replicas} replica(s), not {REPLICAS}: scaling it back hides the symptom "
        "instead of curing it",
        f"the shop needs {REPLICAS} (kubectl scale deployment {WEB} -n {SHOP} --replicas={REPLICAS}); find out why "
        "nothing adds the pods",
    )


def manager_makes_pods(plane: MissionPlane, cluster: Cluster) -> Failure | None:
    started = plane.start_manager()
    deadline = time.monotonic() + MADE_S
    while time.monotonic() < deadline and started.running and not _made(cluster, REPLICAS):
        time.sleep(0.5)
    if started.running and _made(cluster, REPLICAS):
        return None
    pods = _pods(cluster)
    by_hand = [p.metadata.name for p in pods if not _owned(p)]
    logs = f"{plane.logs}/{COMPONENT}.log"
    if not started.running and by_hand:
        return Failure(
            f"pods of {WEB} made by hand ({', '.join(by_hand)}) fill the gap, and no controller owns them: the "
            "controller manager, started again with your kubeconfig, exits; that hides the symptom",
            f"the next scale, or a lost pod, will not be followed either: find out why it stops, in {logs}",
        )
    if not started.running:
        return Failure(
            f"the plane's {COMPONENT}, started again with {plane.component_kubeconfig} as you left it, exited "
            f"within {MADE_S} s",
            f"a component that stops says why on its way out: read the last lines of its own log, {logs}",
        )
    return Failure(
        f"the controller manager, started again with your kubeconfig, runs but made no pod in {MADE_S} s ({WEB} has "
        f"{len(pods)} pod(s), not {REPLICAS} running ones of its ReplicaSet)",
        f"read the end of its log, {logs}: is it still waiting for an API server, or did a controller fail?",
    )


def follows_scale(plane: MissionPlane, cluster: Cluster) -> Failure | None:
    cluster.apps.patch_namespaced_deployment_scale(WEB, SHOP, {"spec": {"replicas": REPLICAS + 1}})
    try:
        deadline = time.monotonic() + FOLLOW_S
        while time.monotonic() < deadline and not _made(cluster, REPLICAS + 1):
            time.sleep(0.5)
        if _made(cluster, REPLICAS + 1):
            return None
        return Failure(
            f"the checker scaled {WEB} to {REPLICAS + 1}, and after {FOLLOW_S} s it has {len(_pods(cluster))} pod(s)",
            f"the controller manager stopped following: read the end of its log, {plane.logs}/{COMPONENT}.log",
        )
    finally:
        cluster.apps.patch_namespaced_deployment_scale(WEB, SHOP, {"spec": {"replicas": REPLICAS}})


STEPS = {"replicas": still_asked, "manager": manager_makes_pods, "follows": follows_scale}


def play(namespace: str) -> dict[str, Failure | None]:
    plane = MissionPlane(namespace)
    cluster, failure = missions.reached_plane(
        plane,
        SETUP.format(namespace=namespace),
        lambda cluster: cluster.apps.read_namespaced_deployment(WEB, SHOP),
        f", or has no Deployment {WEB} in {SHOP}",
    )
    if cluster is None:
        return {"plane": failure}
    steps = ((name, lambda check=check: check(plane, cluster)) for name, check in STEPS.items())
    return {"plane": None, **until_first_failure(steps)}


step = missions.played_steps(
    play, REUSE_S, lambda namespace: missions.file_version(MissionPlane(namespace).component_kubeconfig)
)


PLANE = Criterion("The mission's control plane answers", step("plane"))
ASKED = Criterion(f"The Deployment {WEB} still asks for {REPLICAS} replicas", step("replicas"), (PLANE,))
MAKES = Criterion(
    "The controller manager, started again with your kubeconfig, makes the missing pods", step("manager"), (ASKED,)
)
FOLLOWS = Criterion("It follows a new scale (6, then back to 5)", step("follows"), (MAKES,))

CHECKER = Checker(
    "The Deployment gets the pods it asks for on the mission's control plane", [PLANE, ASKED, MAKES, FOLLOWS]
)
