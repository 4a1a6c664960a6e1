"""Services and their endpoints: which pods a Service sends traffic to, and how pods find it.

The EndpointSlice controller keeps, for every Service with a selector, a list of the pods
it selects and whether each one is ready. kube-proxy on every node balances the Service's
virtual IP over the ready ones. ``endpoint_states`` reads that list, ``wait_for_endpoints``
watches it until it holds the pods a lab expects, and ``endpoints_table`` shows it.

A Service's DNS name is ``dns_name``. What a client really reaches depends on the port the
server in the pod listens on, which its command line says, not its declared ``containerPort``:
``serving_port`` reads it for the book's web image, ``resolve_target_port`` follows a
``targetPort`` by number or by name, and ``is_headless`` tells a Service with no virtual IP.

``set_pod_ready`` writes a pod's Ready condition through the status subresource, which is
how a lab simulates a container that stops passing its readiness probe (``wait.holds_for``
then shows that nothing reverts it).

Where containers run, the traffic itself is judged, not the slice: ``threeplanes.kit.traffic``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from threeplanes.kit.control_plane import CLUSTER_DOMAIN
from threeplanes.kit.flags import flag_value
from threeplanes.kit.tables import Table, table
from threeplanes.kit.wait import Objects, wait_for

SERVICE_NAME_LABEL = "kubernetes.io/service-name"


# --- Endpoints -------------------------------------------------------------------------------


def endpoint_slices(cluster: Any, namespace: str, service: str) -> Objects:
    """The EndpointSlices the control plane keeps for ``service``."""
    selector = f"{SERVICE_NAME_LABEL}={service}"
    return cluster.discovery.list_namespaced_endpoint_slice(namespace, label_selector=selector).items


def _endpoints(slices: Iterable[Any]) -> list[tuple[Any, Any]]:
    return [(s, e) for s in slices for e in s.endpoints or []]


def endpoint_ready(endpoint: Any) -> bool:
    """An endpoint's ``conditions.ready``; the API says a missing value means ready."""
    ready = endpoint.conditions.ready if endpoint.conditions else None
    return ready is None or bool(ready)


def endpoint_states(slices: Iterable[Any]) -> dict[str, bool]:
    """``{pod name: ready}`` for every endpoint that points at a pod."""
    return {
        e.target_ref.name: endpoint_ready(e)
        for _, e in _endpoints(slices)
        if e.target_ref is not None and e.target_ref.kind == "Pod"
    }


def ready_endpoints(slices: Iterable[Any]) -> set[str]:
    """The pods kube-proxy sends traffic to: the ready endpoints."""
    return {pod for pod, ready in endpoint_states(slices).items() if ready}


def endpoints_table(slices: Iterable[Any]) -> Table:
    """One row per endpoint: its slice, pod, address, port, node, zone and conditions."""

    def flag(value: Any) -> str:
        return "-" if value is None else str(value).lower()

    return table(
        sorted(_endpoints(slices), key=lambda se: se[1].target_ref.name if se[1].target_ref else ""),
        {
            "SLICE": lambda se: se[0].metadata.name,
            "POD": lambda se: se[1].target_ref.name if se[1].target_ref else "",
            "ADDRESS": lambda se: ",".join(se[1].addresses),
            "PORTS": lambda se: ",".join(f"{p.name or ''}:{p.port}" for p in se[0].ports or []),
            "NODE": lambda se: se[1].node_name,
            "ZONE": lambda se: se[1].zone,
            "READY": lambda se: flag(se[1].conditions.ready),
            "SERVING": lambda se: flag(se[1].conditions.serving),
            "TERMINATING": lambda se: flag(se[1].conditions.terminating),
        },
    )


def describe_endpoints(slices: Objects) -> str:
    states = endpoint_states(slices)
    if not states:
        return "no endpoints"
    return ", ".join(f"{pod} ({'ready' if ready else 'not ready'})" for pod, ready in sorted(states.items()))


def wait_for_endpoints(
    cluster: Any,
    namespace: str,
    service: str,
    ready: Iterable[str],
    not_ready: Iterable[str] = (),
    timeout: float = 30,
) -> Objects:
    """Wait until the Service's endpoints are exactly the pods ``ready`` (ready) and ``not_ready`` (not)."""
    expected = {**{p: True for p in ready}, **{p: False for p in not_ready}}
    return wait_for(
        cluster.discovery.list_namespaced_endpoint_slice,
        lambda slices: endpoint_states(slices) == expected,
        what=f"the endpoints of Service {namespace}/{service} to be {describe_endpoints_expected(expected)}",
        describe=describe_endpoints,
        timeout=timeout,
        namespace=namespace,
        label_selector=f"{SERVICE_NAME_LABEL}={service}",
    )


def describe_endpoints_expected(expected: dict[str, bool]) -> str:
    return (
        ", ".join(f"{pod} ({'ready' if ready else 'not ready'})" for pod, ready in sorted(expected.items())) or "none"
    )


# --- Readiness --------------------------------------------------------------------------------


def set_pod_ready(cluster: Any, namespace: str, pod: str, ready: bool, reason: str = "LabSimulated") -> Any:
    """Write the pod's Ready condition through the status subresource, as a kubelet would."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    condition = {"type": "Ready", "status": str(ready), "reason": reason, "lastTransitionTime": now}
    return cluster.core.patch_namespaced_pod_status(pod, namespace, {"status": {"conditions": [condition]}})


# --- What a pod is told: DNS and environment variables ----------------------------------------


def dns_name(service: Any, domain: str = CLUSTER_DOMAIN) -> str:
    """The name the cluster DNS answers for a Service: ``<service>.<namespace>.svc.<domain>``."""
    return f"{service.metadata.name}.{service.metadata.namespace}.svc.{domain}"


# --- The port a server really listens on ------------------------------------------------------

NETEXEC_DEFAULT_PORT = 8080  # agnhost netexec's --http-port default (test/images/agnhost/netexec)


def serving_port(container: Any) -> int | None:
    """The HTTP port the container's server listens on, read from its command line; None if unknown.

    A ``containerPort`` is a declaration that nothing checks; the server listens where its own
    arguments say. This reads agnhost's ``netexec`` (the book's web image), which listens on
    ``--http-port`` (``--http-port=N`` or ``--http-port N``), 8080 when the flag is absent. For
    any other program it returns None.
    """
    words = [*(_field(container, "command") or []), *(_field(container, "args") or [])]
    if "netexec" not in words:
        return None
    given = flag_value(words, "http-port")
    return NETEXEC_DEFAULT_PORT if given is None else _port_number(given)


def _field(container: Any, name: str) -> Any:
    return container.get(name) if isinstance(container, dict) else getattr(container, name, None)


def _port_number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def resolve_target_port(target: Any, service_port: int, container: Any) -> int | None:
    """The container port a Service's ``targetPort`` reaches in ``container``: a number as is, a name
    looked up in the container's declared ports (None when no port has that name)."""
    if target is None:
        return service_port
    if isinstance(target, int) or str(target).isdigit():
        return int(target)
    for port in _field(container, "ports") or []:
        name = port.get("name") if isinstance(port, dict) else port.name
        number = port.get("containerPort") if isinstance(port, dict) else port.container_port
        if name == target:
            return number
    return None


def is_headless(service: Any) -> bool:
    """True for a Service with ``clusterIP: None``: no virtual IP, so nothing answers on its port."""
    return service.spec.cluster_ip == "None"
