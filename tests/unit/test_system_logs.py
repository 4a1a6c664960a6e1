"""The lab S12's helpers that need no cluster: the CRI log format, kubelet settings, klog lines, durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from threeplanes.errors import LabError
from threeplanes.system.logs import (
    LogTail,
    NotALogLine,
    event_ttl,
    flag_value,
    is_rotated,
    joined,
    kubelet_config_path,
    log_settings,
    parse_cri_line,
    parse_cri_log,
    parse_go_duration,
    parse_klog,
    parse_quantity,
    parse_timestamp,
    pod_log_folder,
    severities,
    timestamped,
)


def test_a_cri_line_has_a_time_a_stream_a_tag_and_text() -> None:
    line = parse_cri_line("2026-12-07T09:05:32.002309193Z stderr F to stderr, with spaces")
    assert line.time == datetime(2026, 12, 7, 9, 5, 32, 2309, tzinfo=UTC)
    assert (line.stream, line.tag, line.text) == ("stderr", "F", "to stderr, with spaces")


def test_an_empty_line_has_empty_text_and_a_line_read_from_a_file_loses_its_newline() -> None:
    assert parse_cri_line("2026-12-07T09:05:32Z stdout F").text == ""
    assert parse_cri_line("2026-12-07T09:05:32Z stdout F first line\n").text == "first line"


@pytest.mark.parametrize("bad", ["tick 1", "2026-12-07T09:05:32Z stdin F x", "2026-12-07T09:05:32Z stdout X x"])
def test_other_lines_are_refused(bad: str) -> None:
    with pytest.raises(NotALogLine):
        parse_cri_line(bad)


def test_partial_lines_are_joined_per_stream() -> None:
    log = "\n".join(
        [
            "2026-12-07T09:05:32.1Z stdout P aaa",
            "2026-12-07T09:05:32.2Z stderr F oops",
            "2026-12-07T09:05:32.3Z stdout P bbb",
            "2026-12-07T09:05:32.4Z stdout F cc",
        ]
    )
    assert joined(parse_cri_log(log)) == [("stderr", "oops"), ("stdout", "aaabbbcc")]


def test_timestamps_keep_microseconds_and_zones() -> None:
    assert parse_timestamp("2026-12-07T09:05:32+02:00") == datetime(2026, 12, 7, 7, 5, 32, tzinfo=UTC)
    assert parse_timestamp("2026-12-07T09:05:32.5Z").microsecond == 500000
    with pytest.raises(NotALogLine):
        parse_timestamp("yesterday")


def test_timestamped_lines_as_the_api_server_serves_them() -> None:
    served = "2026-12-07T09:05:34.005605089Z tick 2\n2026-12-07T09:05:35.006903583Z tick 3\n"
    assert [text for _, text in timestamped(served)] == ["tick 2", "tick 3"]


def test_the_kubelets_config_file_is_found_in_either_form() -> None:
    assert kubelet_config_path(["kubelet", "--config=/etc/k.yaml", "--v=1"]) == Path("/etc/k.yaml")
    assert kubelet_config_path(["kubelet", "--config", "/etc/k.yaml"]) == Path("/etc/k.yaml")
    assert kubelet_config_path(["kubelet", "--v=1"]) is None
    assert flag_value(["kubelet", "--v=1"], "v") == "1"
    assert flag_value(["kubelet"], "v") is None


def test_log_settings_fall_back_to_the_kubelets_defaults_and_say_so() -> None:
    settings = log_settings({"podLogsDir": "/srv/pods", "containerLogMaxFiles": 3})
    assert settings.pod_logs_dir == Path("/srv/pods")
    assert (settings.max_size, settings.max_files, settings.max_bytes) == ("10Mi", 3, 10 * 2**20)
    assert settings.defaulted == {"containerLogMaxSize", "containerLogMonitorInterval"}
    assert log_settings({}).pod_logs_dir == Path("/var/log/pods")


@pytest.mark.parametrize(("text", "size"), [("10Mi", 10485760), ("500k", 500000), ("1048576", 1048576)])
def test_sizes(text: str, size: int) -> None:
    assert parse_quantity(text) == size


def test_an_unknown_size_is_refused() -> None:
    with pytest.raises(LabError):
        parse_quantity("ten megs")


def test_go_durations_and_the_event_ttl_default() -> None:
    assert parse_go_duration("1h0m0s") == timedelta(hours=1)
    assert parse_go_duration("90m") == timedelta(minutes=90)
    assert event_ttl({}) == (timedelta(hours=1), True)
    assert event_ttl({"event-ttl": "30m"}) == (timedelta(minutes=30), False)
    with pytest.raises(LabError):
        parse_go_duration("1 hour")


def test_pod_log_folders_and_rotated_files_are_named_as_the_kubelet_names_them() -> None:
    assert pod_log_folder(Path("/var/log/pods"), "ns", "web", "u-1") == Path("/var/log/pods/ns_web_u-1")
    assert is_rotated(Path("0.log.20261207-091015"))
    assert is_rotated(Path("0.log.20261207-091015.gz"))
    assert not is_rotated(Path("0.log"))
    assert not is_rotated(Path("1.log"))


def test_klog_lines_and_their_severities() -> None:
    text = (
        "I1207 07:51:55.197596   24331 serving.go:411] Generated self-signed cert in-memory\n"
        "W1207 07:51:55.198397   24331 authentication.go:368] No authentication-kubeconfig\n"
        "a line of a multi-line message\n"
    )
    first = parse_klog(text.splitlines()[0])
    assert first is not None
    assert (first.severity, first.when, first.source) == ("I", "1207 07:51:55.197596", "serving.go:411")
    assert severities(text) == {"I": 1, "W": 1, "other": 1}


def test_a_log_tail_reads_only_what_was_written_since(tmp_path: Path) -> None:
    log = tmp_path / "component.log"
    log.write_text("old\n")
    tail = LogTail(log)
    with log.open("a") as file:
        file.write("new\n")
    assert tail.new_text() == "new\n"
    assert LogTail(tmp_path / "missing.log").start == 0
