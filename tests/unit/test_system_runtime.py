"""The container runtime's pure logic: /proc entries, cgroup limits, and the kubelet's log files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from threeplanes.errors import LabError
from threeplanes.system.runtime import (
    Limits,
    container_lines,
    expected_limits,
    parse_cgroups,
    parse_cmdline,
    parse_cri_log,
    pod_log_folder,
    pod_logs_dir,
    read_limits,
    rfc3339_nano,
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


def test_cri_log_entries_are_split_and_partial_lines_joined() -> None:
    text = (
        "2026-12-07T09:05:38.617371083Z stdout F line 1\n"
        "2026-12-07T09:05:39.6Z stderr P half \n"
        "2026-12-07T09:05:39.7Z stderr F and half\n"
        "2026-12-07T09:05:40Z stdout F \n"
    )
    entries = parse_cri_log(text)
    assert [(e.stream, e.partial) for e in entries] == [
        ("stdout", False),
        ("stderr", True),
        ("stderr", False),
        ("stdout", False),
    ]
    assert entries[0].time == datetime(2026, 12, 7, 9, 5, 38, 617371, tzinfo=UTC)
    assert container_lines(entries) == ["line 1", "half and half", ""]


def test_rfc3339_times_with_offsets_and_no_fraction() -> None:
    assert rfc3339_nano("2026-12-07T10:00:00+01:00") == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    with pytest.raises(LabError):
        rfc3339_nano("yesterday")


def test_the_pod_log_folder_names_namespace_pod_and_uid() -> None:
    assert pod_logs_dir({}) == Path("/var/log/pods")
    logs = pod_logs_dir({"podLogsDir": "/srv/logs"})
    assert pod_log_folder(logs, "ns", "box", "u-1") == Path("/srv/logs/ns_box_u-1")
