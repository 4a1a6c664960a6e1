"""The container runtime's pure logic: /proc entries, cgroup limits, and the kubelet's log files."""

from __future__ import annotations

from pathlib import Path

import pytest

from threeplanes.errors import LabError
from threeplanes.system.runtime import (
    Limits,
    expected_limits,
    parse_cgroups,
    parse_cmdline,
    pod_logs_dir,
    read_limits,
)

PROC_CGROUP = """9:name=systemd:/kubepods/burstable/pod1/abc
4:memory:/kubepods/burstable/pod1/abc
2:cpu,cpuacct:/kubepods/burstable/pod1/abc
0::/kubepods/burstable/pod1/abc
"""


def test_a_command_line_is_split_on_its_nul_bytes() -> None:
    assert parse_cmdline(b"sh\x00-c\x00echo hi; sleep 1\x00") == ["sh", "-c", "echo hi; sleep 1"]
    assert parse_cmdline(b"") == []


def test_cgroup_lines_give_every_controller_its_path() -> None:
    found = parse_cgroups(PROC_CGROUP)
    assert found["memory"] == found["cpu"] == found["cpuacct"] == "/kubepods/burstable/pod1/abc"
    assert set(found) == {"name=systemd", "memory", "cpu", "cpuacct", "unified"}


def test_the_kubelet_converts_cpu_and_memory_as_its_helpers_do() -> None:
    both = {"requests": {"cpu": "100m", "memory": "32Mi"}, "limits": {"cpu": "200m", "memory": "48Mi"}}
    assert expected_limits(both) == Limits(48 * 2**20, 102, 20_000, 100_000)
    # The request defaults to the limit; a tiny limit still gets a 1 ms quota and two shares.
    assert expected_limits({"limits": {"cpu": "1m", "memory": "1Gi"}}) == Limits(2**30, 2, 1_000, 100_000)
    assert expected_limits({"limits": {"memory": "64Mi"}}).cpu_quota_us == -1
    with pytest.raises(LabError):
        expected_limits({"limits": {"cpu": "1"}})


def test_limits_are_read_from_each_controllers_hierarchy(tmp_path: Path) -> None:
    groups = parse_cgroups(PROC_CGROUP)
    for controller, name, value in (
        ("memory", "memory.limit_in_bytes", "50331648\n"),
        ("cpu", "cpu.shares", "102\n"),
        ("cpu", "cpu.cfs_quota_us", "20000\n"),
        ("cpu", "cpu.cfs_period_us", "100000\n"),
    ):
        folder = tmp_path / controller / "kubepods/burstable/pod1/abc"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(value)
    assert read_limits(groups, tmp_path) == Limits(50331648, 102, 20000, 100000)


def test_the_pod_log_folder_names_namespace_pod_and_uid() -> None:
    assert pod_logs_dir({}) == Path("/var/log/pods")
    logs = pod_logs_dir({"podLogsDir": "/srv/logs"})
    assert logs == Path("/srv/logs")
