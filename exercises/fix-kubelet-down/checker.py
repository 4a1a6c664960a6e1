"""Checker of the fix-kubelet-down mission: the new node's kubelet runs again, the node is Ready, and pods on it
run real containers that answer.

The mission's setup starts a control plane of its own for the reader's namespace (``MissionPlane``: kwokctl's
processes in ``<cache>/missions/<namespace>/fix-kubelet-down``, one simulated node ``worker-a``) and joins a real
node of its own to it, ``worker-new`` (containerd and the kubelet in a network namespace of their own: the
book's ``labnode``; its files in the folder ``node`` of the mission's). The setup breaks the kubelet's
configuration file, ``node/kubelet.yaml`` (its ``containerRuntimeEndpoint`` names a socket where no containerd
listens), starts the kubelet again, which exits at once, and creates the Deployment ``web`` of the namespace
``shop`` there, whose pod is bound to the new node and stays Pending; 20 s later the node lifecycle controller
marks the node NotReady. The reader edits the file; the checker starts the kubelet again with whatever the file
holds and plays the scenario once per check (the framework's two looks read the same outcome):

1. the plane answers (else: run the setup);
2. the kubelet, started again, keeps running and the node ``worker-new`` is Ready (else: the kubelet's log says
   why; and when the pods of ``web`` run on another node, or the node's taints were taken off by hand, the
   symptom was hidden);
3. the pod of ``web`` runs on ``worker-new`` and answers HTTP at its IP, from inside the node's network;
4. a new pod of the checker's own, bound to ``worker-new``, runs and answers too.

The objects and the file are read only to explain a failure. The helpers the setup, the teardown and the test
cases share are here (``MissionPlane``), for the rule that an exercise keeps its code in its own folder.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from pathlib import Path
from typing import Any

from kubernetes import client

from threeplanes.checking import Checker, Criterion, Failure, missions
from threeplanes.checking.programs import until_first_failure
from threeplanes.kit.connect import Cluster
from threeplanes.kit.control_plane import Local, Node
from threeplanes.kit.lab_planes import REAL_NODE_APISERVER_FLAGS
from threeplanes.provision import binaries
from threeplanes.provision.local import KWOKCTL_CONFIG
from threeplanes.provision.nodes import node_is_ready
from threeplanes.provision.realnode import labnode
from threeplanes.provision.realnode import on_real_node as on_a_real_node
from threeplanes.versions import pinned

ID = "fix-kubelet-down"
SHOP = "shop"
WEB = "web"
NEW_NODE = "worker-new"
OLD_NODE = "worker-a"  # a simulated node: kwok plays its pods, whose containers never run
PORT = 8080
READY_S = 30  # for the kubelet, started again, to post the node Ready
RUNNING_S = 40  # for a pod on the new node to run and answer
REUSE_S = 20
SETUP = ".venv/bin/threeplanes exercise setup fix-kubelet-down -n {namespace}"
UNREACHABLE = "node.kubernetes.io/unreachable"  # the taint of a node whose kubelet no longer reports


class MissionPlane(missions.MissionPlane):
    """The control plane of one namespace's mission, with a real node of its own whose files are in ``node/``."""

    exercise_id = ID
    nodes = (Node(OLD_NODE, zone="zone-a"),)

    @property
    def local(self) -> Local:
        # The book's kwokctl configuration: its kwok plays only the nodes labelled as simulated (kwokctl's own
        # would answer for the real node's kubelet), and its node lifecycle controller's grace period is 20 s.
        pki = self.folder / "clusters" / ID / "pki"  # kwokctl's folder of the cluster (Local.cluster_dir)
        apiserver = {
            **REAL_NODE_APISERVER_FLAGS,
            "kubelet-client-certificate": str(pki / "admin.crt"),
            "kubelet-client-key": str(pki / "admin.key"),
        }
        return Local(
            ID,
            self.folder,
            config=KWOKCTL_CONFIG,
            extra_flags={"kube-apiserver": apiserver},
            nodes=self.nodes,
            folder=self.folder,
        )

    @property
    def node_folder(self) -> Path:
        return self.folder / "node"

    @property
    def kubelet_config(self) -> Path:
        """The file the reader edits: the new node's KubeletConfiguration."""
        return self.node_folder / "kubelet.yaml"

    @property
    def outage_file(self) -> Path:
        """What the setup saw of the node's outage (``outage``): the checker tells taints put back from it."""
        return self.folder / "outage.json"

    @property
    def kubelet_log(self) -> Path:
        return self.node_folder / "logs" / "kubelet.log"

    def after_up(self) -> None:
        self.link_logs()
        labnode.start_lab_node(
            self.node_folder,
            self.kubeconfig,
            self.local.cluster_dir() / "pki",
            name=NEW_NODE,
            kube_proxy=False,
            timeout=120,
        )

    def node(self) -> labnode.LabNode:
        """The running node, from what its start wrote in its folder."""
        state = json.loads((self.node_folder / labnode.STATE_FILE).read_text())
        return labnode.LabNode(
            state["name"], self.node_folder, int(state["index"]), False, self.kubeconfig, binaries.ensure_node()
        )

    def restart_kubelet(self) -> Any:
        """Stop the kubelet if it runs, and start it again with the file as it is now."""
        node = self.node()
        node.stop_component("kubelet")
        node.start_component("kubelet")
        return node

    def remove(self) -> None:
        if (self.node_folder / labnode.STATE_FILE).is_file():
            labnode.remove_left(self.node_folder, self.kubeconfig if self.kubeconfig.is_file() else None)
        super().remove()


def on_new_node(spec: dict) -> dict:
    """A pod spec bound to the new node by the scheduler (its hostname label; it tolerates the node's taint)."""
    placed = on_a_real_node(spec)
    placed["nodeSelector"] = {"kubernetes.io/hostname": NEW_NODE}
    return placed


def server(name: str) -> dict:
    """A container that answers HTTP on PORT with its name."""
    script = f"mkdir -p /www && echo {name} > /www/index.html && exec httpd -f -p {PORT} -h /www"
    return {
        "name": name,
        "image": pinned().images["busybox"],
        "command": ["sh", "-c", script],
        "ports": [{"name": "http", "containerPort": PORT}],
    }


def mission_web() -> dict:
    """The Deployment web of the namespace shop: one pod for the new node, a server that answers HTTP."""
    web = missions.mission_deployment(WEB, server(WEB), real_node=False)
    template = web["spec"]["template"]
    template["spec"] = on_new_node(template["spec"])
    return web


# --- the scenario -----------------------------------------------------------------------------------


def _until(look, done, timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    seen = look()
    while not done(seen) and time.monotonic() < deadline:
        time.sleep(every)
        seen = look()
    return seen


def outage(cluster: Cluster) -> dict[str, str] | None:
    """When the new node went not Ready (its Ready condition's last transition) and when the node lifecycle
    controller added its taint ``unreachable`` that evicts (NoExecute); None while it has no such taint."""
    node = cluster.core.read_node(NEW_NODE)
    ready = next((c for c in node.status.conditions or [] if c.type == "Ready"), None)
    taint = next((t for t in node.spec.taints or [] if t.key == UNREACHABLE and t.effect == "NoExecute"), None)
    if ready is None or ready.status == "True" or taint is None or taint.time_added is None:
        return None
    return {"since": ready.last_transition_time.isoformat(), "tainted": taint.time_added.isoformat()}


def _taints_put_back(plane: MissionPlane, cluster: Cluster) -> bool:
    """True when, in the same outage the setup saw, the node's NoExecute taint is not the one the controller added
    first: someone took the taints off (kubectl taint ...-) and the controller added them again."""
    try:
        seen = json.loads(plane.outage_file.read_text())
    except (OSError, ValueError):
        return False
    now = outage(cluster)
    return now is not None and now["since"] == seen["since"] and now["tainted"] != seen["tainted"]


def _elsewhere(cluster: Cluster) -> list[str]:
    pods = cluster.core.list_namespaced_pod(SHOP, label_selector=f"app={WEB}").items
    return [
        f"{p.metadata.name} on {p.spec.node_name}"
        for p in pods
        if p.spec.node_name and p.spec.node_name != NEW_NODE and p.status.phase == "Running"
    ]


def kubelet_runs(plane: MissionPlane, cluster: Cluster) -> Failure | None:
    started = time.time()
    node = plane.restart_kubelet()

    def fresh_ready(found: Any) -> bool:
        ready = next((c for c in found.status.conditions or [] if c.type == "Ready"), None)
        return node_is_ready(found) and ready.last_heartbeat_time.timestamp() >= started - 1

    found = _until(
        lambda: cluster.core.read_node(NEW_NODE),
        lambda n: fresh_ready(n) or not node.component_running("kubelet"),
        READY_S,
    )
    time.sleep(1)
    if fresh_ready(found) and node.component_running("kubelet"):
        return None
    hidden = []
    elsewhere = _elsewhere(cluster)
    if elsewhere:
        hidden.append(
            f"the pods of {WEB} run on another node ({', '.join(elsewhere)}): moving them off the new node hides "
            "the symptom, and the node is still down"
        )
    if _taints_put_back(plane, cluster):
        hidden.append(
            f"the node's taints were taken off by hand ({UNREACHABLE}): that hides the symptom for a moment; "
            "the node lifecycle controller puts them back while the node is not Ready"
        )
    cause = "; ".join(hidden) + "; " if hidden else ""
    if node.component_running("kubelet"):
        return Failure(
            f"{cause}the kubelet of {NEW_NODE}, started again with {plane.kubelet_config}, runs, but the node is "
            f"not Ready after {READY_S} s",
            f"the node's conditions say why (kubectl describe node {NEW_NODE}), and so does {plane.kubelet_log}",
        )
    return Failure(
        f"{cause}the kubelet of {NEW_NODE}, started again with {plane.kubelet_config} as you left it, exited",
        f"a program that stops says why on its way out: read the last lines of its own log, {plane.kubelet_log}",
    )


def answers(plane: MissionPlane, pod: Any) -> str:
    """What the pod's server says at its IP, asked from inside the node's network namespace ("" for nothing)."""
    url = f"http://{pod.status.pod_ip}:{PORT}/"
    done = plane.node().run_in_netns(["curl", "-s", "--max-time", "2", url], timeout=10)
    return done.stdout.strip() if done.returncode == 0 else ""


def _running_here(pod: Any) -> bool:
    return pod.spec.node_name == NEW_NODE and pod.status.phase == "Running" and bool(pod.status.pod_ip)


def web_answers(plane: MissionPlane, cluster: Cluster) -> Failure | None:
    pods = _until(
        lambda: cluster.core.list_namespaced_pod(SHOP, label_selector=f"app={WEB}").items,
        lambda ps: any(_running_here(p) and p.metadata.deletion_timestamp is None for p in ps),
        RUNNING_S,
    )
    running = [p for p in pods if _running_here(p) and p.metadata.deletion_timestamp is None]
    if not running:
        seen = ", ".join(f"{p.metadata.name} {p.status.phase} on {p.spec.node_name or 'no node'}" for p in pods)
        return Failure(
            f"no pod of {WEB} runs on {NEW_NODE} {RUNNING_S} s after its kubelet came back ({seen or 'no pod'})",
            f"read the pods' events (kubectl describe pod -n {SHOP} -l app={WEB}) and {plane.kubelet_log}",
        )
    said = missions.settled(lambda: None if answers(plane, running[0]) == WEB else Failure("", ""), within=10)
    if said is not None:
        return Failure(
            f"the pod {running[0].metadata.name} runs on {NEW_NODE}, but nothing answers at "
            f"{running[0].status.pod_ip}:{PORT}",
            f"read its log: kubectl logs -n {SHOP} {running[0].metadata.name}",
        )
    return None


def new_pod_answers(plane: MissionPlane, cluster: Cluster) -> Failure | None:
    name = f"checker-{secrets.token_hex(3)}"
    body = {
        "metadata": {"name": name, "labels": {"app": "checker"}},
        "spec": on_new_node({"terminationGracePeriodSeconds": 0, "containers": [server(name)]}),
    }
    cluster.core.create_namespaced_pod(SHOP, body)
    try:
        pod = _until(lambda: cluster.core.read_namespaced_pod(name, SHOP), _running_here, RUNNING_S)
        if not _running_here(pod):
            return Failure(
                f"a new pod of the checker's own, for {NEW_NODE}, is {pod.status.phase} on "
                f"{pod.spec.node_name or 'no node'} after {RUNNING_S} s",
                f"read its events (kubectl describe pod -n {SHOP} {name}) and {plane.kubelet_log}",
            )
        said = missions.settled(lambda: None if answers(plane, pod) == name else Failure("", ""), within=10)
        if said is not None:
            return Failure(
                f"a new pod of the checker's own runs on {NEW_NODE}, but does not answer at {pod.status.pod_ip}",
                f"read the node's containerd log, {plane.node_folder}/logs/containerd.log",
            )
        return None
    finally:
        with contextlib.suppress(client.ApiException):
            cluster.core.delete_namespaced_pod(name, SHOP, grace_period_seconds=0)


STEPS = {"kubelet": kubelet_runs, "web": web_answers, "new-pod": new_pod_answers}


def play(namespace: str) -> dict[str, Failure | None]:
    plane = MissionPlane(namespace)
    cluster, failure = missions.reached_plane(
        plane,
        SETUP.format(namespace=namespace),
        lambda cluster: cluster.core.read_namespace(SHOP),
        also=", or the mission's node has no folder",
    )
    if cluster is None:
        return {"plane": failure}
    if not (plane.node_folder / labnode.STATE_FILE).is_file():
        return {"plane": missions.plane_did_not_answer(OSError("no node folder"), SETUP.format(namespace=namespace))}
    steps = ((name, lambda check=check: check(plane, cluster)) for name, check in STEPS.items())
    return {"plane": None, **until_first_failure(steps)}


step = missions.played_steps(
    play, REUSE_S, lambda namespace: missions.file_version(MissionPlane(namespace).kubelet_config)
)

PLANE = Criterion("The mission's control plane answers", step("plane"))
KUBELET = Criterion(
    "The new node's kubelet, started again with your file, runs and the node is Ready", step("kubelet"), (PLANE,)
)
WEB_ANSWERS = Criterion("The pod of web runs on the new node and answers", step("web"), (KUBELET,))
NEW_POD = Criterion("A new pod on the new node runs and answers", step("new-pod"), (WEB_ANSWERS,))

CHECKER = Checker("Pods run again on the new node", [PLANE, KUBELET, WEB_ANSWERS, NEW_POD])
