"""Nodes of a lab's own, the scheduler's arithmetic and the node-failure timeline, from objects made in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from kubernetes import client

from threeplanes.functional.healing import bound_to, disruption, evicted_at, failure_timeline, taint, timeline_table
from threeplanes.functional.packing import holds_resources, node_loads, packing_chart, pod_request, requests_table
from threeplanes.kit.events import events_table, when
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL, POOL
from threeplanes.kit.nodes import NodePool, schedulable
from threeplanes.kit.resources import cpu, memory
from threeplanes.kit.wait import unschedulable_message

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def container(cpu_request: str | None = None, memory_request: str | None = None) -> client.V1Container:
    requests = {k: v for k, v in (("cpu", cpu_request), ("memory", memory_request)) if v}
    return client.V1Container(name="c", resources=client.V1ResourceRequirements(requests=requests or None))


def pod(name, node=None, phase="Running", containers=None, init=None, conditions=None, **meta) -> client.V1Pod:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, namespace="ns", **meta),
        spec=client.V1PodSpec(
            containers=containers or [container("500m", "256Mi")], init_containers=init, node_name=node
        ),
        status=client.V1PodStatus(phase=phase, conditions=conditions),
    )


def node(name, cpu_="2", memory_="4Gi", ready="True", taints=None) -> client.V1Node:
    return client.V1Node(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1NodeSpec(taints=taints),
        status=client.V1NodeStatus(
            allocatable={"cpu": cpu_, "memory": memory_},
            conditions=[client.V1NodeCondition(type="Ready", status=ready, last_transition_time=T0)],
        ),
    )


# --- NodePool -------------------------------------------------------------------------------


def test_own_nodes_of_a_lab_are_named_labelled_and_tainted_after_its_namespace() -> None:
    pool = NodePool("f5-bin-packing-abc123", owner="f5-bin-packing")
    body = pool.body("a", cpu="2", memory="4Gi")
    labels = body["metadata"]["labels"]
    assert body["metadata"]["name"] == "f5-bin-packing-abc123-a"
    assert labels[LAB_LABEL] == "f5-bin-packing" and labels["app.kubernetes.io/part-of"] == "threeplanes"
    assert labels[POOL] == labels[FOR_NAMESPACE] == "f5-bin-packing-abc123"
    assert body["spec"]["taints"] == [{"key": POOL, "value": "f5-bin-packing-abc123", "effect": "NoSchedule"}]
    assert body["status"]["allocatable"]["cpu"] == "2"
    assert labels["kwok.x-k8s.io/node"] == "fake"


def test_exercise_nodes_share_a_pool_named_after_the_exercise() -> None:
    pool = NodePool("my-ns", owner="exercise-f6-self-healing", pool="f6-self-healing")
    assert pool.placement() == {
        "nodeSelector": {POOL: "f6-self-healing"},
        "tolerations": [{"key": POOL, "operator": "Equal", "value": "f6-self-healing", "effect": "NoSchedule"}],
    }
    assert pool.selector == f"{FOR_NAMESPACE}=my-ns,{POOL}=f6-self-healing"


def test_a_node_is_schedulable_once_ready_and_rid_of_the_not_ready_taint() -> None:
    not_ready = client.V1Taint(key="node.kubernetes.io/not-ready", effect="NoSchedule")
    assert schedulable(node("a"))
    assert not schedulable(node("a", taints=[not_ready]))
    assert not schedulable(node("a", ready="Unknown"))


# --- Requests and node loads ----------------------------------------------------------------


def test_pod_request_sums_containers_and_takes_the_larger_init_container() -> None:
    two = pod("p", containers=[container("250m", "100Mi"), container("250m")])
    assert pod_request(two) == Decimal("0.5") and pod_request(two, "memory") == 100 * 2**20
    big_init = pod("q", containers=[container("100m")], init=[container("1")])
    assert pod_request(big_init) == 1
    assert pod_request(pod("r", containers=[container()])) == 0


def test_finished_and_unscheduled_pods_hold_no_resources() -> None:
    assert holds_resources(pod("a", node="n"))
    assert not holds_resources(pod("b", node="n", phase="Succeeded"))
    assert not holds_resources(pod("c", node=None, phase="Pending"))


def test_node_loads_and_table_add_up_requests_per_node() -> None:
    nodes = [node("n1"), node("n2")]
    pods = [pod(f"p{i}", node="n1") for i in range(4)] + [pod("q", node="n2"), pod("done", node="n2", phase="Failed")]
    loads = node_loads(nodes, pods)
    assert [(load.name, load.requested_cpu, load.free_cpu) for load in loads] == [
        ("n1", 2, 0),
        ("n2", Decimal("0.5"), Decimal("1.5")),
    ]
    t = requests_table(nodes, pods)
    assert t.column("CPU REQUESTED") == ["2000m", "500m"] and t.column("CPU FREE") == ["0m", "1500m"]
    assert t.column("MEMORY REQUESTED") == ["1024Mi", "256Mi"]
    assert cpu(Decimal("0.25")) == "250m" and memory(Decimal(2**30)) == "1024Mi"


def test_unschedulable_message_reads_the_pod_scheduled_condition() -> None:
    refused = client.V1PodCondition(type="PodScheduled", status="False", message="0/2 nodes: 2 Insufficient cpu")
    assert unschedulable_message(pod("p", conditions=[refused])) == "0/2 nodes: 2 Insufficient cpu"
    assert (
        unschedulable_message(pod("q", conditions=[client.V1PodCondition(type="PodScheduled", status="True")])) is None
    )


def test_packing_chart_draws_a_row_per_node_and_one_for_pending_pods() -> None:
    figure = packing_chart([node("n1")], [pod("a", node="n1"), pod("b", phase="Pending")], highlight=("a",))
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels == ["n1", "(no room: Pending)"]


# --- Node failure ---------------------------------------------------------------------------


def test_failure_timeline_measures_each_step_from_the_last_heartbeat() -> None:
    lease = client.V1Lease(metadata=client.V1ObjectMeta(name="n"), spec=client.V1LeaseSpec(renew_time=T0))
    unreachable = client.V1Taint(
        key="node.kubernetes.io/unreachable", effect="NoExecute", time_added=T0 + timedelta(seconds=21)
    )
    lost = node("n", ready="Unknown", taints=[unreachable])
    lost.status.conditions[0].last_transition_time = T0 + timedelta(seconds=21)
    gone = pod("old", node="n", deletion_timestamp=T0 + timedelta(seconds=56), deletion_grace_period_seconds=30)
    ready = client.V1PodCondition(type="Ready", status="True", last_transition_time=T0 + timedelta(seconds=27))
    new = pod("new", node="m", conditions=[ready], creation_timestamp=T0 + timedelta(seconds=26))
    steps = failure_timeline(lease, lost, [gone], [new])
    assert [s for s, _ in steps] == [0.0, 21.0, 21.0, 26.0, 26.0, 27.0]
    assert evicted_at(gone) == T0 + timedelta(seconds=26)
    assert timeline_table(steps).column("SECONDS")[1] == "21.0"
    assert taint(lost, "node.kubernetes.io/unreachable", "NoExecute") is unreachable
    assert bound_to([gone, new], "n") == [gone]


def test_disruption_reads_the_disruption_target_condition() -> None:
    target = client.V1PodCondition(type="DisruptionTarget", status="True", reason="DeletionByTaintManager")
    assert disruption(pod("p", conditions=[target])) == "DeletionByTaintManager"
    assert disruption(pod("q")) is None


def test_events_table_orders_events_by_when_they_first_happened() -> None:
    def event(reason, seconds):
        return client.CoreV1Event(
            metadata=client.V1ObjectMeta(name=reason),
            involved_object=client.V1ObjectReference(kind="Pod", name="p"),
            reason=reason,
            message=reason.lower(),
            first_timestamp=T0 + timedelta(seconds=seconds),
            source=client.V1EventSource(component="default-scheduler"),
        )

    events = [event("Scheduled", 2), event("FailedScheduling", 1)]
    assert when(events[1]) == T0 + timedelta(seconds=1)
    t = events_table(events)
    assert t.column("REASON") == ["FailedScheduling", "Scheduled"] and t.column("FROM")[0] == "default-scheduler"
    assert events_table(events, reasons={"Scheduled"}).column("REASON") == ["Scheduled"]
