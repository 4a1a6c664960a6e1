"""Service helpers: endpoint states, DNS names, the port a server really listens on, HTTP logs."""

from __future__ import annotations

from types import SimpleNamespace

from kubernetes import client

from threeplanes.functional.services import (
    dns_name,
    endpoint_states,
    endpoints_table,
    env_from_log,
    http_client_job,
    ready_endpoints,
    reply_counts,
    resolve_target_port,
    serving_port,
)


def endpoint(pod: str, ready: bool | None, terminating: bool = False) -> client.V1Endpoint:
    return client.V1Endpoint(
        addresses=[f"10.0.0.{len(pod)}"],
        conditions=client.V1EndpointConditions(ready=ready, serving=ready, terminating=terminating),
        target_ref=client.V1ObjectReference(kind="Pod", name=pod),
        node_name="worker-1",
        zone="zone-a",
    )


def endpoint_slice(*endpoints: client.V1Endpoint) -> client.V1EndpointSlice:
    return client.V1EndpointSlice(
        address_type="IPv4",
        metadata=client.V1ObjectMeta(name="web-abcde", namespace="ns"),
        endpoints=list(endpoints),
        ports=[client.DiscoveryV1EndpointPort(name="http", port=8080)],
    )


def service(name: str, ip: str, ports: list[tuple[str | None, int, str | None]], namespace: str = "ns"):
    return client.V1Service(
        metadata=client.V1ObjectMeta(name=name, namespace=namespace),
        spec=client.V1ServiceSpec(
            cluster_ip=ip, ports=[client.V1ServicePort(name=n, port=p, protocol=proto) for n, p, proto in ports]
        ),
    )


def test_endpoint_states_treat_a_missing_ready_flag_as_ready() -> None:
    slices = [
        endpoint_slice(endpoint("a", True), endpoint("bb", False, terminating=True)),
        endpoint_slice(endpoint("c", None)),
    ]
    assert endpoint_states(slices) == {"a": True, "bb": False, "c": True}
    assert ready_endpoints(slices) == {"a", "c"}


def test_endpoints_table_has_one_row_per_endpoint() -> None:
    t = endpoints_table([endpoint_slice(endpoint("b", False, terminating=True), endpoint("a", True))])
    assert t.column("POD") == ["a", "b"]
    assert t.column("READY") == ["true", "false"]
    assert t.column("TERMINATING") == ["false", "true"]
    assert t.column("PORTS") == ["http:8080", "http:8080"]


def test_dns_name() -> None:
    assert dns_name(service("web", "10.0.0.9", [], namespace="shop")) == "web.shop.svc.cluster.local"


def test_http_client_job_and_its_log() -> None:
    job = http_client_job("client", "http://web/hostname", 5, "busybox")
    script = job["spec"]["template"]["spec"]["containers"][0]["command"][2]
    assert "seq 5" in script and "http://web/hostname" in script
    log = "WEB_SERVICE_HOST=10.0.0.9\nWEB_SERVICE_PORT=80\nreply web-a\nreply web-b\nreply web-a\n"
    assert reply_counts(log) == {"web-a": 2, "web-b": 1}
    assert env_from_log(log) == {"WEB_SERVICE_HOST": "10.0.0.9", "WEB_SERVICE_PORT": "80"}


def test_serving_port_reads_the_servers_own_arguments() -> None:
    assert serving_port({"args": ["netexec", "--http-port=8080"]}) == 8080
    assert serving_port({"args": ["netexec", "--http-port", "9000"]}) == 9000
    assert serving_port({"command": ["/agnhost", "netexec"], "args": ["--http-port=81"]}) == 81
    assert serving_port({"args": ["netexec"]}) == 8080, "netexec's default"
    assert serving_port({"command": ["sleep", "3600"]}) is None, "unknown program: unknown port"
    assert serving_port(SimpleNamespace(command=None, args=["netexec", "--http-port=80"])) == 80


def test_resolve_target_port_by_number_by_name_and_by_default() -> None:
    container = {"ports": [{"name": "http", "containerPort": 8080}]}
    assert resolve_target_port("http", 80, container) == 8080
    assert resolve_target_port(8080, 80, container) == 8080
    assert resolve_target_port("8080", 80, container) == 8080
    assert resolve_target_port(None, 80, container) == 80, "targetPort defaults to port"
    assert resolve_target_port("web", 80, container) is None
