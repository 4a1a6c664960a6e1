"""Checker: the reader's pod keeps a slow web server out of traffic until it answers and has it restarted when it
hangs, judged by running it on the real node.

It reads the reader's manifest (``pod.yaml``, or the file the namespace's annotation
``threeplanes.io/program`` names): one Pod whose container ``web`` runs the page's image and
command, a server that listens on port 8080 about 8 s after it starts. It creates the pod in the
reader's namespace, placed on the real node (the node selector, the toleration and
``imagePullPolicy: IfNotPresent`` added, ``terminationGracePeriodSeconds`` set to 2) with a label
of its own, and a Service that selects it. Then, every half second, it reads whether the
Service's EndpointSlice lists the pod as ready (the pod would get traffic) and sends a request to
the pod's address itself: a pod listed while it does not answer fails, as does a container
restarted while it starts. Once the pod is listed and answers, the checker makes the server hang:
it stops the container's process with SIGSTOP, from the machine (the process stays, its port
still accepts connections, nothing answers), and waits for the kubelet to restart the container.
After the restart it watches the second start as it watched the first. It reads the pod's probes
only to explain a failure. The scenario runs once per check; the framework's second look reads
the same outcome. The pod and the Service are deleted at the end.
"""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.programs import found, scenario_steps, until_first_failure
from threeplanes.errors import LabError
from threeplanes.kit.control_plane import REAL_NODE_NAME, on_real_node
from threeplanes.kit.deleting import ignore_missing
from threeplanes.kit.wait import wait_for_gone
from threeplanes.system.runtime import Crictl
from threeplanes.versions import pinned

DEFAULT_FILE = "pod.yaml"
CONTAINER = "web"
COMMAND = ["sh", "-c", "sleep 8; exec /agnhost netexec --http-port=8080"]
PORT = 8080
LABEL = {"threeplanes.io/exercise": "s6-kubelet"}
SERVICE = "s6-checker"
GRACE_SECONDS = 2
START_SECONDS = 40  # for the pod to be listed and answer, from its creation or its restart
STALE_SECONDS = 15  # for the Service to stop listing the hung container after its restart
HANG_SECONDS = 45  # for the kubelet to restart the hung container
EVERY = 0.5
REUSE = 180
STEPS = ("created", "starts", "restarts", "recovers")

READINESS_HINT = (
    "add a readinessProbe to the container web that asks the server itself (httpGet on port 8080): without one, "
    "the kubelet reports the container ready as soon as it runs, and the Service sends it traffic"
)
LIVENESS_HINT = (
    "add a livenessProbe that asks the server (httpGet on port 8080, a short timeoutSeconds): a readiness probe "
    "only takes the pod out of traffic; the kubelet restarts a container only when its liveness probe fails"
)
EAGER_HINT = (
    "the liveness probe fails while the server is still starting (it listens about 8 s after the start), so the "
    "kubelet kills it: add a startupProbe, which holds the liveness probe back until the server first answers, "
    "or give the liveness probe an initialDelaySeconds longer than the start"
)


def app_image() -> str:
    return pinned().images["web"]


def probe(container: dict, kind: str) -> dict | None:
    return container.get(f"{kind}Probe")


def probe_port(asked: dict | None, container: dict) -> Any:
    """The port a probe asks (a number, or a named port resolved against the container's ports)."""
    if not asked:
        return None
    handler = asked.get("httpGet") or asked.get("tcpSocket") or asked.get("grpc") or {}
    port = handler.get("port")
    for declared in container.get("ports") or []:
        if port is not None and declared.get("name") == port:
            return declared.get("containerPort")
    return port


def answers(ip: str, timeout: float = 1.0) -> bool:
    """The server in the pod answers an HTTP request on its port (from this machine, over the node's bridge)."""
    try:
        with urllib.request.urlopen(f"http://{ip}:{PORT}/hostname", timeout=timeout) as reply:
            return reply.status == 200
    except OSError:
        return False


def web_status(pod: Any) -> Any | None:
    return next((s for s in pod.status.container_statuses or [] if s.name == CONTAINER), None)


class Scenario:
    """The reader's pod on the real node, with the checker's Service in front of it."""

    def __init__(self, ctx: Context, path: Path) -> None:
        self.ctx, self.path, self.cluster, self.namespace = ctx, path, ctx.cluster, ctx.namespace
        self.name = ""
        self.container: dict = {}

    def play(self) -> dict[str, Failure | None]:
        try:
            results = until_first_failure((name, getattr(self, name)) for name in STEPS)
        finally:
            self.remove()
        return results

    # --- the reader's manifest ---------------------------------------------------------------------------

    def manifest(self) -> tuple[dict | None, Failure | None]:
        try:
            documents = [d for d in yaml.safe_load_all(self.path.read_text()) if d]
        except yaml.YAMLError as error:
            return None, Failure(f"{self.path.name} is not valid YAML: {error}", "fix the YAML, then check again")
        pods = [d for d in documents if isinstance(d, dict) and d.get("kind") == "Pod"]
        if len(pods) != 1 or len(documents) != 1:
            kinds = [d.get("kind") if isinstance(d, dict) else type(d).__name__ for d in documents]
            return None, Failure(f"{self.path.name} holds {kinds}", "write one Pod (kind: Pod, apiVersion: v1)")
        pod = pods[0]
        containers = (pod.get("spec") or {}).get("containers") or []
        web = next((c for c in containers if c.get("name") == CONTAINER), None)
        if web is None or len(containers) != 1:
            names = [c.get("name") for c in containers]
            return None, Failure(f"the pod's containers are {names}", f"give the pod one container named {CONTAINER}")
        if web.get("image") != app_image() or web.get("command") != COMMAND or web.get("args"):
            saw = f"the container web runs {web.get('image')} with command {web.get('command')} {web.get('args') or ''}"
            return None, Failure(saw, f"keep the page's image ({app_image()}) and command {COMMAND}: they are the app")
        return pod, None

    def created(self) -> Failure | None:
        pod, failure = self.manifest()
        if failure:
            return failure
        if not self.cluster.core.list_node(field_selector=f"metadata.name={REAL_NODE_NAME}").items:
            return Failure(
                f"this cluster has no node {REAL_NODE_NAME}: no kubelet here would run your probes",
                "start the book's cluster with its real node (sudo make cluster, on Linux), then check again",
            )
        self.name = (pod.get("metadata") or {}).get("name") or "slow-web"
        self.container = pod["spec"]["containers"][0]
        metadata = {**(pod.get("metadata") or {}), "namespace": self.namespace}
        metadata["labels"] = {**(metadata.get("labels") or {}), **LABEL}
        spec = on_real_node(pod["spec"])
        spec["terminationGracePeriodSeconds"] = GRACE_SECONDS
        body = {**pod, "metadata": metadata, "spec": spec}
        body.pop("status", None)
        self.remove()
        service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": SERVICE, "labels": LABEL},
            "spec": {"selector": LABEL, "ports": [{"port": 80, "targetPort": PORT}]},
        }
        self.cluster.core.create_namespaced_service(self.namespace, service)
        try:
            self.cluster.core.create_namespaced_pod(self.namespace, body)
        except client.ApiException as error:
            return Failure(
                f"the API server refused your pod ({error.status}): {_message(error)}",
                "fix what the API server says; kubectl apply --dry-run=server -f pod.yaml shows the same answer",
            )
        return None

    # --- traffic while it starts ----------------------------------------------------------------------------

    def read(self) -> Any:
        return self.cluster.core.read_namespaced_pod(self.name, self.namespace)

    def listed(self, pod: Any) -> bool:
        """The Service's EndpointSlices list this pod as ready: the Service would send it traffic."""
        slices = self.cluster.discovery.list_namespaced_endpoint_slice(
            self.namespace, label_selector=f"kubernetes.io/service-name={SERVICE}"
        ).items
        for endpoint_slice in slices:
            for endpoint in endpoint_slice.endpoints or []:
                ours = endpoint.target_ref is not None and endpoint.target_ref.uid == pod.metadata.uid
                if ours and endpoint.conditions is not None and endpoint.conditions.ready:
                    return True
        return False

    def still_silent(self, ip: str) -> bool:
        """No answer three times over two seconds: not a slow reply on a busy machine."""
        for _ in range(3):
            if answers(ip, timeout=1.5):
                return False
            time.sleep(0.25)
        return True

    def starts(self, restarts: int = 0, when: str = "at its first start") -> Failure | None:
        """Until the pod is listed and answers: never listed while silent, never restarted."""
        began = time.monotonic()
        answered_after = None
        while time.monotonic() - began < START_SECONDS:
            pod = self.read()
            status = web_status(pod)
            seconds = time.monotonic() - began
            if status is not None and status.restart_count > restarts:
                return self.killed_while_starting(status, seconds, when)
            ip = pod.status.pod_ip
            if ip and answered_after is None and answers(ip):
                answered_after = seconds
            if ip and self.listed(pod):
                if self.still_silent(ip):
                    # A kill during those seconds is the silence's cause (the Service lags the kubelet by a moment).
                    after = web_status(self.read())
                    stopped = after is not None and (after.state is None or after.state.running is None)
                    if after is not None and (after.restart_count > restarts or stopped):
                        return self.killed_while_starting(after, time.monotonic() - began, when)
                    return Failure(
                        f"{when}, the Service listed the pod as ready {seconds:.0f} s in, while its server did not "
                        "answer yet: the requests sent to it would fail",
                        self.readiness_hint(),
                    )
                return None
            time.sleep(EVERY)
        return self.never_listed(answered_after, when)

    def killed_while_starting(self, status: Any, seconds: float, when: str) -> Failure:
        ended = status.last_state.terminated if status.last_state else None
        how = f" ({ended.reason}, exit code {ended.exit_code})" if ended else ""
        return Failure(
            f"{when}, the kubelet restarted the container web {seconds:.0f} s in{how}: killed before it listened",
            EAGER_HINT,
        )

    def readiness_hint(self) -> str:
        if probe(self.container, "readiness") is None:
            return READINESS_HINT
        return (
            "the readinessProbe passes before the server answers: make it ask the server itself, an httpGet on "
            "port 8080, rather than something that is true at once"
        )

    def never_listed(self, answered_after: float | None, when: str) -> Failure:
        readiness = probe(self.container, "readiness")
        port = probe_port(readiness, self.container)
        answered = (
            f"though its server answered from {answered_after:.0f} s"
            if answered_after is not None
            else "and its server never answered"
        )
        saw = f"{when}, the pod was not ready {START_SECONDS} s in, {answered}"
        if port is not None and port != PORT:
            return Failure(saw, f"the readinessProbe asks port {port}; the server listens on port {PORT}")
        if answered_after is None:
            return Failure(saw, f"keep the page's command: the server listens on port {PORT} after about 8 s")
        return Failure(
            saw,
            "check the readinessProbe's path and thresholds: kubectl describe pod shows its failures as events "
            "(Readiness probe failed)",
        )

    # --- a hang ----------------------------------------------------------------------------------------------

    def restarts(self) -> Failure | None:
        pod = self.read()
        status = web_status(pod)
        before = status.restart_count
        container_id = status.container_id.split("://", 1)[-1]
        try:
            pid = Crictl.of_real_node().json("inspect", container_id)["info"]["pid"]
            os.kill(pid, signal.SIGSTOP)
        except ProcessLookupError:
            # The server ended before the checker stopped it: the kubelet killed a server that was answering,
            # as an eager liveness probe does when a loaded machine slows its first replies.
            after = web_status(self.read())
            ended = after.last_state.terminated if after and after.last_state else None
            how = f" ({ended.reason}, exit code {ended.exit_code})" if ended else ""
            return Failure(
                f"the kubelet restarted the container web{how} before the checker made it hang, right after it "
                "started to answer",
                EAGER_HINT,
            )
        except (LabError, KeyError, PermissionError) as error:
            return Failure(f"the checker could not make the server hang: {error}", "check again (as root)")
        began = time.monotonic()
        while time.monotonic() - began < HANG_SECONDS:
            status = web_status(self.read())
            if status is not None and status.restart_count > before:
                return None
            time.sleep(EVERY)
        return Failure(
            f"the server hung (its process stopped, its port still open) and was not restarted in {HANG_SECONDS} s",
            self.liveness_hint(),
        )

    def liveness_hint(self) -> str:
        liveness = probe(self.container, "liveness")
        if liveness is None:
            return LIVENESS_HINT
        if "tcpSocket" in liveness:
            return (
                "a tcpSocket probe passes while the server hangs: the kernel completes the connection for a process "
                "that no longer answers; ask the server with an httpGet on port 8080"
            )
        port = probe_port(liveness, self.container)
        if port is not None and port != PORT:
            return f"the livenessProbe asks port {port}; the server listens on port {PORT}"
        period, failures = liveness.get("periodSeconds", 10), liveness.get("failureThreshold", 3)
        timeout = liveness.get("timeoutSeconds", 1)
        return (
            f"the livenessProbe gives up after {failures} failures {period} s apart (each waiting {timeout} s): "
            f"make it fail within {HANG_SECONDS // 2} s (periodSeconds × failureThreshold)"
        )

    def recovers(self) -> Failure | None:
        """After the restart: once the Service no longer lists the hung container, the second start as the first."""
        began = time.monotonic()
        while time.monotonic() - began < STALE_SECONDS and self.listed(self.read()):
            time.sleep(EVERY)
        restarts = web_status(self.read()).restart_count
        return self.starts(restarts, when="after its restart")

    def remove(self) -> None:
        """The pod (at once) and the Service, if there."""
        with ignore_missing():
            self.cluster.core.delete_namespaced_service(SERVICE, self.namespace)
        if not self.name:
            return
        with ignore_missing():
            self.cluster.core.delete_namespaced_pod(self.name, self.namespace, grace_period_seconds=0)
        wait_for_gone(
            self.cluster.core.list_namespaced_pod, self.name, f"pod {self.name}", timeout=60, namespace=self.namespace
        )


def _message(error: client.ApiException) -> str:
    try:
        return str(yaml.safe_load(error.body).get("message"))
    except (yaml.YAMLError, AttributeError):
        return str(error.body)[:300]


def play(ctx: Context, path: Path) -> dict[str, Failure | None]:
    try:
        return Scenario(ctx, path).play()
    except LabError as error:  # the machine too busy for a deadline of the checker's own: not the reader's doing
        first = str(error).split("\n")[0]
        return {"created": Failure(f"the checker could not finish its run: {first}", "check again")}


step = scenario_steps(DEFAULT_FILE, play, reuse=REUSE)

FOUND = Criterion("Your pod manifest is found", found(DEFAULT_FILE, "your pod"))
CREATED = Criterion("It is one Pod running the page's app, created on the real node", step("created"), needs=(FOUND,))
STARTS = Criterion(
    "While it starts it gets no traffic before it answers, and it is not killed", step("starts"), needs=(CREATED,)
)
RESTARTS = Criterion("When the server hangs, the kubelet restarts it", step("restarts"), needs=(STARTS,))
RECOVERS = Criterion(
    "After the restart it starts again the same way, out of traffic until it answers",
    step("recovers"),
    needs=(RESTARTS,),
)

CHECKER = Checker(
    "A slow web server kept out of traffic until it answers and restarted when it hangs",
    [FOUND, CREATED, STARTS, RESTARTS, RECOVERS],
)
