"""Checker: a score of your own, read back from the cluster part by part.

The brief: a ConfigMap ``greeting`` with the key ``GREETING``; a Deployment ``web`` of three
ready replicas that request CPU and memory and read ``GREETING`` from that ConfigMap; a
Service ``web`` on port 80 that selects those pods and forwards to a port they declare; a
CronJob ``nightly-report`` that runs once a night, between 22:00 and 06:00.
"""

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
from threeplanes.functional.compose import ROOT_CA, daily_times
from threeplanes.functional.services import is_headless, ready_endpoints, resolve_target_port, serving_port
from threeplanes.kit.wait import rollout_complete, rollout_state

KEY = "GREETING"
REPLICAS = 3
NIGHT_HOURS = {22, 23, 0, 1, 2, 3, 4, 5}


def read(ctx: Context, kind: str):
    if kind == "deployment":
        return criteria.deployment(ctx, "web")
    readers = {
        "configmap": (ctx.cluster.core.read_namespaced_config_map, "greeting"),
        "service": (ctx.cluster.core.read_namespaced_service, "web"),
        "cronjob": (ctx.cluster.batch.read_namespaced_cron_job, "nightly-report"),
    }
    read_one, name = readers[kind]
    return ctx.get(read_one, name, ctx.namespace)


def selector_text(labels: dict | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "nothing"


def web_pods(ctx: Context) -> list:
    return criteria.deployment_pods(ctx, "web")


def containers(ctx: Context) -> list:
    return read(ctx, "deployment").spec.template.spec.containers


# --- The ConfigMap ---------------------------------------------------------------------------


def configmap_holds_greeting(ctx: Context) -> Failure | None:
    configmap = read(ctx, "configmap")
    if configmap is None:
        others = [c.metadata.name for c in ctx.cluster.core.list_namespaced_config_map(ctx.namespace).items]
        others = [name for name in others if name != ROOT_CA]
        return Failure(
            f"ConfigMaps here: {', '.join(others)}" if others else "no ConfigMap named greeting",
            f"kubectl create configmap greeting --from-literal={KEY}='Hello' -n {ctx.namespace}",
        )
    data = configmap.data or {}
    if not data.get(KEY, "").strip():
        saw = f"the key {KEY} is empty" if KEY in data else f"keys in ConfigMap greeting: {sorted(data) or 'none'}"
        return Failure(saw, f"put the greeting under the key {KEY} (keys are case-sensitive)")
    return None


# --- The Deployment --------------------------------------------------------------------------


def greeting_sources(container) -> list[tuple[str, str | None]]:
    """Where one container gets GREETING, strongest first: an ``env`` entry wins over ``envFrom``.

    ('ref', 'name/key') or ('literal', value) from ``env``; ('from', 'name') for each ConfigMap its
    ``envFrom`` takes whole (without a prefix), in order; empty when nothing sets it.
    """
    for env in container.env or []:
        if env.name == KEY:
            ref = env.value_from.config_map_key_ref if env.value_from else None
            return [("ref", f"{ref.name}/{ref.key}")] if ref is not None else [("literal", env.value)]
    return [
        ("from", src.config_map_ref.name) for src in container.env_from or [] if src.config_map_ref and not src.prefix
    ]


def greeting_source(ctx: Context) -> tuple[str, str | None]:
    """How the web containers get GREETING: the first container that reads it from ConfigMap greeting
    wins; otherwise what the first container that sets it at all does; ('none', None) if none does."""
    found = [greeting_sources(c) for c in containers(ctx)]
    for sources in found:
        if sources and sources[0] in {("ref", f"greeting/{KEY}"), ("from", "greeting")}:
            return sources[0]
    return next((sources[0] for sources in found if sources), ("none", None))


def reads_greeting(ctx: Context) -> Failure | None:
    how, what = greeting_source(ctx)
    if (how, what) in {("ref", f"greeting/{KEY}"), ("from", "greeting")}:
        return None
    fix = f"in the container, set env {KEY} with valueFrom.configMapKeyRef: {{name: greeting, key: {KEY}}}"
    saw = {
        "ref": f"{KEY} reads ConfigMap {what} (name/key)",
        "from": f"the containers take their environment from ConfigMap {what}",
        "literal": f"{KEY} is written in the pod template as the literal {what!r}, not read from the ConfigMap "
        "(an env entry wins over envFrom)",
        "none": f"no container of Deployment web sets {KEY}",
    }[how]
    if how == "literal":
        fix += f", or remove the literal {KEY} from env so that envFrom's value counts"
    return Failure(saw, fix)


def requests_resources(ctx: Context) -> Failure | None:
    missing = []
    for container in containers(ctx):
        requests = (container.resources.requests if container.resources else None) or {}
        missing += [f"{container.name}: {r}" for r in ("cpu", "memory") if r not in requests]
    if missing:
        return Failure(
            f"no request for {', '.join(missing)}",
            "add resources.requests with cpu and memory to each container: the scheduler places pods by them",
        )
    return None


def three_ready(ctx: Context) -> Failure | None:
    deployment = read(ctx, "deployment")
    if deployment.spec.replicas != REPLICAS:
        return Failure(
            f"spec.replicas is {deployment.spec.replicas}", f"kubectl scale deployment web --replicas={REPLICAS}"
        )
    if not rollout_complete(deployment):
        pending = [p.metadata.name for p in web_pods(ctx) if not p.spec.node_name]
        hint = "wait for the rollout: kubectl rollout status deployment web"
        if pending:
            hint = f"{len(pending)} pod(s) are not scheduled: kubectl describe pod {pending[0]} says why"
        return Failure(rollout_state(deployment), hint)
    return None


# --- The Service -----------------------------------------------------------------------------


def service_on_80(ctx: Context) -> Failure | None:
    service = read(ctx, "service")
    if service is None:
        return Failure(
            "no Service named web",
            f"add a Service named web on port 80, or: kubectl expose deployment web --port=80 -n {ctx.namespace}",
        )
    ports = [p.port for p in service.spec.ports or []]
    if 80 not in ports:
        return Failure(f"Service web listens on {ports}", "the brief says port 80: set spec.ports[].port to 80")
    if is_headless(service):
        return Failure(
            "Service web is headless (clusterIP: None): it has no virtual IP, so nothing answers on web:80",
            "remove clusterIP: None from the score (an existing Service keeps it: kubectl delete service web "
            f"-n {ctx.namespace}, then apply the score again)",
        )
    return None


def service_selects_pods(ctx: Context) -> Failure | None:
    selector = read(ctx, "service").spec.selector or {}
    labels = read(ctx, "deployment").spec.template.metadata.labels or {}
    if not selector:
        return Failure("Service web has no selector", f"give it the pods' labels as selector: {selector_text(labels)}")
    if any(labels.get(k) != v for k, v in selector.items()):
        return Failure(
            f"the Service selects {selector_text(selector)} but the web pods carry {selector_text(labels)}",
            "make spec.selector of Service web match the labels of the Deployment's pod template",
        )
    return None


def describe_declared(containers_: list) -> str:
    ports = [p for c in containers_ for p in c.ports or []]
    return ", ".join(f"{p.container_port} ({p.name})" if p.name else str(p.container_port) for p in ports) or "none"


def forwards_to_serving_port(ctx: Context) -> Failure | None:
    """Port 80's targetPort must reach the port a web container's server listens on: what its arguments
    say (agnhost netexec's --http-port), or, for a program whose port they do not say, a declared port."""
    web = containers(ctx)
    for port in read(ctx, "service").spec.ports:
        if port.port != 80:
            continue
        for container in web:
            reached = resolve_target_port(port.target_port, port.port, container)
            listening = serving_port(container)
            declared = {p.container_port for p in container.ports or []}
            if reached is not None and reached == listening or (listening is None and reached in declared):
                return None
        target = port.target_port if port.target_port is not None else port.port
        servers = sorted({n for c in web if (n := serving_port(c)) is not None})
        listens = f"the web server listens on {' and '.join(map(str, servers))}" if servers else "no declared port"
        return Failure(
            f"port 80 forwards to targetPort {target}, but {listens} (declared ports: {describe_declared(web)})",
            "set targetPort to the port the server listens on (its arguments say it: netexec --http-port=8080 "
            "listens on 8080), by number or by the name of a containerPort that says the same number",
        )
    return None


def endpoints_ready(ctx: Context) -> Failure | None:
    slices = ctx.cluster.discovery.list_namespaced_endpoint_slice(
        ctx.namespace, label_selector="kubernetes.io/service-name=web"
    ).items
    ready = len(ready_endpoints(slices))
    if ready != REPLICAS:
        return Failure(
            f"Service web has {ready} ready endpoint(s)", "wait a moment: the EndpointSlice follows the pods"
        )
    return None


# --- The CronJob -----------------------------------------------------------------------------


def cronjob_exists(ctx: Context) -> Failure | None:
    if read(ctx, "cronjob") is None:
        others = [c.metadata.name for c in ctx.cluster.batch.list_namespaced_cron_job(ctx.namespace).items]
        return Failure(
            f"CronJobs here: {', '.join(others)}" if others else "no CronJob named nightly-report",
            "kubectl create cronjob nightly-report --image=registry.k8s.io/e2e-test-images/busybox:1.37.0-1 "
            f"--schedule='0 2 * * *' -n {ctx.namespace} -- sh -c 'echo report'",
        )
    return None


def runs_nightly(ctx: Context) -> Failure | None:
    cronjob = read(ctx, "cronjob")
    schedule = cronjob.spec.schedule
    times = daily_times(schedule)
    example = "give one minute and one hour, and * for day, month and weekday: for instance '0 2 * * *' (02:00)"
    if times is None:
        return Failure(f"the schedule {schedule!r} does not fire every day (or is not one this checker reads)", example)
    if len(times) != 1:
        return Failure(
            f"the schedule {schedule!r} fires {len(times)} times a day", f"nightly means once a day; {example}"
        )
    hour, minute = times[0]
    if hour not in NIGHT_HOURS:
        return Failure(
            f"the schedule {schedule!r} fires at {hour:02d}:{minute:02d}", f"run it between 22:00 and 06:00; {example}"
        )
    if cronjob.spec.suspend:
        return Failure("the CronJob is suspended", "set spec.suspend to false, or leave it out")
    return None


CONFIGMAP = Criterion("A ConfigMap named greeting holds GREETING", configmap_holds_greeting)
WEB = criteria.deployment_exists("web", hint="add to your score a Deployment named web (apps/v1) and apply it again")
READS = Criterion("Its pods read GREETING from the ConfigMap", reads_greeting, needs=(CONFIGMAP, WEB))
REQUESTS = Criterion("Its containers request CPU and memory", requests_resources, needs=(WEB,))
THREE = Criterion("It runs 3 ready replicas", three_ready, needs=(WEB,))
SERVICE = Criterion("A Service named web has a cluster IP and listens on port 80", service_on_80)
SELECTS = Criterion("The Service selects the web pods", service_selects_pods, needs=(SERVICE, WEB))
FORWARDS = Criterion(
    "The Service forwards to the port the web server listens on", forwards_to_serving_port, needs=(SELECTS,)
)
ENDPOINTS = Criterion("The Service has 3 ready endpoints", endpoints_ready, needs=(FORWARDS, THREE))
CRONJOB = Criterion("A CronJob named nightly-report exists", cronjob_exists)
NIGHTLY = Criterion("It runs once a night", runs_nightly, needs=(CRONJOB,))

CHECKER = Checker(
    "Compose a score: web tier, greeting, nightly report",
    [CONFIGMAP, WEB, READS, REQUESTS, THREE, SERVICE, SELECTS, FORWARDS, ENDPOINTS, CRONJOB, NIGHTLY],
)
