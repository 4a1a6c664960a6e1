"""Checker: the reader's PromQL answers, run on a Prometheus that scrapes a scenario whose truth the checker knows.

The reader hands in ``my_queries.yaml`` (the namespace's annotation ``threeplanes.io/program`` names it, else the
file in the current folder) with two expressions: ``client_errors_per_second`` and ``biggest_pod``. The checker
starts a control plane of its own, where nobody else sends requests, and three pods in the reader's namespace on
the book's real node, each holding a known amount of memory in ``/dev/shm``, the largest one chosen at random. It
starts the pinned Prometheus scraping that control plane's API server and the real kubelet's cAdvisor (through
the book's API server), drives a steady mix of requests for about half a minute (200, 404 and 409 answers), and
measures the truth on the raw ``/metrics`` pages: how fast the 4xx counters grew, and which pod's cgroup holds
the most memory. Then it runs each expression on Prometheus and compares. The scenario is played once per version
of the file; the framework's second look reads the same outcome. Everything the checker started is removed.
"""

from __future__ import annotations

import random
import secrets
import time
from pathlib import Path
from string import Template

import yaml
from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.programs import found, scenario_steps
from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.control_plane import REAL_NODE_NAME, on_real_node
from threeplanes.kit.effects import poll_until
from threeplanes.kit.lab_planes import lab_control_plane
from threeplanes.kit.wait import wait_for_pods
from threeplanes.system import monitoring
from threeplanes.versions import pinned

FILE = "my_queries.yaml"
QUESTIONS = ("client_errors_per_second", "biggest_pod")
INTERVAL = "2s"  # every scrape job's interval
WINDOW_S = 20  # the question's window
LOAD_S = 26  # seconds of steady requests; the question's window is the last 20 of them
PER_SECOND = {"200": 6, "404": 4, "409": 2}  # requests the checker sends each second, by the code they get
TOLERANCE = 0.2  # how far a rate may be from the measured one (scrapes and the window's edges blur it)
FILLS_MIB = (8, 16, 40)  # memory each pod holds; which pod gets the 40 is drawn at random
PODS = ("cache-a", "cache-b", "cache-c")
MEMORY = "container_memory_working_set_bytes"


def read_answers(path: Path, namespace: str) -> tuple[dict[str, str], Failure | None]:
    """The two expressions of the reader's file, ``$NAMESPACE`` filled in; or why they cannot be read."""
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        return {}, Failure(f"{path} is not valid YAML: {error}", f"write {FILE} as `name: expression` lines")
    data = data if isinstance(data, dict) else {}
    missing = [q for q in QUESTIONS if not isinstance(data.get(q), str) or not data[q].strip()]
    if missing:
        return {}, Failure(
            f"{path} has no expression for {', '.join(missing)}",
            f"give {FILE} the keys {' and '.join(QUESTIONS)}, each a PromQL expression as a string",
        )
    return {q: Template(data[q]).safe_substitute(NAMESPACE=namespace) for q in QUESTIONS}, None


def filler(name: str, mib: int, run: str) -> dict:
    command = f"dd if=/dev/zero of=/dev/shm/fill bs=1048576 count={mib} && exec sleep 3600"
    container = {"name": name, "image": pinned().images["busybox"], "command": ["sh", "-c", command]}
    spec = on_real_node({"terminationGracePeriodSeconds": 1, "containers": [container]})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"checker": "s11-promql", "run": run}},
        "spec": spec,
    }


def client_error_total(plane) -> float:
    """Every 4xx answer the control plane's API server has counted, read from its raw /metrics."""
    samples = monitoring.parse_metrics(plane.get_raw("/metrics"))
    return sum(s.value for s in samples if s.name == "apiserver_request_total" and s.labels["code"].startswith("4"))


def drive(plane, namespace: str, seconds: float) -> None:
    """Send the steady mix of PER_SECOND requests for ``seconds``."""
    core = plane.core
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        tick = time.monotonic()
        for _ in range(PER_SECOND["200"]):
            core.read_namespaced_config_map("present", namespace)
        for code, call in (
            ("404", lambda: core.read_namespaced_config_map("absent", namespace)),
            ("409", lambda: core.create_namespaced_config_map(namespace, {"metadata": {"name": "present"}})),
        ):
            for _ in range(PER_SECOND[code]):
                try:
                    call()
                except client.ApiException as error:
                    if str(error.status) != code:
                        raise
        time.sleep(max(0.0, 1 - (time.monotonic() - tick)))


def memory_by_pod(book, namespace: str) -> dict[str, float]:
    """The working set of each pod of ``namespace`` on the real node, from cAdvisor's raw page (the pod's cgroup)."""
    page = monitoring.parse_metrics(book.get_raw(monitoring.node_proxy_path(REAL_NODE_NAME, "metrics/cadvisor")))
    return {s.labels["pod"]: s.value for s in monitoring.matching(page, MEMORY, namespace=namespace) if s.labels["pod"]}


def ask(prometheus: monitoring.Prometheus, expression: str) -> tuple[list[dict], Failure | None]:
    try:
        return prometheus.query(expression), None
    except LabError as error:
        return [], Failure(f"Prometheus could not run {expression!r}: {error}", "fix the expression's syntax first")


def judge_rate(prometheus: monitoring.Prometheus, expression: str, truth: float, counted: float) -> Failure | None:
    result, failure = ask(prometheus, expression)
    if failure:
        return failure
    if not result:
        return Failure(
            f"{expression!r} gave no series at all",
            "a range like [20s] must hold at least two scrapes (here every 2 s) for rate() or irate() to give a "
            'value, and label values must match exactly (code=~"4.." matches every 4xx code)',
        )
    if len(result) > 1:
        return Failure(
            f"{expression!r} gave {len(result)} series ({[r['metric'] for r in result][:3]})",
            "add them up into one number: sum(...)",
        )
    answer = float(result[0]["value"][1])
    if abs(answer - truth) <= TOLERANCE * truth:
        return None
    seen = f"{expression!r} gave {answer:.2f}, while the API server answered {truth:.2f} client errors per second"
    if counted and abs(answer - counted) <= 0.5 * counted:
        return Failure(
            seen + f" (its 4xx counters add up to {counted:.0f})",
            "a counter only grows, so its value is a total since the API server started: ask how fast it grows, "
            "with rate(...[20s])",
        )
    if answer > truth:
        return Failure(
            seen, 'that counts more than the 4xx answers: filter on the label code, code=~"4.." (a regular expression)'
        )
    return Failure(
        seen,
        "that counts fewer than every 4xx answer: 404 Not Found and 409 Conflict are both client errors, so match "
        'the code with a regular expression, code=~"4..", over the last 20 seconds',
    )


def judge_pod(prometheus: monitoring.Prometheus, expression: str, namespace: str, truth: str) -> Failure | None:
    result, failure = ask(prometheus, expression)
    if failure:
        return failure
    if not result:
        return Failure(f"{expression!r} gave no series", f"select {MEMORY} of your namespace ($NAMESPACE)")
    if len(result) > 1:
        return Failure(
            f"{expression!r} gave {len(result)} series, not one",
            "keep only the largest: topk(1, ...) after summing by pod",
        )
    labels = result[0]["metric"]
    pod = labels.get("pod")
    if pod is None:  # Prometheus drops empty labels: a pod label summed away, or a cgroup of no pod
        if "namespace" not in expression:
            return Failure(
                f"{expression!r} gave a series with no pod label ({labels}): the cgroups that belong to no pod "
                "(the node's own among them) add up to more than any pod",
                f'select only your namespace\'s series: {MEMORY}{{namespace="$NAMESPACE"}}, summed by pod',
            )
        return Failure(
            f"{expression!r} gave a series without a pod label ({labels})", "keep the pod label: sum by (pod) (...)"
        )
    if pod != truth:
        return Failure(
            f"{expression!r} named the pod {pod!r}, while the pod of {namespace} that holds the most memory is {truth}",
            f'select only your namespace\'s series: {MEMORY}{{namespace="$NAMESPACE"}}, summed by pod',
        )
    return None


def play(ctx: Context, path: Path) -> dict[str, Failure | None]:
    answers, failure = read_answers(path, ctx.namespace)
    if failure:
        return {"readable": failure}
    results: dict[str, Failure | None] = {"readable": None}
    book = ctx.cluster
    run = secrets.token_hex(2)  # names of this play's own: a pod of an earlier check may still be going
    sizes = dict(zip((f"{p}-{run}" for p in PODS), random.sample(FILLS_MIB, len(FILLS_MIB)), strict=True))
    own = prometheus = None
    try:
        for name, mib in sizes.items():
            book.core.create_namespaced_pod(ctx.namespace, filler(name, mib, run))
        own = lab_control_plane("exercise-s11-promql")
        own.cluster.core.create_namespace({"metadata": {"name": "traffic"}})
        own.cluster.core.create_namespaced_config_map("traffic", {"metadata": {"name": "present"}})
        mine = monitoring.apiserver_access(own.cluster.kubeconfig)
        books = monitoring.apiserver_access(book.kubeconfig)
        cadvisor = monitoring.node_proxy_path(REAL_NODE_NAME, "metrics/cadvisor")
        jobs = [
            monitoring.scrape_job("apiserver", mine.address, "https", interval=INTERVAL, tls_config=mine.tls_config),
            monitoring.scrape_job("cadvisor", books.address, "https", cadvisor, INTERVAL, tls_config=books.tls_config),
        ]
        prometheus = monitoring.start_prometheus(jobs, interval=INTERVAL)
        prometheus.wait_for_up(timeout=60)
        drive(own.cluster, "traffic", LOAD_S - WINDOW_S)
        before, since = client_error_total(own.cluster), time.monotonic()
        drive(own.cluster, "traffic", WINDOW_S)
        after = client_error_total(own.cluster)
        truth_rate = (after - before) / (time.monotonic() - since)
        results["client errors per second"] = judge_rate(
            prometheus, answers["client_errors_per_second"], truth_rate, after
        )
        wait_for_pods(book, ctx.namespace, f"checker=s11-promql,run={run}", len(PODS), timeout=60)
        largest = max(sizes, key=sizes.get)
        measured = poll_until(
            lambda: memory_by_pod(book, ctx.namespace),
            lambda seen: all(seen.get(p, 0) >= mib * 2**20 for p, mib in sizes.items()),
            what="cAdvisor's measure of the memory each pod holds",
            timeout=60,
            every=2,
        ).seen
        truth_pod = max(measured, key=measured.get)
        query = f'max({MEMORY}{{namespace="{ctx.namespace}",pod="{largest}"}})'
        poll_until(
            lambda: prometheus.query(query),
            lambda seen: bool(seen) and float(seen[0]["value"][1]) >= sizes[largest] * 2**20,
            what=f"Prometheus' scrape of {largest}'s memory",
            timeout=30,
        )
        results["biggest pod"] = judge_pod(prometheus, answers["biggest_pod"], ctx.namespace, truth_pod)
    except (LabError, WaitTimeout) as error:
        unplayed = Failure(
            f"the checker's scenario could not be played: {error}",
            "check that the book's cluster runs with its real node (make cluster), then check again",
        )
        for name in ("client errors per second", "biggest pod"):
            results.setdefault(name, unplayed)
    finally:
        if prometheus is not None:
            prometheus.remove()
        if own is not None:
            own.remove()
        for name in sizes:
            try:
                book.core.delete_namespaced_pod(name, ctx.namespace, grace_period_seconds=0)
            except client.ApiException as error:
                if error.status != 404:
                    raise
    return results


step = scenario_steps(FILE, play, reuse=300)
FOUND = Criterion("The answers are handed in", found(FILE, "your two PromQL expressions"))
READABLE = Criterion("The file gives both expressions", step("readable"), needs=(FOUND,))
CHECKER = Checker(
    "Answer in PromQL",
    [
        FOUND,
        READABLE,
        Criterion("Client errors per second", step("client errors per second"), needs=(READABLE,)),
        Criterion("The pod that uses the most memory", step("biggest pod"), needs=(READABLE,)),
    ],
)
