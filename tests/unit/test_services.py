"""Service helpers: endpoint states, the kubelet's Service variables, DNS names, HTTP logs."""

from __future__ import annotations

from kubernetes import client

from threeplanes.functional.services import (
    dns_name,
    endpoint_states,
    endpoints_table,
    env_from_log,
    http_client_job,
    ready_endpoints,
    reply_counts,
    service_env,
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


def test_service_env_follows_the_kubelet_rules() -> None:
    env = service_env([service("my-web", "10.0.0.9", [("http", 80, "TCP"), ("metrics", 9090, None)])])
    assert env["MY_WEB_SERVICE_HOST"] == "10.0.0.9"
    assert env["MY_WEB_SERVICE_PORT"] == "80"
    assert env["MY_WEB_SERVICE_PORT_HTTP"] == "80"
    assert env["MY_WEB_SERVICE_PORT_METRICS"] == "9090"
    assert env["MY_WEB_PORT"] == "tcp://10.0.0.9:80"
    assert env["MY_WEB_PORT_9090_TCP"] == "tcp://10.0.0.9:9090"
    assert env["MY_WEB_PORT_80_TCP_PROTO"] == "tcp"
    assert env["MY_WEB_PORT_80_TCP_PORT"] == "80"
    assert env["MY_WEB_PORT_80_TCP_ADDR"] == "10.0.0.9"
    assert len(env) == 4 + 2 * 4 + 1


def test_service_env_skips_headless_services_and_unnamed_ports_get_no_named_variable() -> None:
    assert service_env([service("db", "None", [(None, 5432, "TCP")])]) == {}
    env = service_env([service("db", "10.0.0.3", [(None, 5432, "UDP")])])
    assert env["DB_PORT"] == "udp://10.0.0.3:5432"
    assert not [k for k in env if k.startswith("DB_SERVICE_PORT_")]


def test_dns_name() -> None:
    assert dns_name(service("web", "10.0.0.9", [], namespace="shop")) == "web.shop.svc.cluster.local"


def test_http_client_job_and_its_log() -> None:
    job = http_client_job("client", "http://web/hostname", 5, "busybox")
    script = job["spec"]["template"]["spec"]["containers"][0]["command"][2]
    assert "seq 5" in script and "http://web/hostname" in script
    log = "WEB_SERVICE_HOST=10.0.0.9\nWEB_SERVICE_PORT=80\nreply web-a\nreply web-b\nreply web-a\n"
    assert reply_counts(log) == {"web-a": 2, "web-b": 1}
    assert env_from_log(log) == {"WEB_SERVICE_HOST": "10.0.0.9", "WEB_SERVICE_PORT": "80"}
