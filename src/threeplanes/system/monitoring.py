"""Metrics as the components expose them, a Prometheus server of the lab's own, and the metrics API.

The lab S11 and the exercise ``s11-promql`` use these. Every component serves its metrics as text
in Prometheus' exposition format at ``/metrics``: ``parse_metrics`` reads that text into
``Sample``\\ s (name, labels, value) and ``total`` adds up the samples that match some labels (all three, and
``matching``, are the kit's, ``threeplanes.kit.metrics``, named here too for the lab);
``buckets`` and ``bucket_quantile`` read a histogram's cumulative buckets the way PromQL's
``histogram_quantile`` does. ``create_probe_kind`` makes a CustomResourceDefinition of the run's own, whose
requests are counted in series no other client touches. ``BookTargets`` says where the book's components serve their
metrics and with which credentials (read from the book's kubeconfig and the components' flags),
and ``scrape_configs`` turns it into the ``scrape_configs`` of a Prometheus configuration
(``scrape_job`` makes one job; ``apiserver_access`` reads any kubeconfig's API server and certificate).

``start_prometheus`` starts the pinned Prometheus as a managed process on a free loopback port,
its data in a temporary folder; ``Prometheus.query`` and ``query_range`` ask its HTTP API
(``/api/v1/query``, ``/api/v1/query_range``), ``wait_for_up`` waits until every job's first scrape
has landed, and ``remove`` stops it and deletes its folder (also done when the process exits).
``pod_usage`` reads the ``metrics.k8s.io`` API that ``kubectl top`` reads, and ``wait_for_usage`` waits for its
figures (both, with ``Usage``, the kit's, named here too for the lab); ``plot_series`` draws query results over time.
"""

from __future__ import annotations

import atexit
import math
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml
from kubernetes import client

from threeplanes.errors import LabError
from threeplanes.kit.control_plane import Started, component_binary, free_ports, start_program, stop_program
from threeplanes.kit.deleting import at_exit, ignore_missing
from threeplanes.kit.effects import poll_until
from threeplanes.kit.labels import FOR_NAMESPACE, owned_labels
from threeplanes.kit.metrics import Sample as Sample
from threeplanes.kit.metrics import Usage as Usage
from threeplanes.kit.metrics import matching as matching
from threeplanes.kit.metrics import parse_metrics as parse_metrics
from threeplanes.kit.metrics import pod_usage as pod_usage
from threeplanes.kit.metrics import total as total
from threeplanes.kit.metrics import wait_for_usage as wait_for_usage
from threeplanes.kit.wait import wait_for_gone

START_TIMEOUT_S = 60  # Prometheus replays its write-ahead log at start; an empty one starts in a second or two


# --- the exposition format ---------------------------------------------------------------------


def buckets(samples: Iterable[Sample], histogram: str, **labels: str) -> list[tuple[float, float]]:
    """A histogram's cumulative buckets ``(upper bound, count)``, ascending, summed over the series that
    carry ``labels``."""
    summed: dict[float, float] = {}
    for sample in matching(samples, f"{histogram}_bucket", **labels):
        bound = float(sample.labels["le"])
        summed[bound] = summed.get(bound, 0.0) + sample.value
    return sorted(summed.items())


def bucket_quantile(q: float, cumulative: Sequence[tuple[float, float]]) -> float:
    """The ``q``-quantile of cumulative buckets, interpolated linearly inside its bucket as PromQL's
    ``histogram_quantile`` does (the lowest bucket starts at 0; a quantile in the ``+Inf`` bucket is the
    highest finite bound)."""
    if not 0 <= q <= 1:
        raise LabError(f"a quantile is between 0 and 1, not {q}.")
    if not cumulative or cumulative[-1][0] != math.inf:
        raise LabError("a histogram's buckets end with le=+Inf; these do not.")
    count = cumulative[-1][1]
    if count == 0:
        return math.nan
    rank = q * count
    lower, below = 0.0, 0.0
    for bound, seen in cumulative:
        if seen >= rank:
            if bound == math.inf:
                return lower
            inside = seen - below
            return bound if inside == 0 else lower + (bound - lower) * (rank - below) / inside
        lower, below = bound, seen
    return lower


def delta(before: Sequence[tuple[float, float]], after: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """What each cumulative bucket gained between two readings."""
    earlier = dict(before)
    return [(bound, count - earlier.get(bound, 0.0)) for bound, count in after]


# --- requests whose series are this run's alone ---------------------------------------------------


@dataclass(frozen=True)
class ProbeKind:
    """A CustomResourceDefinition of one run's own: its requests are counted in series that carry its group, which
    no other client uses, so its counters move only with this run's requests."""

    group: str
    plural: str = "probes"
    version: str = "v1"

    @property
    def name(self) -> str:
        return f"{self.plural}.{self.group}"

    def labels(self, **more: str) -> dict[str, str]:
        """The labels of ``apiserver_request_total`` that select this resource's requests."""
        return {"group": self.group, "resource": self.plural, **more}


def create_probe_kind(cluster: Any, namespace: str, owner: str, timeout: float = 60) -> ProbeKind:
    """Create the CustomResourceDefinition ``probes.<namespace>.threeplanes.io`` (deleted when the process exits,
    if the lab has not done it) and wait until the API server serves it."""
    kind = ProbeKind(f"{namespace}.threeplanes.io")
    schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    body = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": kind.name, "labels": owned_labels(owner, **{FOR_NAMESPACE: namespace})},
        "spec": {
            "group": kind.group,
            "scope": "Namespaced",
            "names": {"kind": "Probe", "plural": kind.plural, "singular": "probe", "listKind": "ProbeList"},
            "versions": [
                {"name": kind.version, "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}
            ],
        },
    }
    api = client.ApiextensionsV1Api(cluster.api_client)
    api.create_custom_resource_definition(body)
    at_exit(api.delete_custom_resource_definition, kind.name)

    def served() -> bool:
        try:
            cluster.custom.list_namespaced_custom_object(kind.group, kind.version, namespace, kind.plural)
            return True
        except client.ApiException:
            return False

    poll_until(served, bool, what=f"the API server to serve {kind.name}", timeout=timeout, every=0.5)
    return kind


def delete_probe_kind(cluster: Any, kind: ProbeKind, timeout: float = 60) -> None:
    """Delete the CustomResourceDefinition and wait until it is gone."""
    api = client.ApiextensionsV1Api(cluster.api_client)
    with ignore_missing():
        api.delete_custom_resource_definition(kind.name)
    wait_for_gone(api.list_custom_resource_definition, kind.name, f"the CustomResourceDefinition {kind.name}", timeout)


# --- where the book's components serve their metrics --------------------------------------------


@dataclass(frozen=True)
class BookTargets:
    """The addresses of the book's components' ``/metrics`` and the client credentials that read them."""

    apiserver: str  # host:port, https, the kubeconfig's CA and client certificate
    etcd: str  # host:port, plain http on loopback
    scheduler: str  # host:port, https with a certificate the scheduler made for itself
    ca_file: str
    cert_file: str
    key_file: str


@dataclass(frozen=True)
class ApiserverAccess:
    """An API server's address (host:port) and the files of the kubeconfig's CA and client certificate."""

    address: str
    ca_file: str
    cert_file: str
    key_file: str

    @property
    def tls_config(self) -> dict[str, str]:
        """Prometheus' ``tls_config`` that trusts this CA and presents this client certificate."""
        return {"ca_file": self.ca_file, "cert_file": self.cert_file, "key_file": self.key_file}


def apiserver_access(kubeconfig: Path) -> ApiserverAccess:
    """The current context's API server and client certificate in ``kubeconfig`` (files, as kwokctl writes them)."""
    config = yaml.safe_load(kubeconfig.read_text())
    current = config["current-context"]
    context = next(c["context"] for c in config["contexts"] if c["name"] == current)
    server = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    missing = [k for k in ("client-certificate", "client-key") if k not in user] + (
        [] if "certificate-authority" in server else ["certificate-authority"]
    )
    if missing:
        raise LabError(
            f"{kubeconfig} names no file for {', '.join(missing)}: Prometheus reads these from files, as the "
            "book's local cluster writes them."
        )
    return ApiserverAccess(
        server["server"].removeprefix("https://"),
        server["certificate-authority"],
        user["client-certificate"],
        user["client-key"],
    )


def book_targets(kubeconfig: Path, flags: Mapping[str, Mapping[str, str]]) -> BookTargets:
    """Read the API server's address and the admin's client certificate from ``kubeconfig``, and the etcd and
    scheduler addresses from the components' flags (``{component: {flag: value}}``)."""
    access = apiserver_access(kubeconfig)
    etcd_url = flags["etcd"]["listen-client-urls"].split(",")[0]
    scheduler = flags["kube-scheduler"]
    return BookTargets(
        apiserver=access.address,
        etcd=etcd_url.removeprefix("http://"),
        scheduler=f"{scheduler.get('bind-address', '127.0.0.1')}:{scheduler.get('secure-port', '10259')}",
        ca_file=access.ca_file,
        cert_file=access.cert_file,
        key_file=access.key_file,
    )


def node_proxy_path(node: str, path: str = "metrics") -> str:
    """The API server's path that hands a request on to ``node``'s kubelet (``metrics``, ``metrics/cadvisor``)."""
    return f"/api/v1/nodes/{node}/proxy/{path}"


def scrape_job(
    name: str, target: str, scheme: str, path: str = "/metrics", interval: str = "2s", **extra: Any
) -> dict[str, Any]:
    """One scrape job: ``target`` (host:port) every ``interval`` at ``scheme://target/path``; ``extra`` adds
    settings such as ``tls_config``."""
    return {
        "job_name": name,
        "scheme": scheme,
        "metrics_path": path,
        "scrape_interval": interval,
        "scrape_timeout": interval,
        "static_configs": [{"targets": [target]}],
        **extra,
    }


def scrape_configs(targets: BookTargets, real_node: str | None, interval: str = "2s") -> list[dict[str, Any]]:
    """One scrape job per component, each every ``interval``: the API server and the kubelet's two pages (reached
    through the API server's node proxy) with the admin's certificate, etcd in plain http, the scheduler without
    checking its self-made certificate."""
    client_tls = {"ca_file": targets.ca_file, "cert_file": targets.cert_file, "key_file": targets.key_file}
    jobs = [
        scrape_job("apiserver", targets.apiserver, "https", interval=interval, tls_config=client_tls),
        scrape_job("etcd", targets.etcd, "http", interval=interval),
        scrape_job(
            "scheduler", targets.scheduler, "https", interval=interval, tls_config={"insecure_skip_verify": True}
        ),
    ]
    if real_node:
        for name, path in (("kubelet", "metrics"), ("cadvisor", "metrics/cadvisor")):
            proxy = node_proxy_path(real_node, path)
            jobs.append(scrape_job(name, targets.apiserver, "https", proxy, interval, tls_config=client_tls))
    return jobs


# --- a Prometheus server of the lab's own --------------------------------------------------------


@dataclass
class Prometheus:
    """A Prometheus server started by ``start_prometheus``: its address, folder and process."""

    url: str
    folder: Path
    started: Started
    jobs: list[str] = field(default_factory=list)

    def _get(self, path: str, **params: Any) -> Any:
        try:
            reply = requests.get(f"{self.url}{path}", params=params, timeout=10)
        except requests.RequestException as error:
            raise LabError(f"Prometheus at {self.url} did not answer: {error}. Its log: {self.started.log}") from None
        body = reply.json() if reply.headers.get("content-type", "").startswith("application/json") else {}
        if reply.status_code != 200 or body.get("status") != "success":
            raise LabError(f"Prometheus refused {params.get('query')!r}: {body.get('error') or reply.text[:200]}")
        return body["data"]

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        """The instant vector ``promql`` gives now (or at the Unix time ``at``): ``[{"metric": {...}, "value":
        [time, "text"]}]``; a scalar or string result comes as one item with no labels."""
        params = {"query": promql, **({"time": at} if at is not None else {})}
        data = self._get("/api/v1/query", **params)
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        if data["resultType"] == "matrix":
            raise LabError(
                f"{promql!r} gives a range of samples; ask for one value per series (wrap it in a function)."
            )
        return data["result"]

    def query_range(self, promql: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        """The series ``promql`` gives from ``start`` to ``end`` (Unix times) every ``step`` seconds:
        ``[{"metric": {...}, "values": [[time, "text"], ...]}]``."""
        return self._get("/api/v1/query_range", query=promql, start=start, end=end, step=step)["result"]

    def value(self, promql: str) -> float:
        """The single number ``promql`` gives now; LabError when it gives none or several."""
        result = self.query(promql)
        if len(result) != 1:
            raise LabError(f"{promql!r} gave {len(result)} series, not one: {[r['metric'] for r in result][:3]}")
        return float(result[0]["value"][1])

    def up(self) -> dict[str, float]:
        """``up`` of every job: 1 when its last scrape succeeded, 0 when it failed."""
        return {r["metric"]["job"]: float(r["value"][1]) for r in self.query("up")}

    def last_errors(self) -> dict[str, str]:
        """Each target's last scrape error, as Prometheus reports it (``/api/v1/targets``)."""
        targets = self._get("/api/v1/targets")["activeTargets"]
        return {t["labels"]["job"]: t.get("lastError", "") for t in targets if t.get("lastError")}

    def wait_for_up(self, timeout: float = 60) -> float:
        """Wait until every job's last scrape succeeded (``up == 1``); return how long it took."""

        def describe(up: dict[str, float]) -> str:
            return f"up = {up}; errors: {self.last_errors()}"

        effect = poll_until(
            self.up,
            lambda up: set(self.jobs) <= set(up) and all(up[j] == 1 for j in self.jobs),
            what=f"a successful scrape of every job ({', '.join(self.jobs)})",
            describe=describe,
            timeout=timeout,
            every=0.5,
        )
        return effect.after

    def remove(self) -> None:
        """Stop the server and delete its folder (its configuration, data and log)."""
        stop_program(self.started, grace=5)
        shutil.rmtree(self.folder, ignore_errors=True)


def prometheus_config(jobs: list[dict[str, Any]], interval: str = "2s") -> dict[str, Any]:
    """A Prometheus configuration with ``jobs`` as its scrape jobs."""
    return {"global": {"scrape_interval": interval, "scrape_timeout": interval}, "scrape_configs": jobs}


def start_prometheus(jobs: list[dict[str, Any]], interval: str = "2s", timeout: float = START_TIMEOUT_S) -> Prometheus:
    """Start the pinned Prometheus on a free loopback port, scraping ``jobs``; wait until it is ready.

    Its configuration, data and log live in a new temporary folder, removed by ``remove()`` or when this process
    exits; the server itself stops when this process ends, however it ends."""
    binary = component_binary("prometheus")
    folder = Path(tempfile.mkdtemp(prefix="threeplanes-prometheus-"))
    config = folder / "prometheus.yml"
    config.write_text(yaml.safe_dump(prometheus_config(jobs, interval), sort_keys=False))
    (port,) = free_ports(1)
    command = [
        str(binary),
        f"--config.file={config}",
        f"--storage.tsdb.path={folder / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    started = start_program("prometheus", command, folder, folder, die_with_parent=True)
    server = Prometheus(f"http://127.0.0.1:{port}", folder, started, [j["job_name"] for j in jobs])
    atexit.register(server.remove)

    def ready() -> str:
        if not started.running:
            return "ended"
        try:
            return str(requests.get(f"{server.url}/-/ready", timeout=2).status_code)
        except requests.RequestException:
            return "no answer"

    try:
        poll_until(ready, lambda state: state in ("200", "ended"), what="Prometheus to be ready", timeout=timeout)
    except Exception:
        server.remove()
        raise
    if not started.running:
        tail = started.log.read_text(errors="replace").splitlines()[-5:]
        server.remove()
        raise LabError("Prometheus ended as it started: " + " / ".join(tail))
    return server


# --- pictures -----------------------------------------------------------------------------------


def series_points(result: list[dict[str, Any]], since: float) -> dict[str, tuple[list[float], list[float]]]:
    """A ``query_range`` result as ``{label: (seconds since since, values)}``, one entry per series."""
    points = {}
    for series in result:
        label = ",".join(f"{k}={v}" for k, v in sorted(series["metric"].items())) or "value"
        times = [float(t) - since for t, _ in series["values"]]
        points[label] = (times, [float(v) for _, v in series["values"]])
    return points


def plot_series(lines: Mapping[str, tuple[list[float], list[float]]], title: str, ylabel: str) -> Any:
    """One line per series over time."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 3.5))
    for name, (times, values) in lines.items():
        axes.plot(times, values, marker=".", label=name)
    axes.set_xlabel("seconds since the lab started sending")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend(fontsize="small")
    axes.grid(alpha=0.3)
    plt.close(figure)
    return figure


def unix_time() -> float:
    """The Unix time now, as Prometheus' API takes it."""
    return time.time()
