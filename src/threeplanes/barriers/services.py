"""A1, micro-services: one shop deployed as a monolith and as micro-services, and what each costs.

The shop has three functions, ``catalogue``, ``cart`` and ``checkout``. A GET of ``/<function>``
answers ``<function> <release> from <pod>``. Every process of the shop runs the same program
(``SERVE``, a few lines of shell around busybox's ``httpd``, on the book's real node): it serves each
function whose release variable (``CATALOGUE_RELEASE``, ``CART_RELEASE``, ``CHECKOUT_RELEASE``) is
set, so a Deployment picks its functions by its environment.

- ``monolith()``: the Deployment ``shop`` whose pods carry the three functions, and the Service
  ``shop`` in front of them.
- ``micro_services()``: a Deployment and a Service per function, and a front: the Deployment
  ``front`` behind the Service ``shop``, which sends ``/<function>`` on to the Service of that name
  (a few lines of shell around busybox's ``nc``, kept in the ConfigMap ``front``: a stand-in for an
  API gateway or an Ingress controller, which this cluster has none of).

Both keep two replicas of every part and request the same CPU and memory in total (``BUDGET``), so
clients call the same URLs, ``http://shop/<function>``, and only the shape differs.

What a deploy costs is counted, not estimated: ``CountingClient`` counts the requests the client
that deploys sends; ``WriteCounter`` counts the writes every component of the cluster makes to the
namespace's objects, one watch event for each write that changed an object; ``objects_by_kind``
lists what the namespace holds; ``scheduled_events`` lists the scheduler's ``Scheduled`` events. The
shop's clients are pods on the real node (``shop_client``) whose logs, read with the kubelet's
timestamps, say which release and which pod answered each request, and when (``answers_in_log``, one
``ShopAnswer`` each); a change of one function's release is timed on them (``roll_releases``).
``requested`` says what the pods asked for; what metrics-server measured is read with the kit's
``wait_for_usage`` (``threeplanes.kit.metrics``), and ``resources_table`` and ``totals`` set the two side by side.
``yaml_with_blocks`` writes the manifests as YAML with the shop's scripts as literal blocks.

The exercise ``a1-split-the-shop`` uses the same program and budget: its setup deploys
``monolith(...)``, its checker judges the reader's split with ``parse_answer`` and ``total_cpu_requested``.
"""

from __future__ import annotations

import shlex
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import yaml
from kubernetes import client, watch
from kubernetes.utils import parse_quantity

from threeplanes.errors import LabError
from threeplanes.kit.effects import poll_until
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.labels import PART_OF
from threeplanes.kit.manifests import app_deployment
from threeplanes.kit.metrics import Usage
from threeplanes.kit.pods import live, pod_log
from threeplanes.kit.resources import millicores
from threeplanes.kit.tables import Table, table
from threeplanes.kit.traffic import repeating_pod
from threeplanes.kit.wait import wait_for_rollout
from threeplanes.versions import pinned

FUNCTIONS = ("catalogue", "cart", "checkout")
SHOP_PORT = 8080  # where every process of the shop listens; each Service listens on 80
ENTRY = "shop"  # the Service clients call, in both shapes
REPLICAS = 2
BUDGET = {"cpu": "200m", "memory": "64Mi"}  # the whole shop's requests, in both shapes
MONOLITH_POD = {"cpu": "100m", "memory": "32Mi"}  # two of them: the budget
PART_POD = {"cpu": "25m", "memory": "8Mi"}  # eight of them (a front and three functions, two each): the budget

# The one program of every shop process: a page for each function whose release variable is set (the
# variable read from the environment, since busybox's shell has no indirect expansion), then the web server.
SERVE = f"""mkdir -p /tmp/www && cd /tmp/www || exit 1
for f in {" ".join(FUNCTIONS)}; do
  F=$(echo $f | tr a-z A-Z)
  r=$(env | sed -n "s/^${{F}}_RELEASE=//p")
  [ -z "$r" ] || echo "$f $r from $(hostname)" >$f
done
exec httpd -f -p {SHOP_PORT} -h /tmp/www
"""

# The front: for each connection nc accepted, read the request line and the headers, ask the Service named
# after the path's first word, and answer with what it said (502 when it said nothing).
ROUTE = f"""read -r method path version
while IFS= read -r header; do [ "${{header%?}}" = "" ] && break; done
name=${{path#/}}
case "$name" in
  healthz) body=ok ;;
  {"|".join(FUNCTIONS)})
    body=$(timeout 2 wget -qO- "http://$name/$name" 2>/dev/null) ;;
  *) body="" ;;
esac
status="200 OK"
[ -n "$body" ] || {{ status="502 Bad Gateway"; body="no answer for /$name"; }}
printf 'HTTP/1.0 %s\\r\\nContent-Length: %s\\r\\n\\r\\n%s\\n' \\
  "$status" "$((${{#body}} + 1))" "$body"
"""


def release_variable(function: str) -> str:
    """The variable that sets ``function``'s release, and whose presence makes a process serve it."""
    return f"{function.upper()}_RELEASE"


# --- the two shapes ---------------------------------------------------------------------------


def function_container(name: str, releases: dict[str, str], resources: dict[str, str]) -> dict:
    """A container of the shop's program serving the functions of ``releases`` ({function: release})."""
    return {
        "name": name,
        "image": pinned().images["busybox"],
        "command": ["sh", "-c", SERVE],
        "env": [{"name": release_variable(f), "value": r} for f, r in releases.items()],
        "ports": [{"name": "http", "containerPort": SHOP_PORT}],
        "readinessProbe": {"httpGet": {"path": f"/{next(iter(releases))}", "port": SHOP_PORT}, "periodSeconds": 1},
        "resources": {"requests": dict(resources)},
    }


def _deployment(name: str, container: dict, replicas: int = REPLICAS, volumes: list | None = None) -> dict:
    """A Deployment ``name`` (pods labelled ``app: name``) of one container, on the real node."""
    pod_spec: dict[str, Any] = {"containers": [container], **({"volumes": volumes} if volumes else {})}
    return app_deployment(name, pod_spec, replicas, labels={"app": name, PART_OF: ENTRY})


def _service(name: str, selected: str | None = None) -> dict:
    """A Service ``name`` on port 80, in front of the pods labelled ``app: <selected>`` (default: ``name``)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {PART_OF: ENTRY}},
        "spec": {
            "selector": {"app": selected or name},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }


def monolith(release: str = "1", pod: dict[str, str] = MONOLITH_POD) -> list[dict]:
    """The Deployment ``shop``, whose pods carry the three functions, and the Service ``shop``."""
    container = function_container(ENTRY, dict.fromkeys(FUNCTIONS, release), pod)
    return [_deployment(ENTRY, container), _service(ENTRY)]


def front() -> list[dict]:
    """The ConfigMap ``front`` (the routing script) and the Deployment ``front`` that runs it with ``nc``."""
    container = {
        "name": "front",
        "image": pinned().images["busybox"],
        "command": ["nc", "-ll", "-p", str(SHOP_PORT), "-e", "sh", "/etc/front/route.sh"],
        "ports": [{"name": "http", "containerPort": SHOP_PORT}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": SHOP_PORT}, "periodSeconds": 1},
        "resources": {"requests": dict(PART_POD)},
        "volumeMounts": [{"name": "routes", "mountPath": "/etc/front", "readOnly": True}],
    }
    routes = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "front", "labels": {PART_OF: ENTRY}},
        "data": {"route.sh": ROUTE},
    }
    return [routes, _deployment("front", container, volumes=[{"name": "routes", "configMap": {"name": "front"}}])]


def micro_services(release: str = "1") -> list[dict]:
    """The front (behind the Service ``shop``) and a Deployment and a Service per function."""
    documents = [*front(), _service(ENTRY, selected="front")]
    for function in FUNCTIONS:
        container = function_container(function, {function: release}, PART_POD)
        documents += [_deployment(function, container), _service(function)]
    return documents


def total_requests(documents: Iterable[dict]) -> dict[str, int]:
    """What the Deployments of ``documents`` request when every replica runs: millicores and bytes."""
    cpu = memory = 0
    for doc in documents:
        if doc["kind"] != "Deployment":
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            asked = container.get("resources", {}).get("requests", {})
            cpu += doc["spec"]["replicas"] * millicores(asked.get("cpu", 0))
            memory += doc["spec"]["replicas"] * bytes_of(asked.get("memory", 0))
    return {"cpu": cpu, "memory": memory}


def bytes_of(quantity: str | int) -> int:
    """A memory quantity (``32Mi``) in bytes."""
    return int(parse_quantity(quantity))


class _BlockDumper(yaml.SafeDumper):
    """YAML with multi-line strings (the shop's scripts) written as literal blocks, as a reader would write them."""


_BlockDumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None),
)


def yaml_with_blocks(*documents: dict) -> str:
    """The documents as one YAML manifest, keys in written order, scripts as literal blocks."""
    return "---\n".join(yaml.dump(d, Dumper=_BlockDumper, sort_keys=False, width=100) for d in documents)


def show_manifest(name: str, *documents: dict) -> str:
    """Glue the documents, as a fenced YAML block, under ``name`` for the page's ``{glue:md}``; return the YAML."""
    from IPython.display import Markdown
    from myst_nb import glue

    text = yaml_with_blocks(*documents)
    glue(name, Markdown(f"```yaml\n{text}```"), display=False)
    return text


# --- deploying, and counting the client's requests -----------------------------------------------


class CountingClient:
    """A client of its own over ``cluster``'s configuration that counts every request it sends.

    ``requests`` holds ``(method, path)`` for each, in order: what this client cost the API server,
    and nothing another client (a controller, the kubelet) sent.
    """

    def __init__(self, cluster: Any) -> None:
        self.api_client = client.ApiClient(cluster.api_client.configuration)
        self.requests: list[tuple[str, str]] = []
        rest = self.api_client.rest_client
        send = rest.request

        def counted(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            self.requests.append((method, urlparse(url).path))
            return send(method, url, *args, **kwargs)

        rest.request = counted

    def create(self, namespace: str, documents: Iterable[dict]) -> list[str]:
        """Create every document in ``namespace``, one POST each; return ``Kind/name`` of each."""
        apps, core = client.AppsV1Api(self.api_client), client.CoreV1Api(self.api_client)
        creators: dict[str, Callable[..., Any]] = {
            "Deployment": apps.create_namespaced_deployment,
            "Service": core.create_namespaced_service,
            "ConfigMap": core.create_namespaced_config_map,
        }
        made = []
        for doc in documents:
            creators[doc["kind"]](namespace, doc)
            made.append(f"{doc['kind']}/{doc['metadata']['name']}")
        return made

    def by_method(self) -> dict[str, int]:
        return dict(Counter(method for method, _ in self.requests))


# --- counting the cluster's writes ------------------------------------------------------------


@dataclass(frozen=True)
class ObjectWrite:
    """One write to an object of the namespace, as its watch reported it."""

    kind: str
    type: str  # ADDED, MODIFIED or DELETED
    name: str
    reporter: str = ""  # for an Event: the component that wrote it
    about: str = ""  # for an Event: the object it is about


def watched_kinds(cluster: Any) -> dict[str, Callable[..., Any]]:
    """The namespaced kinds a shop's deploy writes, each with its list call."""
    return {
        "Deployment": cluster.apps.list_namespaced_deployment,
        "ReplicaSet": cluster.apps.list_namespaced_replica_set,
        "Pod": cluster.core.list_namespaced_pod,
        "Service": cluster.core.list_namespaced_service,
        "EndpointSlice": cluster.discovery.list_namespaced_endpoint_slice,
        "ConfigMap": cluster.core.list_namespaced_config_map,
        "Event": cluster.core.list_namespaced_event,
    }


def write_of(kind: str, event_type: str, obj: Any) -> ObjectWrite:
    if kind == "Event":
        reporter = obj.reporting_component or (obj.source.component if obj.source else None) or "?"
        return ObjectWrite(kind, event_type, obj.metadata.name, reporter, obj.involved_object.name or "")
    return ObjectWrite(kind, event_type, obj.metadata.name)


class WriteCounter:
    """Every write to the namespace's objects while it runs: one watch per kind, in threads of its own.

    Each watch starts from a listing's resourceVersion, so no write after ``start`` is missed. A write
    that changes nothing (a status sent again unchanged) makes no watch event and is not counted;
    reads (lists, watches) are not writes and are not counted either. Writes about the objects named
    in ``ignore`` (the lab's own client pod) are left out.
    """

    def __init__(self, cluster: Any, namespace: str, ignore: Iterable[str] = ()) -> None:
        self.cluster, self.namespace, self.ignore = cluster, namespace, set(ignore)
        self.writes: list[ObjectWrite] = []
        self.last = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.errors: list[str] = []

    def start(self) -> WriteCounter:
        ready = []
        for kind, list_fn in watched_kinds(self.cluster).items():
            version = list_fn(self.namespace).metadata.resource_version
            ready.append(threading.Thread(target=self._follow, args=(kind, list_fn, version), daemon=True))
        self._threads = ready
        for thread in ready:
            thread.start()
        return self

    def _follow(self, kind: str, list_fn: Callable[..., Any], version: str) -> None:
        while not self._stop.is_set():
            watcher = watch.Watch()
            try:
                for event in watcher.stream(
                    list_fn,
                    self.namespace,
                    resource_version=version,
                    allow_watch_bookmarks=True,
                    timeout_seconds=1,
                    _request_timeout=10,
                ):
                    version = event["object"].metadata.resource_version
                    if event["type"] != "BOOKMARK":  # a bookmark only moves the version on: no write
                        self._record(write_of(kind, event["type"], event["object"]))
            except client.ApiException as error:  # 410: the watch fell behind, and the count would miss writes
                self.errors.append(f"{kind}: {error.status} {error.reason}")
                return
            except Exception:  # noqa: BLE001 - a broken connection: watch again from the last version, missing nothing
                time.sleep(0.2)
            finally:
                watcher.stop()

    def _record(self, write: ObjectWrite) -> None:
        if write.name in self.ignore or write.about in self.ignore:
            return
        with self._lock:
            self.writes.append(write)
            self.last = time.monotonic()

    def wait_quiet(self, seconds: float = 3, timeout: float = 60) -> float:
        """Wait until no write came for ``seconds``; return how long it took."""
        return poll_until(
            lambda: time.monotonic() - self.last,
            lambda quiet: quiet >= seconds,
            what=f"{seconds:g} s without a write in namespace {self.namespace}",
            describe=lambda quiet: f"the last write {quiet:.1f} s ago, {len(self.writes)} so far",
            timeout=timeout,
            every=0.5,
        ).after

    def stop(self) -> list[ObjectWrite]:
        """Stop every watch; the writes counted. An error if a watch broke and may have missed some."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)
        if self.errors:
            raise LabError(f"a watch of {self.namespace} broke, so the count may miss writes: {self.errors}")
        return list(self.writes)


def writes_by_kind(writes: Iterable[ObjectWrite]) -> dict[str, int]:
    return dict(Counter(w.kind for w in writes))


def events_by_reporter(writes: Iterable[ObjectWrite]) -> dict[str, int]:
    """The Event writes (created or counted again) by the component that wrote them."""
    return dict(Counter(w.reporter for w in writes if w.kind == "Event"))


# --- what the namespace holds -----------------------------------------------------------------


def objects_by_kind(cluster: Any, namespace: str, ignore: Iterable[str] = ()) -> dict[str, int]:
    """How many objects of each watched kind the namespace holds (not those in ``ignore``, nor the CA
    ConfigMap every namespace gets), and how many Events are about something not ignored."""
    skip = {*ignore, "kube-root-ca.crt"}
    counts = {}
    for kind, list_fn in watched_kinds(cluster).items():
        items = live(list_fn(namespace).items)
        if kind == "Event":
            items = [e for e in items if e.involved_object.name not in skip]
        counts[kind] = sum(1 for o in items if o.metadata.name not in skip)
    return counts


def scheduled_events(
    cluster: Any, namespace: str, ignore: Iterable[str] = (), since: datetime | None = None
) -> list[Any]:
    """The scheduler's ``Scheduled`` events of the namespace (each one decision placing one pod)."""
    skip = set(ignore)
    events = cluster.core.list_namespaced_event(namespace, field_selector="reason=Scheduled").items
    return [
        e
        for e in events
        if e.involved_object.name not in skip and (since is None or event_time(e) is None or event_time(e) >= since)
    ]


def event_time(event: Any) -> datetime | None:
    return event.event_time or event.first_timestamp or event.metadata.creation_timestamp


# --- the shop's clients and their answers ---------------------------------------------------------


def shop_client(name: str, entry: str = ENTRY, pause: float = 0.2, direct: bool = False) -> dict:
    """A pod on the real node that asks ``http://<entry>/<function>`` for each function, again and again.

    Each request writes one line to its log, ``answer <function> <centiseconds> <what came back>``: how long
    it took, read from ``/proc/uptime`` before and after (busybox's ``date`` has no finer clock than the
    second), and nothing after that when no answer came within two seconds. With ``direct``, each request
    is followed by the same one sent straight to the function's own Service, ``http://<function>/<function>``,
    logged as ``direct <function> ...``: the two paths timed in the same moments.
    """
    clock = "cut -d' ' -f1 /proc/uptime"

    def ask(kind: str, function: str, url: str) -> str:
        return (
            f"t=$({clock}); a=$(timeout 2 wget -qO- {url} 2>/dev/null); u=$({clock}); "
            f'echo "{kind} {function} $((${{u%.*}}${{u#*.}} - ${{t%.*}}${{t#*.}})) $a"'
        )

    asks = []
    for f in FUNCTIONS:
        asks.append(ask("answer", f, f"http://{entry}/{f}"))
        if direct:
            asks.append(ask("direct", f, f"http://{f}/{f}"))
    return repeating_pod(name, "; ".join(asks), pause, pinned().images["busybox"], real_node=True)


@dataclass(frozen=True)
class ShopAnswer:
    """One request of a shop client: when it was logged, the function asked, and who answered what."""

    at: datetime
    function: str
    release: str  # "" when no answer came
    pod: str  # the pod that served it; "" when no answer came
    took: float = 0.0  # seconds, to a hundredth

    @property
    def answered(self) -> bool:
        return bool(self.release)


def parse_answer(function: str, text: str) -> tuple[str, str]:
    """``(release, pod)`` from ``<function> <release> from <pod>``; ``("", "")`` for anything else."""
    words = text.split()
    if len(words) == 4 and words[0] == function and words[2] == "from":
        return words[1], words[3]
    return "", ""


def answers_in_log(log: str, kind: str = "answer") -> list[ShopAnswer]:
    """The answers in a ``shop_client`` log read with timestamps: its requests through the entry (``answer``),
    or those sent straight to each function's Service (``direct``)."""
    found = []
    for line in log.splitlines():
        stamp, _, text = line.partition(" ")
        words = text.split(" ", 3)
        if len(words) < 3 or words[0] != kind or not words[2].isdigit():
            continue
        release, pod = parse_answer(words[1], words[3] if len(words) > 3 else "")
        found.append(ShopAnswer(datetime.fromisoformat(stamp), words[1], release, pod, int(words[2]) / 100))
    return found


def read_answers(cluster: Any, namespace: str, pod: str, kind: str = "answer") -> list[ShopAnswer]:
    try:
        return answers_in_log(pod_log(cluster, namespace, pod, timestamps=True), kind)
    except client.ApiException as error:
        if error.status in (400, 404):  # the kubelet has no log to give yet
            return []
        raise


def wait_for_answers(
    cluster: Any, namespace: str, pod: str, holds: Callable[[list[ShopAnswer]], bool], what: str, timeout: float = 60
) -> list[ShopAnswer]:
    """Read the client's log until ``holds(answers)``; the deadline's message names ``what``."""
    return poll_until(
        lambda: read_answers(cluster, namespace, pod),
        holds,
        what=what,
        describe=describe_answers,
        timeout=timeout,
        every=0.5,
    ).seen


def describe_answers(found: list[ShopAnswer], last: int = 12) -> str:
    if not found:
        return "no answer logged yet"
    tail = ", ".join(f"{a.function}:{a.release or '-'}@{a.pod or '-'}" for a in found[-last:])
    return f"{len(found)} requests; the last: {tail}"


def every_function_answers(found: list[ShopAnswer], since: datetime, count: int = 3) -> bool:
    """True when each function's last ``count`` requests after ``since`` were all answered."""
    for function in FUNCTIONS:
        mine = [a for a in found if a.function == function and a.at > since]
        if len(mine) < count or not all(a.answered for a in mine[-count:]):
            return False
    return True


def rounds_per_second(found: list[ShopAnswer], last: float = 10) -> float:
    """How many rounds (one request per function) the client made a second, over its last ``last`` seconds."""
    if not found:
        return 0.0
    end = found[-1].at
    recent = [a for a in found if (end - a.at).total_seconds() <= last]
    span = (end - recent[0].at).total_seconds()
    return len(recent) / len(FUNCTIONS) / span if span > 0 else 0.0


def latencies(found: list[ShopAnswer], since: datetime | None = None) -> list[float]:
    """Seconds each answered request (after ``since``, when given) took, as the client timed it (to a
    hundredth of a second: a mean over many requests is finer than that, a single one is not)."""
    return [a.took for a in found if a.answered and (since is None or a.at > since)]


def ask_from(
    cluster: Any, namespace: str, pod: str, urls: dict[str, str], rounds: int, pause: float = 0.2
) -> list[tuple[str, str]]:
    """Send ``rounds`` rounds of GETs, one to each of ``urls`` ({key: url}), from inside the pod ``pod`` with
    ``kubectl exec``; the answers in order, as ``(key, text)``, the text empty when none came within two
    seconds. What a client of the shop would get, from where the shop's clients run."""
    asks = "; ".join(f'echo "answer {key} $(timeout 2 wget -qO- {url} 2>/dev/null)"' for key, url in urls.items())
    loop = f"for i in $(seq {rounds}); do {asks}; sleep {pause:g}; done"
    command = f"exec -n {namespace} {pod} -- sh -c {shlex.quote(loop)}"
    output = kubectl(command, cluster, show=False, timeout=rounds * (len(urls) * 2 + pause) + 30)
    found = []
    for line in output.splitlines():
        if line.startswith("answer "):
            _, key, *text = line.split(" ", 2)
            found.append((key, text[0].strip() if text else ""))
    return found


# --- resources: asked for and used -------------------------------------------------------------


def app_pods(cluster: Any, namespace: str) -> list[Any]:
    """The shop's live pods in ``namespace`` (those labelled part of it)."""
    return live(cluster.core.list_namespaced_pod(namespace, label_selector=f"{PART_OF}={ENTRY}").items)


def requested(pod: Any) -> dict[str, int]:
    """What a pod's containers request: millicores and bytes."""
    cpu = memory = 0
    for container in pod.spec.containers:
        asked = (container.resources.requests if container.resources else None) or {}
        cpu += millicores(asked.get("cpu", 0))
        memory += bytes_of(asked.get("memory", 0))
    return {"cpu": cpu, "memory": memory}


def total_cpu_requested(pods: Iterable[Any]) -> int:
    """The CPU the pods request together, in millicores."""
    return sum(requested(p)["cpu"] for p in pods)


# --- one function changed --------------------------------------------------------------------


def set_release(cluster: Any, namespace: str, name: str, function: str, release: str) -> None:
    """Set ``function``'s release variable in every container of Deployment ``name`` that has it, as
    ``kubectl set env deployment/<name> <FUNCTION>_RELEASE=<release>`` does."""
    found = cluster.apps.read_namespaced_deployment(name, namespace)
    variable = release_variable(function)
    containers = [
        {"name": c.name, "env": [{"name": variable, "value": release}]}
        for c in found.spec.template.spec.containers
        if any(e.name == variable for e in c.env or [])
    ]
    if not containers:
        raise LabError(f"no container of Deployment {namespace}/{name} has the variable {variable}")
    cluster.apps.patch_namespaced_deployment(
        name, namespace, {"spec": {"template": {"spec": {"containers": containers}}}}
    )


@dataclass
class Roll:
    """A change of one function's release, as the client's requests and the API saw it."""

    variant: str
    function: str
    release: str
    changed_at: datetime
    answers: list[ShopAnswer]  # every request from a few seconds before the change to the end
    replaced: list[str]  # the pods of the namespace the change removed
    started: list[str]  # the pods it started
    scheduled: int  # the scheduler's decisions it took
    rolled_out: float  # seconds until the Deployment reported every new replica available (to the second)
    seen: dict[str, set[str]] = field(default_factory=dict)

    def seconds(self, answer: ShopAnswer) -> float:
        return (answer.at - self.changed_at).total_seconds()

    @property
    def first_new(self) -> float:
        """Seconds from the change to the first request answered by the new release."""
        return min(self.seconds(a) for a in self.answers if a.function == self.function and a.release == self.release)

    @property
    def last_old(self) -> float:
        """Seconds from the change to the last request answered by another release: from then on, every
        request of the function was answered by the new one."""
        old = [self.seconds(a) for a in self._answered(self.function) if a.release != self.release]
        return max([0.0, *old])

    def _answered(self, function: str) -> list[ShopAnswer]:
        return [a for a in self.answers if a.function == function and a.answered]

    def unanswered(self, function: str) -> int:
        """Requests of ``function`` after the change that got no answer."""
        return sum(1 for a in self.answers if a.function == function and not a.answered and a.at > self.changed_at)

    @property
    def settled(self) -> float:
        """Seconds from the change to the last request answered by the old release or by a pod the change
        replaced (which may answer a little while it stops): from then on, only the new state answered."""
        gone = set(self.replaced)
        stale = [self.seconds(a) for a in self.answers if a.answered and a.pod in gone]
        return max([self.last_old, *stale])

    def restarted(self) -> list[str]:
        """The functions a pod of which, answering before the change, was replaced by it."""
        gone = set(self.replaced)
        return [f for f in FUNCTIONS if self.pods_before(f) & gone]

    def pods_before(self, function: str) -> set[str]:
        return {a.pod for a in self._answered(function) if a.at <= self.changed_at}

    def pods_after(self, function: str, settled: float) -> set[str]:
        return {a.pod for a in self._answered(function) if self.seconds(a) > settled}


@dataclass(frozen=True)
class Change:
    """One Deployment in which a function's release is changed: where, and under which name it is shown."""

    namespace: str
    variant: str
    deployment: str


def rolled_out_at(deployment: Any) -> datetime | None:
    """When the Deployment's controller last found its new ReplicaSet available (its Progressing condition,
    to the second)."""
    progressing = next((c for c in deployment.status.conditions or [] if c.type == "Progressing"), None)
    if progressing is None or progressing.reason != "NewReplicaSetAvailable":
        return None
    return progressing.last_update_time


def roll_releases(
    cluster: Any,
    changes: list[Change],
    function: str,
    release: str,
    client_pod: str,
    settle: int = 6,
    timeout: float = 90,
) -> list[Roll]:
    """Change ``function``'s release in every Deployment of ``changes`` at once (so that each rolls under
    the same load), then follow each on its namespace's client until ``settle`` requests of each function in
    a row came after the Deployment finished its rollout, none answered by a pod the change removed, the
    changed function's all by the new release."""
    started = []
    for change in changes:
        before = {p.metadata.name for p in app_pods(cluster, change.namespace)}
        changed_at = datetime.now(UTC)
        set_release(cluster, change.namespace, change.deployment, function, release)
        started.append((change, before, changed_at))
    rolls = []
    for change, before, changed_at in started:
        done = wait_for_rollout(cluster, change.namespace, change.deployment, timeout=timeout)
        done_at = datetime.now(UTC)
        found = wait_for_answers(
            cluster,
            change.namespace,
            client_pod,
            _settled(cluster, change.namespace, before, done_at, function, release, settle),
            f"every function of the {change.variant} answering, {function} with release {release}",
            timeout=timeout,
        )
        after = {p.metadata.name for p in app_pods(cluster, change.namespace)}
        since = changed_at.replace(microsecond=0)
        at = rolled_out_at(done)
        at = done_at if at is None or at < since else at  # a condition from before the change: not this rollout
        rolls.append(
            Roll(
                change.variant,
                function,
                release,
                changed_at,
                [a for a in found if (a.at - changed_at).total_seconds() > -5],
                sorted(before - after),
                sorted(after - before),
                len(scheduled_events(cluster, change.namespace, ignore=[client_pod], since=since)),
                max(0.0, (at - since).total_seconds()),
            )
        )
    return rolls


def _settled(
    cluster: Any, namespace: str, before: set[str], done_at: datetime, function: str, release: str, settle: int
) -> Callable[[list[ShopAnswer]], bool]:
    def settled(found: list[ShopAnswer]) -> bool:
        gone = before - {p.metadata.name for p in app_pods(cluster, namespace)}
        for name in FUNCTIONS:
            tail = [a for a in found if a.function == name and a.at > done_at][-settle:]
            if len(tail) < settle or not all(a.answered and a.pod not in gone for a in tail):
                return False
            if name == function and any(a.release != release for a in tail):
                return False
        return True

    return settled


# --- tables and charts, from what this run measured -------------------------------------------------


def resources_table(pods: Iterable[Any], figures: dict[str, Usage]) -> Table:
    """Per pod: what it requests and what metrics-server measured, CPU in millicores, memory in MiB."""
    return table(
        sorted(pods, key=lambda p: p.metadata.name),
        {
            "POD": lambda p: p.metadata.name,
            "CPU REQUESTED": lambda p: f"{requested(p)['cpu']}m",
            "CPU USED": lambda p: f"{figures[p.metadata.name].cpu_cores * 1000:.1f}m",
            "MEMORY REQUESTED": lambda p: f"{requested(p)['memory'] / 2**20:.0f}Mi",
            "MEMORY USED": lambda p: f"{figures[p.metadata.name].memory_bytes / 2**20:.2f}Mi",
        },
    )


def totals(pods: Iterable[Any], figures: dict[str, Usage]) -> dict[str, float]:
    """The pods' requests and use added up: millicores and MiB, and the share of the requests left idle."""
    pods = list(pods)
    cpu_asked = sum(requested(p)["cpu"] for p in pods)
    memory_asked = sum(requested(p)["memory"] for p in pods) / 2**20
    cpu_used = sum(figures[p.metadata.name].cpu_cores for p in pods) * 1000
    memory_used = sum(figures[p.metadata.name].memory_bytes for p in pods) / 2**20
    return {
        "pods": len(pods),
        "cpu requested": cpu_asked,
        "cpu used": cpu_used,
        "cpu idle %": 100 * (1 - cpu_used / cpu_asked),
        "memory requested": memory_asked,
        "memory used": memory_used,
        "memory idle %": 100 * (1 - memory_used / memory_asked),
    }


WRITE_KINDS = ("Deployment", "ReplicaSet", "Pod", "Service", "EndpointSlice", "ConfigMap", "Event")


def plot_writes(counted: dict[str, list[ObjectWrite]]) -> Any:
    """One bar per shape: its writes to the namespace's objects, by kind, as this run's watches counted them."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 2.8))
    shapes = list(counted)
    left = [0] * len(shapes)
    for kind in WRITE_KINDS:
        values = [writes_by_kind(counted[s]).get(kind, 0) for s in shapes]
        if any(values):
            axes.barh(shapes, values, left=left, label=kind)
            left = [a + b for a, b in zip(left, values, strict=True)]
    for row, total in enumerate(left):
        axes.annotate(f"{total}", (total, row), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    axes.set(xlabel="writes to the namespace's objects (one watch event each)", xlim=(0, max(left) * 1.12))
    axes.set_title("Writes it took to deploy each shape, counted in this run", fontsize=10)
    axes.invert_yaxis()
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.42), ncol=4, frameon=False, fontsize=8)
    figure.tight_layout()
    plt.close(figure)
    return figure


def plot_rolls(rolls: list[Roll]) -> Any:
    """Every request of each roll's client, placed at its time and function, marked by who answered it."""
    import matplotlib.pyplot as plt

    styles = {
        "answered by a pod that ran before the change": {"color": "tab:gray", "marker": "o", "s": 12},
        "answered by a pod the change started": {"color": "tab:blue", "marker": "o", "s": 12},
        "no answer": {"color": "tab:red", "marker": "x", "s": 30},
    }
    figure, panels = plt.subplots(len(rolls), 1, figsize=(8, 1.2 + 1.6 * len(rolls)), sharex=True, squeeze=False)
    for axes, roll in zip(panels[:, 0], rolls, strict=True):
        new = set(roll.started)
        for row, function in enumerate(FUNCTIONS):
            mine = [a for a in roll.answers if a.function == function]
            groups = {
                "answered by a pod that ran before the change": [a for a in mine if a.answered and a.pod not in new],
                "answered by a pod the change started": [a for a in mine if a.answered and a.pod in new],
                "no answer": [a for a in mine if not a.answered],
            }
            for label, chosen in groups.items():
                xs = [roll.seconds(a) for a in chosen]
                axes.scatter(xs, [row] * len(xs), label=label if row == 0 else None, **styles[label])
        axes.axvline(0, color="black", linestyle="--", linewidth=1, label=f"{roll.function}'s release changed")
        axes.axvline(roll.rolled_out, color="black", linestyle=":", linewidth=1, label="the Deployment rolled out")
        axes.set_yticks(range(len(FUNCTIONS)), [f"/{f}" for f in FUNCTIONS])
        axes.set_ylim(-0.6, len(FUNCTIONS) - 0.4)
        axes.set_title(f"{roll.variant}: requests to http://{ENTRY}/<function>, measured in this run", fontsize=10)
    panels[-1, 0].set_xlabel(f"seconds since {rolls[0].function}'s release changed")
    handles, labels = panels[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=3, frameon=False, fontsize=8)
    figure.tight_layout(rect=(0, 0.1, 1, 1))
    plt.close(figure)
    return figure
