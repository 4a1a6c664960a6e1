"""Checker of the fix-coredns-broken mission: the app reaches its database by name, from inside its container,
and still does once the database's Service is made again (with a new ClusterIP).

The scenario is the app's own: in the container of the pod of ``app``, on the real node, the checker asks
``http://$DB_HOST/`` (the address the app is configured with) and expects the database's page. Then it plays
what happens to a Service over its life: it deletes the Service ``db`` and creates it again, same name, ports
and selector, which gives it a new ClusterIP, waits until the old address no longer answers (kube-proxy has
removed its rules from the node), and asks again, for up to 12 s (CoreDNS caches an answer for 5 s). A name the
cluster's DNS resolves follows the Service; an address written into the app's environment or its ``/etc/hosts``
(``hostAliases``) does not. The pod's DNS settings, ``/etc/resolv.conf`` and the environment are read only to
explain a failure. An outcome serves the framework's two looks while the pod and its template stay the same.
"""

from __future__ import annotations

import ipaddress
import shlex
import time
from pathlib import Path
from typing import Any

from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria, missions
from threeplanes.errors import LabError
from threeplanes.kit.kubectl import kubectl

setup = missions.load_part(Path(__file__).parent, "setup")

APP, DB, PAGE = setup.APP, setup.DB, setup.PAGE
SETUP = ".venv/bin/threeplanes exercise setup fix-coredns-broken -n {namespace}"
ROLLED_S = 45  # for a change of app's template to roll out
ANSWER_S = 12  # for the name to lead to the new address: CoreDNS caches an answer for 5 s
REUSE = 60
OUTCOMES: dict[tuple, tuple[float, dict[str, Failure | None]]] = {}


def _pods(ctx: Context) -> list[Any]:
    return criteria.deployment_pods(ctx, APP)


def set_up(ctx: Context) -> Failure | None:
    missing = [
        what
        for what, read in (
            (f"Deployment {APP}", lambda: ctx.get(ctx.cluster.apps.read_namespaced_deployment, APP, ctx.namespace)),
            (f"Deployment {DB}", lambda: ctx.get(ctx.cluster.apps.read_namespaced_deployment, DB, ctx.namespace)),
        )
        if read() is None
    ]
    if missing:
        return missions.not_set_up(" and no ".join(missing), SETUP.format(namespace=ctx.namespace))
    return None


def app_runs(ctx: Context) -> Failure | None:
    deadline = time.monotonic() + ROLLED_S
    while True:
        deployment = ctx.cluster.apps.read_namespaced_deployment(APP, ctx.namespace)
        pods = _pods(ctx)
        if deployment.spec.replicas >= 1 and missions.rolled_and_ready(deployment, pods):
            return None
        if time.monotonic() > deadline:
            return Failure(
                f"the pods of {APP} are not rolled out and Ready after {ROLLED_S} s: {missions.describe_pods(pods)}",
                f"the app must run, one pod at least: kubectl get pods -n {ctx.namespace} -l app={APP}, and their "
                "events",
            )
        time.sleep(1)


def in_app(ctx: Context, pod: Any, script: str) -> str:
    """What ``script`` prints in the app's container (it never fails: it prints its errors)."""
    command = f"exec -n {ctx.namespace} {pod.metadata.name} -c {APP} -- sh -c {shlex.quote(script + '; true')}"
    try:
        return kubectl(command, ctx.cluster, show=False, timeout=30).strip()
    except LabError as error:
        return f"(kubectl exec failed: {' '.join(str(error).split())[:200]})"


def ask_db(ctx: Context, pod: Any) -> str:
    return in_app(ctx, pod, 'timeout 3 wget -qO- "http://$DB_HOST/" 2>&1')


def db_host(pod: Any) -> str:
    container = next(c for c in pod.spec.containers if c.name == APP)
    return next((e.value or "" for e in container.env or [] if e.name == "DB_HOST"), "")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def hidden(pod: Any) -> list[str]:
    """How the pod reaches the database without the cluster's DNS, if it does: an address, not a name."""
    found = []
    host = db_host(pod)
    if _is_ip(host):
        found.append(
            f"DB_HOST is {host}, an address hard-coded in the app's environment: it stops working the day the "
            "Service is made again"
        )
    aliases = [a for a in pod.spec.host_aliases or [] if host in (a.hostnames or [])]
    if aliases:
        found.append(
            f"the pod's hostAliases write {host} -> {aliases[0].ip} into its /etc/hosts: a copy of the Service's "
            "address, which the kubelet never updates"
        )
    return found


def first_answer(ctx: Context, pod: Any) -> Failure | None:
    said = missions.settled(lambda: None if PAGE in ask_db(ctx, pod) else Failure("", ""), within=6)
    if said is None:
        return None
    answer = ask_db(ctx, pod)
    resolv = in_app(ctx, pod, "cat /etc/resolv.conf")
    resolv_lines = "; ".join(line for line in resolv.splitlines() if line.strip())
    return Failure(
        f"inside the container of {pod.metadata.name}, GET http://{db_host(pod) or '$DB_HOST'}/ says "
        f"{answer!r}; its /etc/resolv.conf: {resolv_lines}",
        f"the name does not resolve, so look at who resolves it for this pod: compare its /etc/resolv.conf "
        f"(kubectl exec -n {ctx.namespace} deploy/{APP} -- cat /etc/resolv.conf) with another pod's of the "
        "namespace, and the pod's DNS settings in its spec with the kubelet's defaults",
    )


def made_again(ctx: Context) -> tuple[str, str]:
    """Delete the Service db and create it again, until it has another ClusterIP; the old address and the new."""
    old = ctx.cluster.core.read_namespaced_service(DB, ctx.namespace)
    body = {
        "metadata": {"name": DB, "labels": old.metadata.labels or {}},
        "spec": {
            "selector": old.spec.selector,
            "ports": [{"name": p.name, "port": p.port, "targetPort": p.target_port} for p in old.spec.ports],
        },
    }
    for _ in range(3):
        ctx.cluster.core.delete_namespaced_service(DB, ctx.namespace)
        deadline = time.monotonic() + 20
        while True:
            try:
                new_ip = ctx.cluster.core.create_namespaced_service(ctx.namespace, body).spec.cluster_ip
                break
            except client.ApiException as error:
                if error.status != 409 or time.monotonic() > deadline:  # 409: the old one is still going
                    raise
                time.sleep(0.3)
        if new_ip != old.spec.cluster_ip:
            return old.spec.cluster_ip, new_ip
    raise LabError(f"the Service {DB} got its old address back three times")


def after_remake(ctx: Context, pod: Any) -> Failure | None:
    old_ip, new_ip = made_again(ctx)
    # The old address answers until kube-proxy has removed its rules from the node: the next question must not
    # reach the database through them.
    gone = missions.settled(
        lambda: Failure("", "") if PAGE in in_app(ctx, pod, f"timeout 2 wget -qO- http://{old_ip}/ 2>&1") else None,
        within=30,
    )
    if gone is not None:
        return Failure(
            f"the checker made the Service {DB} again, and its old address, {old_ip}, still answers 30 s later",
            "kube-proxy on the real node has not removed the old Service's rules: check again in a moment",
        )
    said = missions.settled(lambda: None if PAGE in ask_db(ctx, pod) else Failure("", ""), within=ANSWER_S)
    if said is None:
        return None
    found = hidden(pod)
    saw = (
        f"the checker made the Service {DB} again (its new ClusterIP: {new_ip}); {ANSWER_S} s later, GET "
        f"http://{db_host(pod)}/ from the app says {ask_db(ctx, pod)!r}"
    )
    if found:
        return Failure(
            f"{saw}: {'; '.join(found)}",
            "that hides the symptom without curing it: the app must reach the database by its name, resolved "
            "by the cluster's DNS; find out why the pod's lookups fail, and mend that",
        )
    return Failure(saw, f"read the app's log (kubectl logs -n {ctx.namespace} deploy/{APP}) and its /etc/resolv.conf")


def play(ctx: Context, pod: Any) -> dict[str, Failure | None]:
    first = first_answer(ctx, pod)
    if first is not None:
        return {"name": first}
    return {"name": None, "remade": after_remake(ctx, pod)}


def outcome(ctx: Context, step: str) -> Failure | None:
    pods = [p for p in _pods(ctx) if p.metadata.deletion_timestamp is None]
    if not pods:
        return Failure(f"no pod of {APP}", "the app must run")
    pod = pods[0]
    key = (ctx.namespace, pod.metadata.uid, pod.metadata.resource_version)
    results = missions.remembered(OUTCOMES, key, REUSE, lambda: play(ctx, pod))
    if step not in results:
        return Failure("the scenario stopped at an earlier step", "fix the step before this one first")
    return results[step]


SET_UP = Criterion(f"The Deployments {APP} and {DB} are there", set_up)
RUNS = Criterion(f"The pod of {APP} runs", app_runs, needs=(SET_UP,))
BY_NAME = Criterion(
    f"From inside {APP}'s container, http://$DB_HOST/ answers with the database's page",
    lambda ctx: outcome(ctx, "name"),
    needs=(RUNS,),
)
REMADE = Criterion(
    f"It still answers once the Service {DB} is made again, with a new ClusterIP",
    lambda ctx: outcome(ctx, "remade"),
    needs=(BY_NAME,),
)

CHECKER = Checker("Mission: the app cannot reach the database by name", [SET_UP, RUNS, BY_NAME, REMADE])
