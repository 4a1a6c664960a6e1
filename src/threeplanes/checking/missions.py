"""Missions: break-and-fix exercises, whose hints come in rounds and whose pass ends with a debrief.

A mission is an exercise (``kind: mission`` in its page's front matter, an id ``fix-...``): its
setup breaks one thing, its page states only the symptom a user would report, and its checker
drives the scenario and passes when it works, whatever the fix. Two things set it apart, and
both are written once, on the page, as MyST dropdowns:

- the hints, in rounds (``:::{dropdown} Hint 1: where to look first``, ``Hint 2: ...``), each
  pointing at the next place to look. ``threeplanes exercise check`` on a mission that fails
  counts the attempt in an annotation on the reader's namespace (``attempts_annotation``) and
  prints the round of that number (the last one again after it);
- the debrief (``:::{dropdown} Debrief``), printed once the check passes.

The page's commands name an example namespace (front matter ``namespace: my-shop``); the
checker prints the hints with the reader's namespace in its place.

A mission on the real node plays the user with a client pod of the checker's own (``idle_client_pod``,
``client_runs``, ``requests_from``: requests through a Service, as a user's would go), and
sends a failing round again for a few seconds (``settled``) while the node's rules catch up.

A mission on a control plane of its own (the system plane's) keeps it in
``<cache>/missions/<namespace>/<id>/`` (``MissionPlane``, a subclass per mission): the plane outlives
its setup, is found again by the checker and removed by the teardown, and the setup names its files
in the ConfigMap ``mission`` of the reader's namespace (``record_mission``). A plane whose namespace
is gone is cleared by the next setup (``clear_gone_mission_planes``) and named by the tests
(``left_by_gone_missions``, ``clear_gone_missions``).

Each plane has a listing page (``book/troubleshooting-<plane>.md``) holding a table of its missions,
made from the front matter between two markers; ``write_listings`` writes them again
(``python -m threeplanes.checking.missions``) and a unit test checks they are current.
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
import shlex
import shutil
import ssl
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from kubernetes import client

from threeplanes.checking import criteria
from threeplanes.checking.exercises import Exercise, ExerciseError, all_exercises
from threeplanes.checking.framework import Context, Failure, Report, remembered
from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.connect import Cluster, connect
from threeplanes.kit.control_plane import (
    Local,
    Node,
    Started,
    connect_to,
    free_ports,
    on_real_node,
    start_program,
    stop_processes,
)
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.lab_planes import left_by_lab_nodes_in, planes_root, remove_lab_nodes_in
from threeplanes.kit.manifests import app_deployment
from threeplanes.kit.pods import live
from threeplanes.kit.wait import is_ready, wait_for, wait_for_gone
from threeplanes.versions import pinned

DROPDOWN = re.compile(r"^(:{3,}|`{3,})\{dropdown\}\s*(.*?)\n(.*?)^\1\s*$", re.MULTILINE | re.DOTALL)
HINT_TITLE = re.compile(r"^Hint (\d+)\s*[:.]\s*(.+)$")
OPTION = re.compile(r"^:[a-z-]+:.*$", re.MULTILINE)
ROLE = re.compile(r"\{(?:ref|doc|term|numref)\}`(?:([^`<]*?)\s*<([^`>]+)>|([^`]+))`")
TABLE_START = "<!-- missions: start (made by python -m threeplanes.checking.missions) -->"
TABLE_END = "<!-- missions: end -->"


@dataclass(frozen=True)
class Round:
    """One round of hints: its number, its title (where to look), and what it says."""

    number: int
    title: str
    text: str


def attempts_annotation(exercise_id: str) -> str:
    """The annotation on the reader's namespace that counts the failed checks of a mission."""
    return f"threeplanes.io/attempts-{exercise_id}"


def _dropdowns(exercise: Exercise) -> list[tuple[str, str]]:
    return [(m.group(2).strip(), m.group(3)) for m in DROPDOWN.finditer(exercise.page.read_text())]


def plain(text: str) -> str:
    """MyST made readable in a terminal: roles become their target (or text), options and blank runs go."""
    text = ROLE.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(3), text)
    text = OPTION.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def hint_rounds(exercise: Exercise) -> list[Round]:
    """The page's hint dropdowns, in order; an error unless they are numbered 1, 2, 3..."""
    rounds = []
    for title, body in _dropdowns(exercise):
        match = HINT_TITLE.match(title)
        if match:
            rounds.append(Round(int(match.group(1)), match.group(2).strip(), plain(body)))
    if [r.number for r in rounds] != list(range(1, len(rounds) + 1)) or len(rounds) < 2:
        raise ExerciseError(
            f"{exercise.page}: a mission gives at least two rounds of hints, as dropdowns titled "
            f"'Hint 1: ...', 'Hint 2: ...' in that order (found {[r.number for r in rounds]})."
        )
    return rounds


def debrief(exercise: Exercise) -> str:
    """The page's dropdown titled ``Debrief``, as plain text."""
    body = next((body for title, body in _dropdowns(exercise) if title.lower().startswith("debrief")), None)
    if body is None or not body.strip():
        raise ExerciseError(f"{exercise.page}: a mission ends with a dropdown titled 'Debrief'.")
    return plain(body)


def with_reader_namespace(text: str, exercise: Exercise, namespace: str) -> str:
    """``text`` with the page's example namespace (front matter ``namespace``) replaced by ``namespace``."""
    example = str(exercise.front_matter.get("namespace") or "")
    return re.sub(rf"(?<![\w-]){re.escape(example)}(?![\w-])", namespace, text) if example else text


def count_attempt(cluster: Any, exercise: Exercise, namespace: str) -> int:
    """Add one to the namespace's count of failed checks of ``exercise``; the new count (1 when unreadable)."""
    key = attempts_annotation(exercise.id)
    try:
        found = cluster.core.read_namespace(namespace)
    except client.ApiException:
        return 1
    before = (found.metadata.annotations or {}).get(key, "0")
    count = (int(before) if before.isdigit() else 0) + 1
    cluster.core.patch_namespace(namespace, {"metadata": {"annotations": {key: str(count)}}})
    return count


def conclude(exercise: Exercise, cluster: Any, report: Report) -> Report:
    """Add to ``report`` the debrief (when it passed) or the next round of hints (counting the attempt)."""
    if report.passed:
        report.notes.append(f"Debrief\n\n{debrief(exercise)}")
        return report
    rounds = [
        Round(r.number, r.title, with_reader_namespace(r.text, exercise, report.namespace))
        for r in hint_rounds(exercise)
    ]
    attempt = count_attempt(cluster, exercise, report.namespace)
    shown = rounds[min(attempt, len(rounds)) - 1]
    more = (
        f" (round {shown.number} of {len(rounds)}; check again for the next)"
        if shown.number < len(rounds)
        else f" (the last round, {len(rounds)} of {len(rounds)})"
    )
    report.notes.append(f"Hint {shown.number}: {shown.title}{more}\n\n{shown.text}")
    return report


# --- the user's requests ----------------------------------------------------------------------


def idle_client_pod(name: str) -> dict:
    """A busybox pod on the real node that sleeps, waiting for the checker to send requests from it (``requests_from``);
    unlike the kit's ``traffic.client_pod``, it sends none of its own."""
    container = {"name": "client", "image": pinned().images["busybox"], "command": ["sleep", "86400"]}
    spec = {"terminationGracePeriodSeconds": 1, "containers": [container]}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": on_real_node(spec),
    }


def client_runs(ctx: Context, name: str) -> Failure | None:
    """A criterion's check: the client pod ``name`` runs (made again first if it is gone)."""
    if ctx.get(ctx.cluster.core.read_namespaced_pod, name, ctx.namespace) is None:
        ctx.cluster.core.create_namespaced_pod(ctx.namespace, idle_client_pod(name))
    try:
        wait_for(
            ctx.cluster.core.list_namespaced_pod,
            lambda found: any(p.status.phase == "Running" for p in live(found)),
            what=f"the checker's client pod {name}",
            describe=lambda found: ", ".join(p.status.phase or "?" for p in found) or "no pod",
            timeout=60,
            namespace=ctx.namespace,
            field_selector=f"metadata.name={name}",
        )
    except LabError as error:
        return Failure(str(error), "the client runs on the real node: is it Ready? kubectl get nodes")
    return None


def requests_from(
    ctx: Context, client_name: str, url: str, count: int, interval: float = 0.5, give_up: int = 3
) -> list[str]:
    """The answers to ``count`` GETs of ``url`` sent from the client pod ``interval`` s apart ("" for none),
    stopping early after ``give_up`` unanswered requests in a row.

    Each is bounded to two seconds by ``timeout``: the image's busybox wget crashes on its own
    timeout option (``-T``)."""
    loop = (
        f"miss=0; for i in $(seq {count}); do "
        f"a=\"$(timeout 2 wget -qO- {shlex.quote(url)} 2>/dev/null | tr -d '\\n')\"; "
        'echo "answer $a"; '
        f'if [ -z "$a" ]; then miss=$((miss+1)); [ $miss -ge {give_up} ] && break; else miss=0; fi; '
        f"sleep {interval:g}; done"
    )
    command = f"exec -n {ctx.namespace} {client_name} -- sh -c {shlex.quote(loop)}"
    output = kubectl(command, ctx.cluster, show=False, timeout=count * (interval + 3) + 30)
    return [line[len("answer ") :].strip() for line in output.splitlines() if line.startswith("answer")]


def answers_besides(ctx: Context, client_name: str, url: str, wanted: str, count: int) -> tuple[list[str], str]:
    """Send ``count`` GETs of ``url`` from the client pod, a fifth of a second apart; return what was answered
    besides ``wanted`` ("(no answer)" for a request left unanswered) and a failure's ``saw`` saying so. Both are
    empty when every request was answered ``wanted``."""
    answers = requests_from(ctx, client_name, url, count, 0.2)
    other = sorted({a or "(no answer)" for a in answers if a != wanted})
    if not other and len(answers) == count:
        return [], ""
    return other, f"{len(answers)} requests to {url} answered: {', '.join(other)} (wanted {wanted!r})"


def settled(attempt: Callable[[], Failure | None], within: float = 15) -> Failure | None:
    """``attempt()`` (a scenario's round), made again for up to ``within`` seconds while it fails: after a
    fix, the endpoints follow within moments, and the packets once kube-proxy has rewritten the node's
    rules. The last failure, or None."""
    deadline = time.monotonic() + within
    while True:
        failure = attempt()
        if failure is None or time.monotonic() > deadline:
            return failure
        time.sleep(1)


# --- a mission's objects on the real node --------------------------------------------------------


def mission_deployment(
    name: str,
    container: dict,
    replicas: int = 1,
    labels: dict[str, str] | None = None,
    real_node: bool = True,
    **spec: Any,
) -> dict:
    """The kit's ``app_deployment`` of one ``container``: a mission's app."""
    return app_deployment(name, {"containers": [container]}, replicas, labels, real_node, **spec)


def mission_service(name: str, selector: dict[str, str] | None = None) -> dict:
    """A Service ``name`` (labelled ``app=name``) whose port 80 sends to the port named ``http`` of the pods
    ``selector`` picks (by default ``app=name``)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "selector": dict(selector or {"app": name}),
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }


def delete_if_there(delete: Callable[[], Any]) -> None:
    """``delete()``, an API call that deletes one object; an object already gone (404) is no error."""
    try:
        delete()
    except client.ApiException as error:
        if error.status != 404:
            raise


def start_over(
    cluster: Any,
    namespace: str,
    deployments: tuple[str, ...] = (),
    services: tuple[str, ...] = (),
    config_maps: tuple[str, ...] = (),
    pods: tuple[str, ...] = (),
) -> None:
    """Delete what an earlier setup (or attempt) left of a mission, and wait until its Deployments and pods
    are gone (their names given), so that the setup makes them afresh."""
    for name in deployments:
        delete_if_there(
            lambda name=name: cluster.apps.delete_namespaced_deployment(
                name, namespace, propagation_policy="Foreground"
            )
        )
    for name in services:
        delete_if_there(lambda name=name: cluster.core.delete_namespaced_service(name, namespace))
    for name in config_maps:
        delete_if_there(lambda name=name: cluster.core.delete_namespaced_config_map(name, namespace))
    for name in pods:
        delete_if_there(lambda name=name: cluster.core.delete_namespaced_pod(name, namespace, grace_period_seconds=1))
    for name in deployments:
        wait_for_gone(cluster.apps.list_namespaced_deployment, name, what=f"Deployment {name}", namespace=namespace)
    for name in pods:
        wait_for_gone(cluster.core.list_namespaced_pod, name, what=f"pod {name}", namespace=namespace)


def describe_pods(pods: list) -> str:
    """The live pods' names and phases, for a wait that times out."""
    return ", ".join(f"{p.metadata.name}: {p.status.phase}" for p in live(pods)) or "no pod"


def wait_for_app_pods(
    cluster: Any,
    namespace: str,
    app: str,
    done: Callable[[list], bool],
    what: str,
    timeout: float,
    on_the_real_node: bool = True,
) -> list:
    """Wait until the live pods labelled ``app=<app>`` satisfy ``done``, a test of them all together (the broken
    state a setup waits for); those pods. On a timeout, a ``LabError`` that asks whether the real node is Ready
    (``on_the_real_node``). The kit's ``wait.wait_for_pods`` waits instead for a count of pods each in one state."""
    try:
        return wait_for(
            cluster.core.list_namespaced_pod,
            lambda found: done(live(found)),
            what=what,
            describe=describe_pods,
            timeout=timeout,
            namespace=namespace,
            label_selector=f"app={app}",
        )
    except WaitTimeout as error:
        hint = ". Is the real node Ready? kubectl get nodes" if on_the_real_node else ""
        raise LabError(f"{error}{hint}") from None


# --- a mission's checker on the real node ----------------------------------------------------------


def not_set_up(missing: str, setup: str) -> Failure:
    """The failure of a mission whose objects (``missing``: "Deployment web", ...) are not in the namespace."""
    return Failure(
        f"no {missing} in the namespace",
        f"the mission starts from its setup: {setup} (fix what it made; do not delete it)",
    )


def deployment_and_service_there(ctx: Context, name: str, setup: str) -> Failure | None:
    """A criterion's check: the Deployment and the Service ``name`` that the setup made are there (``setup``: the
    command that makes them, with ``{namespace}``)."""
    service = ctx.get(ctx.cluster.core.read_namespaced_service, name, ctx.namespace)
    if criteria.deployment(ctx, name) is None or service is None:
        return not_set_up(f"Deployment or no Service {name}", setup.format(namespace=ctx.namespace))
    return None


def keeps_replicas(ctx: Context, name: str, replicas: int, needs: str) -> Failure | None:
    """A criterion's check: the Deployment ``name`` still asks for ``replicas`` or more, since scaling down hides a
    symptom without curing it; ``needs`` says in the hint what the replicas are for."""
    wanted = criteria.deployment(ctx, name).spec.replicas or 0
    if wanted >= replicas:
        return None
    return Failure(
        f"Deployment {name} asks for {wanted} replica(s), not {replicas}",
        f"scaling down hides the symptom without curing it: {needs} (kubectl scale deployment {name} "
        f"--replicas={replicas})",
    )


def first_container_summary(pod: Any) -> str:
    """A pod's first container in a few words, for a failure's ``saw``: its state (the waiting reason, or
    running and whether Ready), how its last run ended, and its restarts."""
    found = next(iter(pod.status.container_statuses or []), None)
    if found is None:
        return f"{pod.metadata.name}: {pod.status.phase}"
    if found.state.waiting:
        state = found.state.waiting.reason
    elif found.state.running:
        state = "running, Ready" if is_ready(pod) else "running, not Ready"
    else:
        state = "stopped"
    last = found.last_state.terminated if found.last_state else None
    ended = f", last run ended {last.reason} (exit {last.exit_code})" if last else ""
    count = found.restart_count
    return f"{pod.metadata.name}: {state}{ended}, {count} restart{'' if count == 1 else 's'}"


def rolled_and_ready(deployment: Any, pods: list) -> bool:
    """True when the Deployment's controller has seen its last change and every one of its replicas is Ready."""
    current = (deployment.status.observed_generation or 0) >= deployment.metadata.generation
    return current and len(pods) == deployment.spec.replicas and all(is_ready(p) for p in pods)


# --- a mission's own control plane -------------------------------------------------------------

MISSION_CONFIGMAP = "mission"  # in the reader's namespace of the book's cluster: where the mission's files are


def load_part(folder: Path, part: str = "checker") -> Any:
    """The module ``<part>.py`` of the mission in ``folder``: a mission's parts share each other's helpers
    and names (an exercise keeps its code in its own folder)."""
    name = f"{folder.name.replace('-', '_')}_{part}"
    spec = importlib.util.spec_from_file_location(name, folder / f"{part}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def missions_root() -> Path:
    """Where the missions' control planes live, beside the labs' (``<cache>/missions``): a mission's plane
    outlives the process that set it up, so it is not one of ``lab_control_plane``'s, which go with theirs."""
    return planes_root().parent / "missions"


def stop_binary(binary: str, grace: float = 5) -> None:
    """Stop every process running ``binary`` (a component of a plane: its binary lies in the plane's folder)."""
    found = [
        p
        for p in psutil.process_iter(["cmdline", "status"])
        if p.info["status"] != psutil.STATUS_ZOMBIE and (p.info["cmdline"] or [""])[0] == binary
    ]
    stop_processes(found, grace)


def answers_healthz(port: int) -> bool:
    """True when a component on ``port`` of this machine answers ``/healthz`` with ``ok`` (its own certificate)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", timeout=2, context=context) as reply:
            return reply.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


class MissionPlane:
    """The control plane of one namespace's mission: its folder, the kwokctl cluster in it, its kubeconfig.

    A mission subclasses it with its ``exercise_id`` (and, when it needs them, its ``nodes``, ``flags()``
    and what ``before_up``/``after_up`` put in the folder)."""

    exercise_id = ""
    nodes: tuple[Node, ...] = (Node("worker-a", zone="zone-a"),)

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    @property
    def folder(self) -> Path:
        return missions_root() / self.namespace / self.exercise_id

    def flags(self) -> dict[str, dict[str, str]]:
        """The components' extra flags, ``{component: {flag: value}}``."""
        return {}

    @property
    def local(self) -> Local:
        return Local(self.exercise_id, self.folder, extra_flags=self.flags(), nodes=self.nodes, folder=self.folder)

    @property
    def kubeconfig(self) -> Path:
        return self.folder / "kubeconfig"

    @property
    def logs(self) -> Path:
        return self.folder / "logs"

    def exists(self) -> bool:
        return self.kubeconfig.is_file()

    def cluster(self) -> Cluster:
        return connect_to(self.local, timeout=10)

    def before_up(self) -> None:
        """What the folder needs before the plane starts (a component's file its flags name)."""

    def after_up(self) -> None:
        """What the folder gets once the plane runs (copies of its files, links)."""

    def link_logs(self) -> None:
        """``logs`` in the folder: a link to kwokctl's folder of the components' logs."""
        self.logs.symlink_to(self.local.cluster_dir() / "logs")

    def start(self) -> Cluster:
        """Start the plane afresh (any earlier one of this namespace's mission removed first)."""
        self.remove()
        self.folder.mkdir(parents=True)
        self.before_up()
        self.local.up(timeout=120)
        self.after_up()
        return self.cluster()

    def remove(self) -> None:
        if self.local.cluster_dir().exists():
            with contextlib.suppress(LabError):
                self.local.down()
        shutil.rmtree(self.folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.folder.parent.rmdir()

    def restart_component(self, component: str, flags: dict[str, str] | None = None) -> tuple[Started, int]:
        """Stop ``component`` if it runs, and start it again (its ``flags`` replacing kwokctl's) on a free port.

        Not ``Local.restart_component``: the port kwokctl gave it was free while the component was down, and
        another control plane created on the machine meanwhile may have taken it; the new one listens for its
        ``/healthz`` on a port found free now (kwokctl's pid file names the process, for the teardown)."""
        flags = flags or {}
        record = self.local.component(component)
        here = self.local.cluster_dir()
        stop_binary(record["binary"])
        port = free_ports(1)[0]
        replaced = tuple(f"--{flag}=" for flag in [*flags, "secure-port"])
        args = [a for a in record.get("args", []) if not a.startswith(replaced)]
        args += [f"--{flag}={value}" for flag, value in flags.items()] + [f"--secure-port={port}"]
        program = Path(record["binary"]).name
        envs = {e["name"]: e.get("value", "") for e in record.get("envs") or []}
        started = start_program(program, [record["binary"], *args], here / "pids", here / "logs", env=envs)
        (here / "pids" / f"{program}.pid").write_text(str(started.pid))
        return started, port


def namespace_is_gone(book: Cluster, namespace: str) -> bool:
    """True when the book's cluster says ``namespace`` does not exist (404); False when it exists or is unknown."""
    try:
        book.core.read_namespace(namespace)
    except client.ApiException as error:
        return error.status == 404
    return False


def clear_gone_mission_planes(book: Cluster, plane: type[MissionPlane]) -> list[str]:
    """Remove the planes of ``plane``'s mission whose namespace is gone from the book's cluster (a run killed
    before its teardown); return their namespaces."""
    cleared = []
    for folder in sorted(missions_root().glob(f"*/{plane.exercise_id}")):
        namespace = folder.parent.name
        if namespace_is_gone(book, namespace):
            plane(namespace).remove()
            cleared.append(namespace)
    return cleared


def make_namespace(cluster: Cluster, name: str) -> None:
    """Create the namespace ``name`` on a mission's plane and wait for its ServiceAccount ``default``."""
    cluster.core.create_namespace({"metadata": {"name": name}})
    wait_for(
        cluster.core.list_namespaced_service_account,
        lambda accounts: any(a.metadata.name == "default" for a in accounts),
        what=f"the ServiceAccount default of the namespace {name}",
        describe=lambda accounts: f"{len(accounts)} ServiceAccount(s)",
        timeout=60,
        namespace=name,
    )


def record_mission(book: Cluster, namespace: str, files: dict[str, str]) -> None:
    """Write (or write again) the ConfigMap ``mission`` in the reader's namespace: where the mission's files are."""
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=MISSION_CONFIGMAP), data=files)
    try:
        book.core.create_namespaced_config_map(namespace, body)
    except client.ApiException as error:
        if error.status != 409:
            raise
        book.core.replace_namespaced_config_map(MISSION_CONFIGMAP, namespace, body)


def no_plane(plane: MissionPlane, setup: str) -> Failure | None:
    """A failure when the namespace's mission has no control plane (``setup``: the command that makes it)."""
    if plane.exists():
        return None
    return Failure(
        f"no control plane of the mission for the namespace {plane.namespace} (no {plane.kubeconfig})",
        f"set the mission up first: {setup}",
    )


def plane_did_not_answer(error: Exception, setup: str, also: str = "") -> Failure:
    """The failure of a mission's plane that did not answer (``also``: what else it may lack, after a comma)."""
    return Failure(
        f"the mission's API server did not answer{also} ({' '.join(str(error).split())[:160]})",
        f"set the mission up again: {setup}",
    )


def reached_plane(
    plane: MissionPlane, setup: str, probe: Callable[[Cluster], object], also: str = ""
) -> tuple[Cluster | None, Failure | None]:
    """The mission plane's cluster once ``probe(cluster)`` (a read of what the setup made) answers, or the failure
    to report under the first step: no plane (``no_plane``), or a plane that does not answer (``also``: what else
    it may lack, after a comma)."""
    missing = no_plane(plane, setup)
    if missing is not None:
        return None, missing
    try:
        cluster = plane.cluster()
        probe(cluster)
    except (LabError, client.ApiException, OSError) as error:
        return None, plane_did_not_answer(error, setup, also)
    return cluster, None


def played_steps(
    play: Callable[[str], dict[str, Failure | None]], reuse: float, version: Callable[[str], str] = lambda _: ""
) -> Callable[[str], Callable[[Context], Failure | None]]:
    """A maker of criteria's checks that share one playing of a scenario: ``play(namespace)`` gives each step's
    outcome, up to the first that failed; it serves the checks for ``reuse`` s (the framework's two looks),
    and is played again at once when ``version(namespace)`` (the reader's file as it is now) changes."""
    outcomes: dict[str, tuple[float, dict[str, Failure | None]]] = {}

    def step(name: str) -> Callable[[Context], Failure | None]:
        def check(ctx: Context) -> Failure | None:
            key = f"{ctx.namespace} {version(ctx.namespace)}"
            results = remembered(outcomes, key, reuse, lambda: play(ctx.namespace))
            if name not in results:
                return Failure("the scenario stopped at an earlier step", "fix the step before this one first")
            return results[name]

        return check

    return step


def file_version(path: Path) -> str:
    """A file's version for ``played_steps``: its modification time (0 when it is missing)."""
    return str(path.stat().st_mtime_ns if path.is_file() else 0)


def left_by_gone_missions(book: Cluster | None = None) -> list[str]:
    """The mission planes whose namespace is gone from the book's cluster (``book``, else the one the
    kubeconfig names): their processes and folders. A mission's plane outlives its setup on purpose, so
    "gone" is its namespace's absence, not its process's."""
    return [
        item
        for folder in _gone_mission_folders(book)
        for item in left_by_lab_nodes_in(folder) + _mission_leftovers(folder)
    ]


def clear_gone_missions(book: Cluster | None = None, grace: float = 2) -> list[str]:
    """Stop the mission planes whose namespace is gone and remove their folders; return what was cleared."""
    cleared = []
    for folder in _gone_mission_folders(book):
        cleared += remove_lab_nodes_in(folder)  # a real node joined to the plane: its record is in the folder
        running = _running_from(folder)
        stop_processes(running, grace)
        cleared += _mission_leftovers(folder, running)
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            folder.parent.rmdir()
    return cleared


def _running_from(folder: Path) -> list[psutil.Process]:
    """The live processes whose program lies in ``folder`` (kwokctl copies a plane's binaries there)."""
    inside = f"{folder.resolve()}/"
    return [
        p
        for p in psutil.process_iter(["cmdline", "status"])
        if p.info["status"] != psutil.STATUS_ZOMBIE and (p.info["cmdline"] or [""])[0].startswith(inside)
    ]


def _mission_leftovers(folder: Path, running: list[psutil.Process] | None = None) -> list[str]:
    found = _running_from(folder) if running is None else running
    named = [f"process {p.pid} ({Path(p.info['cmdline'][0]).name}) of a mission plane" for p in found]
    return [*named, f"folder {folder}"]


def _gone_mission_folders(book: Cluster | None) -> list[Path]:
    """The folders ``<cache>/missions/<namespace>/<id>`` whose namespace the book's cluster no longer has
    (none when the book's cluster cannot be reached: then nothing is known to be gone)."""
    folders = sorted(f for f in missions_root().glob("*/*") if f.is_dir())
    if not folders:
        return []
    try:
        alive = {n.metadata.name for n in (book or connect()).core.list_namespace().items}
    except (LabError, client.ApiException):
        return []
    return [f for f in folders if f.parent.name not in alive]


# --- the listing page --------------------------------------------------------------------------


LISTED_PLANES = ("functional", "conceptual", "system")  # the planes whose troubleshooting page lists missions


def missions(exercises: list[Exercise], plane: str | None = None) -> list[Exercise]:
    """The missions among ``exercises`` (of ``plane`` only, if given), by level, then id."""
    found = (e for e in exercises if e.is_mission and plane in (None, e.plane))
    return sorted(found, key=lambda e: (e.level, e.plane, e.id))


def listing_page(book: Path, plane: str) -> Path:
    return book / f"troubleshooting-{plane}.md"


def listing_table(exercises: list[Exercise], plane: str) -> str:
    """A Markdown table of the missions of ``plane``: level, the symptom, the mission (linked to its page), time."""
    rows = ["| Level | Symptom | Mission | Trains | Time |", "|---|---|---|---|---|"]
    for e in missions(exercises, plane):
        symptom = e.symptom.replace("|", "\\|")
        trains = ", ".join(e.trains)
        rows.append(f"| {e.level} | {symptom} | {{ref}}`{e.id} <exercise-{e.id}>` | {trains} | {e.minutes} min |")
    return "\n".join(rows)


def with_listing(page_text: str, exercises: list[Exercise], plane: str) -> str:
    """``page_text`` with the table between the two markers made again from the front matter."""
    start, end = page_text.find(TABLE_START), page_text.find(TABLE_END)
    if start < 0 or end < start:
        raise ExerciseError(f"the listing page has no markers {TABLE_START!r} ... {TABLE_END!r}")
    head, tail = page_text[: start + len(TABLE_START)], page_text[end:]
    return f"{head}\n{listing_table(exercises, plane)}\n{tail}"


def write_listings(book: Path, exercises_folder: Path) -> list[Path]:
    """Write each plane's table of missions into its page; return the pages that changed."""
    exercises = all_exercises(exercises_folder)
    changed = []
    for plane in LISTED_PLANES:
        page = listing_page(book, plane)
        text = page.read_text()
        new = with_listing(text, exercises, plane)
        if new != text:
            page.write_text(new)
            changed.append(page)
    return changed


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[3]
    written = write_listings(root / "book", root / "exercises")
    print("written again: " + (", ".join(str(p.relative_to(root)) for p in written) if written else "none"))
    sys.exit(0)
