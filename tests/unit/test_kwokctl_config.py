"""The local cluster's kwokctl configuration: the periods it shortens stay within what each component accepts."""

from __future__ import annotations

from pathlib import Path

import yaml

CONFIG = Path(__file__).resolve().parents[2] / "cluster" / "kwokctl.yaml"


def seconds(value: str) -> float:
    assert value.endswith("s"), f"{value!r}: give durations in seconds, as '10s'"
    return float(value[:-1])


def documents() -> list[dict]:
    return list(yaml.safe_load_all(CONFIG.read_text()))


def extra_args(component: str) -> dict[str, str]:
    (config,) = [d for d in documents() if d["kind"] == "KwokctlConfiguration"]
    patches = [p for p in config["componentsPatches"] if p["name"] == component]
    return {a["key"]: a["value"] for p in patches for a in p["extraArgs"]}


def test_metrics_server_accepts_its_resolution_and_timeout() -> None:
    """metrics-server exits at start unless --metric-resolution >= 10s and 90 % of it exceeds the request timeout."""
    args = extra_args("metrics-server")
    resolution, timeout = seconds(args["metric-resolution"]), seconds(args.get("kubelet-request-timeout", "10s"))
    assert resolution >= 10
    assert resolution * 0.9 >= timeout


def test_the_node_grace_period_outlasts_several_lease_renewals() -> None:
    """kwok renews a lease every quarter of its duration; the node controller must not mistake a late renewal for a
    lost node on a busy machine."""
    (config,) = [d for d in documents() if d["kind"] == "KwokctlConfiguration"]
    options = config["options"]
    renew_every = options["nodeLeaseDurationSeconds"] / 4
    assert options["kubeControllerManagerNodeMonitorGracePeriodMilliseconds"] / 1000 >= 3 * renew_every


def test_kwok_cpu_counters_never_start_at_zero() -> None:
    """metrics-server drops a sample whose cumulative CPU is 0; the counters start above it."""
    (metric,) = [d for d in documents() if d["kind"] == "Metric"]
    counters = [m for m in metric["spec"]["metrics"] if m["name"].endswith("cpu_usage_seconds_total")]
    assert len(counters) == 3 and all(m["value"].endswith("+ 0.001") for m in counters)
