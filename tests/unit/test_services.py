"""Service helpers: endpoint states, DNS names, the port a server really listens on, HTTP logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from kubernetes import client

from threeplanes.functional.services import (
    dns_name,
    endpoint_states,
    endpoints_table,
    ready_endpoints,
    resolve_target_port,
    serving_port,
)
from threeplanes.kit.traffic import (
    Reply,
    answered_by,
    client_pod,
    describe_replies,
    env_from_log,
    settled_run,
    timed_replies,
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


def test_client_pod_asks_until_deleted_and_goes_quickly() -> None:
    pod = client_pod("client", "http://web/hostname", "busybox", interval=0.2)
    script = pod["spec"]["containers"][0]["command"][2]
    assert "while true" in script and "http://web/hostname" in script and "sleep 0.2" in script
    assert pod["spec"]["terminationGracePeriodSeconds"] == 1


def test_timed_replies_and_env_from_a_timestamped_log() -> None:
    log = (
        "2026-12-07T04:50:00.100000001Z WEB_SERVICE_HOST=10.0.0.9\n"
        "2026-12-07T04:50:00.200000000Z reply web-a\n"
        "2026-12-07T04:50:00.300000000Z reply \n"
        "2026-12-07T04:50:00.400000000Z reply web-b\n"
    )
    replies = timed_replies(log)
    assert [r.pod for r in replies] == ["web-a", "", "web-b"]
    assert replies[0].at == datetime(2026, 12, 7, 4, 50, 0, 200000, tzinfo=UTC)
    assert env_from_log("WEB_SERVICE_HOST=10.0.0.9\nreply web-a\n") == {"WEB_SERVICE_HOST": "10.0.0.9"}
    assert describe_replies(replies) == "3 replies; the last 3 from: (no answer) x1, web-a x1, web-b x1"
    assert describe_replies([]) == "no reply logged yet"


def replies_from(*pods: str, start: datetime = datetime(2026, 1, 1, tzinfo=UTC)) -> list[Reply]:
    return [Reply(start + timedelta(seconds=i / 10), pod) for i, pod in enumerate(pods)]


def test_answered_by_needs_every_pod_after_since() -> None:
    replies = replies_from("a", "a", "b")
    assert answered_by(replies, {"a", "b"})
    assert not answered_by(replies, {"a", "b", "c"})
    assert not answered_by(replies, {"a", "b"}, since=replies[1].at), "a answered only before"


def test_settled_run_wants_the_last_replies_all_from_the_pods_and_after_since() -> None:
    replies = replies_from("a", "b", "a", "a", "a")
    assert settled_run(replies, {"a"}, 3, since=replies[1].at) == replies[2:]
    assert settled_run(replies, {"a"}, 4, since=replies[0].at) == [], "b is among the last four"
    assert settled_run(replies, {"a"}, 3, since=replies[2].at) == [], "one of them came before since"
    assert settled_run(replies[:2], {"a", "b"}, 3, since=replies[0].at) == [], "not enough replies yet"
    assert settled_run(replies_from("a", ""), {"a"}, 1, since=replies[0].at) == [], "no answer is no pod"


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
