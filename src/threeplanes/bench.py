"""Benchmarks: how long the book's machinery takes, written to ``bench/results.json``.

Run with ``make bench`` (``threeplanes bench``; ``--only a,b`` runs some steps, ``--list``
names them). Every step is timed on its own: a step that fails is recorded with
its error in one line and the run goes on, and the file is rewritten after each step, so an
interrupted run keeps what it measured. The page ``book/benchmarks.md`` draws the file.

The steps restart the local cluster to time its start, so a run leaves a fresh cluster
running; the floor it is compared with is a bare ``kwokctl create cluster`` with the same
binaries, in a working directory of its own, timed in the same run and deleted at once.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threeplanes.errors import LabError, ProvisioningError
from threeplanes.provision import binaries, local, paths, processes, realnode
from threeplanes.provision import cluster as book_cluster
from threeplanes.provision.processes import WORKERS
from threeplanes.versions import pinned

ROOT = paths.REPO_ROOT
RESULTS = ROOT / "bench" / "results.json"  # this machine's last run (not in git)
REFERENCE = ROOT / "bench" / "reference.json"  # a whole run on the book's own machine, kept in git
LOGS = ROOT / "bench"

Measured = float | dict[str, float]


class UnknownStep(LabError):
    """A step named with ``--only`` that the bench does not have."""


@dataclass(frozen=True)
class Step:
    """One figure: how it is measured, in which unit, and what it is compared with."""

    name: str
    label: str
    unit: str
    measure: Callable[[], Measured]
    target: float | None = None


def timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    return round(time.monotonic() - started, 2)


def run_logged(name: str, command: list[str], timeout: float, env: dict[str, str] | None = None) -> float:
    """Time ``command`` with its output in ``bench/<name>.log``; a failure says where to read why."""
    log_path = LOGS / f"{name}.log"
    with open(log_path, "w") as log_file:
        started = time.monotonic()
        result = processes.run(
            command,
            cwd=ROOT,
            stdout=log_file,
            stderr=processes.STDOUT,
            timeout=timeout,
            env=env or dict(os.environ),
            check=False,
        )
        elapsed = round(time.monotonic() - started, 2)
    if result.returncode != 0:
        raise ProvisioningError(
            f"`{' '.join(command)}` exited with {result.returncode} after {elapsed:g} s; see {log_path}"
        )
    return elapsed


# --- provisioning -----------------------------------------------------------------------------


def every_binary() -> dict[str, float]:
    """Provision the control plane's binaries, then the real node's where provisioning gets them; seconds each."""
    parts = {"control plane": timed(binaries.ensure_all)}
    if realnode.binaries_wanted():
        parts["real node"] = timed(binaries.ensure_node)
    return {**parts, "total": round(sum(parts.values()), 2)}


@contextmanager
def caches_at(locations: dict[str, str]) -> Iterator[None]:
    """Point the environment variables ``locations`` names at other caches, and ignore any named
    binary directory, for the time of a step."""
    names = [*locations, binaries.BIN_DIR_ENV]
    saved = {name: os.environ.pop(name, None) for name in names}
    os.environ.update(locations)
    try:
        yield
    finally:
        for name in names:
            os.environ.pop(name, None)
        os.environ.update({name: value for name, value in saved.items() if value is not None})


def provisioning_cold() -> dict[str, float]:
    """Every binary into an empty cache (Go's own caches stay warm)."""
    with tempfile.TemporaryDirectory() as empty, caches_at({paths.CACHE_ENV: empty}):
        return every_binary()


def provisioning_from_scratch() -> dict[str, float]:
    """Every binary into an empty cache, with Go's module and build caches empty too: a machine that
    never built anything. Where the official downloads answer, most of it is downloading; where they
    do not (as on the book's machine), every binary is built through the Go module proxy."""
    with tempfile.TemporaryDirectory(prefix="bench-scratch-") as empty:
        modules = f"{empty}/go-mod"
        caches = {paths.CACHE_ENV: f"{empty}/book", "GOMODCACHE": modules, "GOCACHE": f"{empty}/go-build"}
        with caches_at(caches):
            try:
                return every_binary()
            finally:
                if Path(modules).exists():  # Go writes its module cache read-only; only Go empties it
                    processes.run(["go", "clean", "-modcache"], capture_output=True, timeout=600)


# --- the cluster ------------------------------------------------------------------------------


def cluster_start() -> float:
    book_cluster.down()
    return timed(lambda: book_cluster.up("local"))


def bare_kwokctl_start() -> float:
    """The floor: a bare local control plane (``kwokctl create cluster`` with the same binaries, no configuration,
    no nodes, no metrics-server), in a working directory of its own."""
    binaries.ensure_all()
    with tempfile.TemporaryDirectory(prefix="kwok-floor-") as workdir:
        bare = local.Local("bench-bare", Path(workdir))
        try:
            return timed(lambda: bare.up(timeout=120))
        finally:
            if bare.create_log().exists():
                shutil.copyfile(bare.create_log(), LOGS / "bare_kwokctl_start.log")
            bare.down()


def parallel_share(results: dict[str, Any]) -> float:
    """The parallel lab suite's wall time as a share of the sum of the labs' own times (run one at a time)."""
    serial, parallel = (results.get(k, {}) for k in ("lab_suite_serial_s", "lab_suite_parallel_s"))
    if "parts" not in serial or "value" not in parallel:
        raise ProvisioningError("needs both lab_suite_serial_s and lab_suite_parallel_s from this run")
    return round(parallel["value"] / sum(serial["parts"].values()), 2)


def real_node_ready() -> float:
    """Seconds from kube-apiserver's start to the real node's Ready condition (when the cluster last started)."""
    import psutil

    from threeplanes.kit.connect import connect
    from threeplanes.kit.wait import node_ready_condition
    from threeplanes.provision.realnode import NODE_NAME

    apiserver = next((p for p in local.Local.book().processes() if p.name == "kube-apiserver" and p.running), None)
    if apiserver is None:
        raise ProvisioningError("the local cluster's kube-apiserver is not running")
    node = connect().core.read_node(NODE_NAME)
    ready = node_ready_condition(node)
    if ready is None or ready.status != "True":
        raise ProvisioningError(f"{NODE_NAME} is not Ready")
    return round(ready.last_transition_time.timestamp() - psutil.Process(apiserver.pid).create_time(), 1)


def pod_to_running(real: bool) -> float:
    """A pod's time from its creation to Running, on the real node or on a simulated one."""
    from threeplanes.kit.connect import connect
    from threeplanes.kit.namespaces import delete_namespace, lab_namespace
    from threeplanes.kit.wait import wait_for_pods
    from threeplanes.provision.realnode import on_real_node

    cluster = connect()
    if real and not cluster.can_show("timing a pod on the real node"):
        raise ProvisioningError("no real node is Ready on this cluster")
    namespace = lab_namespace(cluster, "bench")
    spec = {"containers": [{"name": "web", "image": pinned().images["web"], "args": ["netexec"]}]}
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "timed", "labels": {"app": "timed"}}}
    body["spec"] = on_real_node(spec) if real else spec
    try:
        return timed(
            lambda: (
                cluster.core.create_namespaced_pod(namespace, body),
                wait_for_pods(cluster, namespace, "app=timed", 1, lambda p: p.status.phase == "Running"),
            )
        )
    finally:
        delete_namespace(cluster, namespace)


def start_over_floor(results: dict[str, Any]) -> float:
    """How many times the floor the book's cluster takes to start (same binaries, same run)."""
    start, floor = (results.get(k, {}).get("value") for k in ("cluster_start_s", "bare_kwokctl_start_s"))
    if not start or not floor:
        raise ProvisioningError("needs both cluster_start_s and bare_kwokctl_start_s from this run")
    return round(start / floor, 2)


def control_plane_memory_mib() -> float:
    """Resident memory of every component process of the local cluster, summed."""
    import psutil

    total = 0
    for process in local.Local.book().processes():
        if process.running:
            try:
                total += psutil.Process(process.pid).memory_info().rss
            except psutil.NoSuchProcess:
                continue
    if not total:
        raise ProvisioningError("no component process of the local cluster is running")
    return round(total / 2**20, 1)


def deployment_ready() -> float:
    """A 3-replica Deployment created and waited for until every replica is Ready."""
    from kubernetes import client

    from threeplanes.kit.connect import connect
    from threeplanes.kit.namespaces import delete_namespace, lab_namespace
    from threeplanes.kit.wait import wait_for_rollout

    cluster = connect()
    namespace = lab_namespace(cluster, "bench")
    labels = {"app": "bench"}
    body = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="bench"),
        spec=client.V1DeploymentSpec(
            replicas=3,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="web", image=pinned().images["web"])]),
            ),
        ),
    )
    try:
        return timed(
            lambda: (
                cluster.apps.create_namespaced_deployment(namespace, body),
                wait_for_rollout(cluster, namespace, "bench"),
            )
        )
    finally:
        delete_namespace(cluster, namespace)


def lab_plane_start() -> float:
    """A lab's own control plane (``kit.lab_planes``), from the call to a connected client: kwokctl starts
    etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok's controller, and waits for them."""
    from threeplanes.kit.lab_planes import lab_control_plane

    planes = []
    try:
        return timed(lambda: planes.append(lab_control_plane("bench")))
    finally:
        for own in planes:
            own.remove()


def lab_plane_component_restart() -> dict[str, float]:
    """On a lab's own control plane, each of kube-scheduler and kube-controller-manager stopped, then
    started again and timed until its ``/healthz`` answers ok; the total is the slower of the two."""
    import ssl
    import urllib.request

    from threeplanes.kit.lab_planes import lab_control_plane

    insecure = ssl.create_default_context()
    insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE  # the component's own certificate

    def healthy(port: str) -> bool:
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", timeout=1, context=insecure) as reply:
                return reply.read() == b"ok"
        except OSError:
            return False

    def restart(plane: Any, component: str) -> None:
        port = plane.flags(component)["secure-port"]
        plane.stop_component(component)
        plane.start_component(component)
        deadline = time.monotonic() + 60
        while not healthy(port):
            if time.monotonic() > deadline:
                raise ProvisioningError(f"{component} did not answer /healthz within 60 s of its start")
            time.sleep(0.05)

    with lab_control_plane("bench") as own:
        parts = {
            name: round(timed(lambda name=name: restart(own.plane, name)), 2)
            for name in ("kube-scheduler", "kube-controller-manager")
        }
    return {"total": max(parts.values()), **parts}


SCHEDULED_PODS, SCHEDULING_NODES = 1000, 100
# The scheduler the S3 lab has the reader write (round robin over the Ready nodes, a Binding and an event per
# pod), taken from the lab's page: the cell that writes it to a file.
SCHEDULER_LAB = ROOT / "labs" / "s3-scheduler.md"


def readers_scheduler(folder: Path) -> Path:
    """The S3 lab's scheduler, written to ``folder`` as the lab writes it."""
    cells = SCHEDULER_LAB.read_text().split("```{code-cell} ipython3\n")
    (source,) = [cell.split("\n", 1)[1].split("\n```", 1)[0] for cell in cells if cell.startswith("%%writefile")]
    program = folder / "my_scheduler.py"
    program.write_text(source + "\n")
    return program


def scheduling_throughput() -> dict[str, float]:
    """Two schedulers' throughput on a lab's own control plane with ``SCHEDULING_NODES`` simulated nodes, each
    given ``SCHEDULED_PODS`` small pods created before it starts: kube-scheduler (the total) and the Python
    scheduler of the S3 lab; pods bound per second from the first binding seen to the last, and the seconds
    each took."""
    from threeplanes.kit.control_plane import Node
    from threeplanes.kit.lab_planes import lab_control_plane
    from threeplanes.kit.namespaces import lab_namespace
    from threeplanes.kit.nodes import wait_for_schedulable
    from threeplanes.kit.programs import run_reader_code
    from threeplanes.system.scheduling import bind_times, create_pods, pod, rate

    def queue(scheduler: str) -> None:
        bodies = [
            pod(f"{scheduler}-{i:04d}", {"bench": scheduler}, cpu="10m", scheduler=scheduler)
            for i in range(SCHEDULED_PODS)
        ]
        create_pods(own.cluster, namespace, bodies)

    nodes = tuple(
        Node(f"node-{i:03d}", zone=f"zone-{'ab'[i % 2]}", cpu="32", memory="64Gi") for i in range(SCHEDULING_NODES)
    )
    with lab_control_plane("bench-scheduling", nodes=nodes) as own:
        namespace = lab_namespace(own.cluster, "bench-scheduling")
        # Pods queued before every node is Ready would wait out the scheduler's back-off, not its work.
        wait_for_schedulable(own.cluster, "type=kwok", SCHEDULING_NODES, timeout=300)
        own.plane.stop_component("kube-scheduler")
        queue("default-scheduler")
        own.plane.start_component("kube-scheduler")
        default = bind_times(own.cluster, namespace, "bench=default-scheduler", SCHEDULED_PODS, timeout=600)
        queue("my-scheduler")
        program = readers_scheduler(own.folder)
        mine = run_reader_code(program, kubeconfig=own.cluster.kubeconfig, args=["my-scheduler"], deadline=900)
        try:
            times = bind_times(own.cluster, namespace, "bench=my-scheduler", SCHEDULED_PODS, timeout=900)
        finally:
            mine.stop()
    return {
        "total": round(rate(default), 1),
        "seconds": round(default[-1] - default[0], 1),
        "readers_pods_per_s": round(rate(times), 1),
        "readers_seconds": round(times[-1] - times[0], 1),
    }


# --- labs, tests, the book ---------------------------------------------------------------------


def lab_times(junit: Path) -> dict[str, float]:
    """Each lab's time from pytest's JUnit report (``test_lab_runs_top_to_bottom[<lab>]``)."""
    times = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        name = case.get("name", "")
        if name.startswith("test_lab_runs_top_to_bottom[") and case.find("skipped") is None:
            times[name.split("[", 1)[1].rstrip("]")] = round(float(case.get("time", 0)), 2)
    return times


def lab_suite(workers: int) -> dict[str, float]:
    junit = LOGS / f"labs-{workers}.xml"
    command = [sys.executable, "-m", "pytest", "-q", "tests/labs", f"--junitxml={junit}"]
    if workers > 1:
        command += ["-n", str(workers), "--dist", "worksteal"]
    total = run_logged(f"lab_suite_{'serial' if workers == 1 else 'parallel'}", command, timeout=3600)
    return {"total": total, **lab_times(junit)}


def make_test() -> float:
    return run_logged("make_test", ["make", "test"], timeout=2 * 3600)


def book_build(cold: bool) -> float:
    """``make book`` from nothing (every page with code executed, several at a time, then built), or
    the build alone on the execution cache that run left."""
    if cold:
        shutil.rmtree(ROOT / "_build", ignore_errors=True)
        return run_logged("book_build_cold", ["make", "book"], timeout=3600)
    jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
    return run_logged("book_build_cached", [jupyter_book, "build", "--all", "-W", "--keep-going", "."], timeout=3600)


STEPS = [
    Step("provisioning_cached_s", "provisioning, binaries cached", "s", every_binary),
    Step("provisioning_cold_s", "provisioning, empty cache (Go's caches warm)", "s", provisioning_cold),
    Step("provisioning_scratch_s", "provisioning, every cache empty (Go's too)", "s", provisioning_from_scratch),
    Step("cluster_start_s", "local cluster start", "s", cluster_start, target=15.0),
    Step("bare_kwokctl_start_s", "bare `kwokctl create cluster`, same binaries", "s", bare_kwokctl_start),
    Step("lab_plane_start_s", "a lab's own control plane, started and connected", "s", lab_plane_start, target=5.0),
    Step(
        "lab_plane_component_restart_s",
        "a lab plane's scheduler, controller manager: restart to /healthz",
        "s",
        lab_plane_component_restart,
        target=2.0,
    ),
    Step(
        "scheduling_pods_per_s",
        f"placing {SCHEDULED_PODS} pods on {SCHEDULING_NODES} nodes: kube-scheduler, then the reader's",
        "pods/s",
        scheduling_throughput,
    ),
    Step("control_plane_rss_mib", "control-plane memory (RSS)", "MiB", control_plane_memory_mib),
    Step("deployment_ready_s", "3-replica Deployment to Ready", "s", deployment_ready, target=5.0),
    Step("real_node_ready_s", "real node Ready, after kube-apiserver started", "s", real_node_ready),
    Step("pod_running_real_s", "a pod created to Running, on the real node", "s", lambda: pod_to_running(True)),
    Step(
        "pod_running_simulated_s", "a pod created to Running, on a simulated node", "s", lambda: pod_to_running(False)
    ),
    Step("lab_suite_serial_s", "lab suite, one after another", "s", lambda: lab_suite(1)),
    Step("lab_suite_parallel_s", f"lab suite, {WORKERS} at a time", "s", lambda: lab_suite(WORKERS)),
    Step("make_test_s", "`make test`", "s", make_test, target=20 * 60.0),
    Step("book_build_cold_s", "book build, cold (every lab executed)", "s", lambda: book_build(cold=True)),
    Step("book_build_cached_s", "book build, cached", "s", lambda: book_build(cold=False)),
]


def machine() -> dict[str, Any]:
    try:
        commit = processes.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, timeout=10)
        revision = commit.stdout.strip() or None
    except ProvisioningError:
        revision = None
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "kubernetes": pinned().kubernetes,
        "commit": revision,
    }


def record(step: Step, outcome: Measured | BaseException, seconds: float) -> dict[str, Any]:
    entry: dict[str, Any] = {"label": step.label, "unit": step.unit, "took_s": round(seconds, 2)}
    if step.target is not None:
        entry["target"] = step.target
    if isinstance(outcome, BaseException):
        entry["error"] = " ".join(str(outcome).split()) or type(outcome).__name__
    elif isinstance(outcome, dict):
        entry["value"] = outcome["total"]
        entry["parts"] = {k: v for k, v in outcome.items() if k != "total"}
    else:
        entry["value"] = outcome
    return entry


def save(results: dict[str, Any]) -> None:
    """Write ``results``, keeping the soak's figures that the file holds (``make soak`` writes them)."""
    try:
        previous = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        previous = {}
    kept = {"soak": previous["soak"]} if isinstance(previous, dict) and "soak" in previous else {}
    RESULTS.parent.mkdir(exist_ok=True)
    part = RESULTS.with_suffix(".part")
    part.write_text(json.dumps({**results, **kept}, indent=2) + "\n")
    part.replace(RESULTS)


def run_steps(steps: list[Step], kept: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run each step, recording its value or its error; never stop at a failure.

    ``kept`` (a previous run's steps) are written beside the new ones, each with the commit and
    time it was measured at, so that ``--only`` measures a step again without losing the rest.
    """
    results: dict[str, Any] = {"machine": machine(), "steps": dict(kept or {})}
    if {"cluster_start_s", "bare_kwokctl_start_s"} <= {s.name for s in steps}:
        over_floor = Step(
            "cluster_start_over_floor",
            "cluster start ÷ bare kwokctl start",
            "×",
            lambda: start_over_floor(results["steps"]),
        )
        steps = [*steps, over_floor]
    if {"lab_suite_serial_s", "lab_suite_parallel_s"} <= {s.name for s in steps}:
        share = Step(
            "lab_suite_parallel_share",
            f"lab suite {WORKERS} at a time ÷ sum of the labs' own times",
            "×",
            lambda: parallel_share(results["steps"]),
            target=0.55,
        )
        steps = [*steps, share]
    for step in steps:
        print(f"[bench] {step.label} …", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            outcome: Measured | BaseException = step.measure()
        except Exception as error:  # any failure is a result to report, not a reason to stop
            outcome = error
        entry = record(step, outcome, time.monotonic() - started)
        results["steps"][step.name] = {
            **entry,
            "when": results["machine"]["when"],
            "commit": results["machine"]["commit"],
        }
        results["steps"] = in_page_order(results["steps"])
        save(results)
    return results


def in_page_order(steps: dict[str, Any]) -> dict[str, Any]:
    """The figures in the order of ``STEPS`` (a step measured again with ``--only`` keeps its place),
    the ratios derived from them last."""
    position = {step.name: index for index, step in enumerate(STEPS)}
    return dict(sorted(steps.items(), key=lambda item: position.get(item[0], len(position))))


def report(results: dict[str, Any]) -> str:
    lines = []
    for entry in results["steps"].values():
        if "error" in entry:
            lines.append(f"{entry['label']:48s}   FAILED: {entry['error']}")
            continue
        verdict = ""
        if "target" in entry:
            verdict = f"  (target ≤ {entry['target']:g}: {'met' if entry['value'] <= entry['target'] else 'MISSED'})"
        lines.append(f"{entry['label']:48s} {entry['value']:10.2f} {entry['unit']}{verdict}")
    return "\n".join(lines)


# --- the book's page ---------------------------------------------------------------------------


def load_results(path: Path | None = None) -> dict[str, Any] | None:
    """A run's results (``bench/results.json`` unless ``path``); None when no readable file of this format."""
    try:
        results = json.loads((path or RESULTS).read_text())
    except (OSError, ValueError):
        return None
    steps = results.get("steps") if isinstance(results, dict) else None
    if not isinstance(steps, dict) or not all(isinstance(e, dict) and "label" in e for e in steps.values()):
        return None  # written by an older `make bench`: one number per key, no labels
    return results


def shown_results() -> tuple[dict[str, Any] | None, str]:
    """What the page shows: this machine's last run if there is one, else the reference run; and which it is."""
    results = load_results(RESULTS)
    if results is not None:
        return results, f"this machine's last `make bench` (bench/{RESULTS.name})"
    results = load_results(REFERENCE)
    if results is not None:
        return results, f"the reference run kept with the book (bench/{REFERENCE.name}); `make bench` measures yours"
    return None, ""


def results_table(results: dict[str, Any]) -> Any:
    """Every figure with its unit and target, failures with their error, then the parts of each figure
    that has some (each lab's time, the real node's binaries)."""
    from threeplanes.kit.tables import Table

    rows = []
    for entry in results["steps"].values():
        value = f"FAILED: {entry['error']}" if "error" in entry else f"{entry['value']:g} {entry['unit']}"
        target = f"≤ {entry['target']:g} {entry['unit']}" if "target" in entry else ""
        rows.append([entry["label"], value, target])
    for entry in results["steps"].values():
        for part, seconds in sorted((entry.get("parts") or {}).items()):
            rows.append([f"{entry['label']}: {part}", f"{seconds:g} s", ""])
    return Table(["measure", "result", "target"], rows)


def results_chart(results: dict[str, Any]) -> Any:
    """A horizontal bar chart of every figure measured in seconds."""
    import matplotlib.pyplot as plt

    timed_steps = [e for e in results["steps"].values() if e.get("unit") == "s" and "value" in e]
    figure, axes = plt.subplots(figsize=(7, 0.4 * len(timed_steps) + 1))
    axes.barh([e["label"] for e in timed_steps], [e["value"] for e in timed_steps], color="#1e3a8a")
    axes.set_xscale("log")
    axes.set_xlabel("seconds (log scale)")
    axes.invert_yaxis()
    when = results.get("machine", {}).get("when", "?")
    axes.set_title(f"Measured {when} on {results.get('machine', {}).get('cpus', '?')} CPUs")
    figure.tight_layout()
    plt.close(figure)  # shown once, by whoever displays it, not again by the notebook's inline backend
    return figure


def step_list() -> str:
    """Every step's name and what it measures, one a line (``threeplanes bench --list``)."""
    return "\n".join(f"{s.name:28s} {s.label}" for s in STEPS)


def measure_steps(only: str | None = None) -> int:
    """Measure every step, or those named comma-separated in ``only`` (the last run's other figures are kept),
    and print the report; 1 when a step failed."""
    chosen = STEPS
    if only:
        wanted = only.split(",")
        unknown = sorted(set(wanted) - {s.name for s in STEPS})
        if unknown:
            raise UnknownStep(f"no bench step is called {', '.join(unknown)}; --list names them")
        chosen = [s for s in STEPS if s.name in wanted]
    previous = load_results(RESULTS) if only else None
    results = run_steps(chosen, kept=previous["steps"] if previous else None)
    print(report(results))
    print(f"written to {RESULTS}")
    return 1 if any("error" in e for e in results["steps"].values()) else 0
