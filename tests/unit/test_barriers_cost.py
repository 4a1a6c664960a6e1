"""The cost of a control plane (lab A3): the figures read as lines, the calculator, the record the exercise reads,
the lab's kwokctl configuration, and the checker of a3-size-control-plane judged on answers, without a cluster."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from threeplanes.barriers import cost
from threeplanes.barriers.cost import (
    PLANE_COMPONENTS,
    SIMULATOR,
    Machine,
    Measurements,
    Window,
    along,
    floor_share,
    metric_sum,
    node_body,
    overhead,
    pod_body,
    smallest_cluster,
)
from threeplanes.checking import Context
from threeplanes.errors import LabError

EXERCISE = Path(__file__).resolve().parents[2] / "exercises" / "a3-size-control-plane"
WORKER = Machine(cpu=4, memory_gib=16)


def window(nodes: int, cpu: float, memory: float, kwok: tuple[float, float] = (0.01, 50.0)) -> Window:
    """A step whose control plane uses ``cpu`` cores and ``memory`` MiB in all, split evenly over its four parts."""
    parts = {name: (cpu / 4, memory / 4) for name in PLANE_COMPONENTS}
    parts[SIMULATOR] = kwok
    return Window(
        nodes=nodes,
        pods=nodes,
        seconds=10.0,
        cpu={name: c for name, (c, _) in parts.items()},
        memory={name: m for name, (_, m) in parts.items()},
        renewed=nodes,
        current=nodes,
        ready=nodes,
        watches=116,
    )


@pytest.fixture
def measured() -> Measurements:
    """500 MiB and 40m at 10 nodes, 520 MiB at 100, 700 MiB and 600m at 1,000: 0.2 MiB a node past 100."""
    steps = (window(10, 0.04, 500), window(100, 0.18, 520), window(1000, 0.6, 700))
    return Measurements(steps=steps, when="2026-01-01 00:00 UTC", cpus=2, source="a test")


# --- reading the steps ----------------------------------------------------------------------------------------


def test_along_reads_between_the_points_holds_below_and_continues_above() -> None:
    points = [(10, 1.0), (100, 10.0), (1000, 20.0)]
    assert along(points, 10) == 1.0
    assert along(points, 55) == pytest.approx(5.5)
    assert along(points, 550) == pytest.approx(15.0)
    assert along(points, 3) == 1.0  # no less than the first step
    assert along(points, 1900) == pytest.approx(30.0)  # the last line, continued
    assert along([(10, 5.0), (100, 1.0)], 1000) == 0.0  # never below zero
    with pytest.raises(LabError):
        along([], 5)


def test_one_copy_of_the_control_plane_sums_its_four_components_and_leaves_kwok_out(measured: Measurements) -> None:
    use = measured.per_replica(100)
    assert use.memory == pytest.approx(520)
    assert use.cpu == pytest.approx(0.18)
    assert measured.per_replica(550).memory == pytest.approx(610)
    assert measured.per_node("memory") == pytest.approx(0.2)
    assert measured.per_node("memory", SIMULATOR) == 0.0


# --- the calculator ----------------------------------------------------------------------------------------------


def test_the_barriers_example_is_thirty_percent_of_the_machines_and_far_less_of_the_resources(
    measured: Measurements,
) -> None:
    share = overhead(measured, 3, WORKER, 7)
    assert share.machines == pytest.approx(0.30)
    assert share.memory == pytest.approx(3 * 500 / 1024 / (3 * 500 / 1024 + 7 * 16))
    assert share.cpu == pytest.approx(3 * 0.04 / (3 * 0.04 + 7 * 4))
    assert share.of("memory") == share.memory
    with pytest.raises(LabError):
        overhead(measured, 0, WORKER, 7)


@pytest.mark.parametrize(
    ("replicas", "threshold", "fewest"),
    [(3, 0.30, 7), (3, 0.10, 27), (3, 0.08, 35), (1, 0.08, 12), (3, 0.2, 12), (5, 0.5, 5)],
)
def test_the_fewest_workers_by_machines_meet_the_threshold_and_one_fewer_does_not(
    measured: Measurements, replicas: int, threshold: float, fewest: int
) -> None:
    assert smallest_cluster(measured, replicas, WORKER, threshold, "machines") == fewest
    assert overhead(measured, replicas, WORKER, fewest).machines <= threshold
    if fewest > 1:
        assert overhead(measured, replicas, WORKER, fewest - 1).machines > threshold


def test_by_memory_a_small_threshold_needs_more_workers_and_one_under_the_floor_is_never_met(
    measured: Measurements,
) -> None:
    fewest = smallest_cluster(measured, 3, WORKER, 0.005, "memory")
    assert fewest is not None and fewest > 1
    assert overhead(measured, 3, WORKER, fewest).memory <= 0.005 < overhead(measured, 3, WORKER, fewest - 1).memory
    floor = floor_share(measured, 3, WORKER, "memory")
    assert floor == pytest.approx(3 * 0.2 / 1024 / (3 * 0.2 / 1024 + 16))
    tiny = Machine(cpu=0.001, memory_gib=0.0001)  # so small a worker that each node costs more than it brings
    assert smallest_cluster(measured, 3, tiny, 0.5, "memory") is None


def test_a_threshold_is_a_fraction_and_the_share_is_counted_one_of_three_ways(measured: Measurements) -> None:
    with pytest.raises(LabError, match="0.1 for 10 %"):
        smallest_cluster(measured, 3, WORKER, 10, "machines")
    with pytest.raises(LabError, match="counted by"):
        smallest_cluster(measured, 3, WORKER, 0.1, "disks")


# --- what the lab creates and reads ------------------------------------------------------------------------------


def test_a_node_is_registered_ready_and_a_pod_is_bound_to_it_by_name() -> None:
    node = node_body(7)
    conditions = {c["type"]: c["status"] for c in node["status"]["conditions"]}
    assert node["metadata"]["name"] == "node-0007"
    assert conditions == {"Ready": "True", "MemoryPressure": "False", "DiskPressure": "False", "PIDPressure": "False"}
    assert node["status"]["allocatable"] == node["status"]["capacity"]
    assert node["status"]["allocatable"] is not node["status"]["capacity"]  # shown in full, not as a YAML alias
    assert "&id" not in yaml.safe_dump(node)
    pod = pod_body(7, 1)
    assert pod["metadata"]["name"] == "load-0007-1" and pod["spec"]["nodeName"] == "node-0007"


def test_the_labs_configuration_asks_for_the_kubelets_heartbeat_and_gives_kwok_no_zero_parallelism() -> None:
    plane, kwok = yaml.safe_load_all(cost.HEARTBEAT_CONFIG)
    assert plane["kind"] == "KwokctlConfiguration" and kwok["kind"] == "KwokConfiguration"
    assert plane["options"]["nodeLeaseDurationSeconds"] == cost.LEASE_SECONDS == 40
    assert plane["options"]["heartbeatFactor"] == 1
    assert plane["options"]["kubeControllerManagerNodeMonitorGracePeriodMilliseconds"] == 1000 * cost.GRACE_SECONDS
    assert cost.LEASE_SECONDS / 4 == 10 < cost.WINDOW <= 10.4  # one renewal period and its jitter
    parallelism = {k: v for k, v in kwok["options"].items() if k.endswith("Parallelism")}
    assert len(parallelism) == 4 and all(v > 0 for v in parallelism.values())


def test_metric_sum_adds_the_samples_whose_labels_match() -> None:
    text = "\n".join(
        [
            "# HELP apiserver_longrunning_requests Gauge of all active long-running apiserver requests",
            'apiserver_longrunning_requests{component="apiserver",resource="pods",verb="WATCH"} 12',
            'apiserver_longrunning_requests{component="apiserver",resource="nodes",verb="WATCH"} 3',
            'apiserver_longrunning_requests{component="apiserver",resource="pods",verb="LIST"} 1',
            'apiserver_longrunning_requests_other{verb="WATCH"} 100',
            "process_cpu_seconds_total 4.5e+01",
        ]
    )
    assert metric_sum(text, "apiserver_longrunning_requests", verb="WATCH") == 15
    assert metric_sum(text, "apiserver_longrunning_requests") == 16
    assert metric_sum(text, "process_cpu_seconds_total") == 45
    assert metric_sum(text, "absent") == 0


def test_the_figures_are_kept_and_read_back_and_a_missing_or_broken_record_reads_as_none(
    measured: Measurements, tmp_path: Path
) -> None:
    path = cost.save_figures(measured, tmp_path / "figures.json")
    assert cost.load_figures(path) == measured
    assert cost.load_figures(tmp_path / "absent.json") is None
    (tmp_path / "broken.json").write_text('{"steps": [{"nodes": 1}]}')
    assert cost.load_figures(tmp_path / "broken.json") is None


def test_tables_show_every_component_and_kwok_apart(measured: Measurements) -> None:
    memory = cost.usage_table(measured, "memory")
    assert memory.header == ["MiB at", "10 nodes", "100 nodes", "1,000 nodes"]
    assert memory.column("MiB at") == [*PLANE_COMPONENTS, "control plane", f"{SIMULATOR} (simulator)"]
    assert memory.rows[-2][1:] == ["500", "520", "700"]
    published = cost.published_table(measured)
    assert "at most 5,000" in published.column("published")
    assert "8 vCPUs, 32 GB" in published.column("published")


# --- the exercise's checker, on answers, without a cluster -------------------------------------------------------


@pytest.fixture
def checker(measured: Measurements, monkeypatch: pytest.MonkeyPatch):
    spec = importlib.util.spec_from_file_location("a3_size_checker", EXERCISE / "checker.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "load_figures", lambda: measured)
    return module


def judged(checker, measured: Measurements, **answer: float) -> dict[str, str | None]:
    """What each criterion of the checker says of ``answer`` (None: met)."""
    ctx = Context(cluster=None, namespace="my-sizing", notes={"answer": answer})
    results = {}
    for name, check in (("control", checker.control_plane), ("workers", checker.worker_nodes)):
        failure = check(ctx)
        results[name] = None if failure is None else f"{failure.saw} | {failure.hint}"
    failure = checker.memory_share(ctx) if results["control"] is None and results["workers"] is None else None
    results["overhead"] = None if failure is None else f"{failure.saw} | {failure.hint}"
    return results


def right_percent(measured: Measurements) -> float:
    return 100 * overhead(measured, 3, WORKER, 35).memory


def test_etcds_quorum_gives_three_members_for_one_loss(checker) -> None:
    assert [checker.survives(n) for n in range(1, 6)] == [0, 0, 1, 1, 2]
    assert checker.fewest_members(1) == 3 and checker.fewest_members(2) == 5


def test_the_right_sizing_passes_and_a_rounded_percent_with_its_sign_reads_as_a_number(
    checker, measured: Measurements
) -> None:
    right = right_percent(measured)
    assert judged(checker, measured, controlPlaneNodes=3, workerNodes=35, overheadPercent=right) == {
        "control": None,
        "workers": None,
        "overhead": None,
    }
    assert checker.number(f" {round(right, 2)} %") == round(right, 2)
    assert checker.number("three") is None


@pytest.mark.parametrize(
    ("answer", "criterion", "words"),
    [
        ({"controlPlaneNodes": 1, "workerNodes": 12}, "control", "which stops every write"),
        ({"controlPlaneNodes": 2, "workerNodes": 23}, "control", "which stops every write"),
        ({"controlPlaneNodes": 4, "workerNodes": 46}, "control", "fewer machines survive the loss of one"),
        ({"controlPlaneNodes": 3, "workerNodes": 38}, "workers", "workerNodes counts the workers alone"),
        ({"controlPlaneNodes": 3, "workerNodes": 34}, "workers", "above 8%"),
        ({"controlPlaneNodes": 3, "workerNodes": 36}, "workers", "but so do 35"),
    ],
)
def test_a_wrong_count_of_machines_is_named(
    checker, measured: Measurements, answer: dict, criterion: str, words: str
) -> None:
    said = judged(checker, measured, overheadPercent=right_percent(measured), **answer)
    assert said[criterion] is not None and words in said[criterion]


@pytest.mark.parametrize(
    ("percent", "words"),
    [
        (lambda right, share: right / 100, "that is a fraction"),
        (lambda right, share: 100 * share.machines, "the share of the machines"),
        (lambda right, share: 100 * share.cpu, "the share of the CPUs"),
        (lambda right, share: 2 * right, "the calculator gives"),
    ],
)
def test_a_wrong_percent_is_explained_from_what_it_matches(checker, measured: Measurements, percent, words) -> None:
    share = overhead(measured, 3, WORKER, 35)
    given = percent(right_percent(measured), share)
    said = judged(checker, measured, controlPlaneNodes=3, workerNodes=35, overheadPercent=given)
    assert said["overhead"] is not None and words in said["overhead"]
