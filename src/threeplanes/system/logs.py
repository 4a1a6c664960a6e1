"""Logs as a node keeps them: the CRI log files, the kubelet's rotation settings, klog lines, event TTL.

The lab S12 uses these. A container's output goes through the container runtime into a file on
its node, one line per write with a header: ``parse_cri_log`` reads that format into ``CriLine``s
(time, stream, ``P`` or ``F`` tag, text) and ``joined`` puts the partial lines back together as
the kubelet does when it serves a log. ``kubelet_config_path`` finds the configuration file on the
kubelet's command line and ``log_settings`` reads from it where pod logs go and how they are
rotated, saying which values are the kubelet's defaults. ``read_log`` asks the API server for a
pod's log with any of its options. The components' own logs are klog lines: ``parse_klog`` and
``severities`` read them, and ``LogTail`` reads only what a log file gained since it was opened;
``now`` (the kit's, ``threeplanes.kit.pods``) is this machine's time to compare log lines' times with.
``event_ttl`` reads the API server's ``--event-ttl`` flag, with its default.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from threeplanes.errors import LabError
from threeplanes.kit.flags import flag_value
from threeplanes.kit.pods import now as now  # the lab's clock for the log lines' times, the kit's

# pkg/kubelet/apis/config/v1beta1/defaults.go at v1.36.4
DEFAULT_POD_LOGS_DIR = "/var/log/pods"  # DefaultPodLogsDir, pkg/kubelet/apis/config/v1beta1/defaults.go
DEFAULT_MAX_SIZE = "10Mi"
DEFAULT_MAX_FILES = 5
DEFAULT_MONITOR_INTERVAL = "10s"
# pkg/controlplane/apiserver/options/options.go at v1.36.4
DEFAULT_EVENT_TTL = "1h0m0s"

CRI_LINE = re.compile(r"^(\S+) (stdout|stderr) ([PF])(?: (.*))?$", re.DOTALL)
KLOG_LINE = re.compile(r"^([IWEF])(\d{4}) (\d\d:\d\d:\d\d\.\d{6})\s+(\d+) ([^\]\s]+)\] (.*)$")
ROTATED = re.compile(r"\.log\.\d{8}-\d{6}(\.gz)?$")
QUANTITY = re.compile(r"^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
UNITS = {None: 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
UNITS |= {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}


class NotALogLine(LabError):
    """A line that is not in the format it was read as."""


# --- the CRI log format ------------------------------------------------------------------------


def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 time with up to nanoseconds (``2026-12-07T09:05:32.002309193Z``), to the microsecond."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    if not match:
        raise NotALogLine(f"not an RFC 3339 time: {text!r}")
    whole, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(f"{whole}.{micro}{zone}")


@dataclass(frozen=True)
class CriLine:
    """One line of a container's log file: when the runtime wrote it, the stream, ``P``artial or ``F``ull, the text."""

    time: datetime
    stream: str
    tag: str
    text: str


def parse_cri_line(line: str) -> CriLine:
    """One line of the CRI log format: ``<RFC 3339 time> <stdout|stderr> <P|F> <text>``."""
    match = CRI_LINE.match(line.rstrip("\n"))
    if not match:
        raise NotALogLine(f"not a CRI log line: {line[:80]!r}")
    stamp, stream, tag, text = match.groups()
    return CriLine(parse_timestamp(stamp), stream, tag, text or "")


def parse_cri_log(text: str) -> list[CriLine]:
    """Every line of a CRI log file's content."""
    return [parse_cri_line(line) for line in text.splitlines() if line]


def joined(lines: list[CriLine]) -> list[tuple[str, str]]:
    """``(stream, text)`` of each line the container wrote: the ``P`` parts joined to the ``F`` that ends them."""
    whole: list[tuple[str, str]] = []
    pending: dict[str, str] = {}
    for line in lines:
        text = pending.pop(line.stream, "") + line.text
        if line.tag == "P":
            pending[line.stream] = text
        else:
            whole.append((line.stream, text))
    return whole


def timestamped(text: str) -> list[tuple[datetime, str]]:
    """The lines of a log read with ``timestamps=True``: ``(time, text)`` each."""
    found = []
    for line in text.splitlines():
        stamp, _, rest = line.partition(" ")
        found.append((parse_timestamp(stamp), rest))
    return found


def read_log(cluster: Any, namespace: str, pod: str, **options: Any) -> str:
    """The log of ``pod`` as the kubelet serves it through the API server, with ``read_namespaced_pod_log``'s
    options (``timestamps``, ``tail_lines``, ``since_seconds``, ``previous``, ``container``...), decoded."""
    response = cluster.core.read_namespaced_pod_log(pod, namespace, _preload_content=False, **options)
    return response.data.decode()


def pod_log_folder(pod_logs_dir: Path, namespace: str, pod: str, uid: str) -> Path:
    """The folder the kubelet gives a pod's logs: ``<podLogsDir>/<namespace>_<pod>_<uid>``."""
    return Path(pod_logs_dir) / f"{namespace}_{pod}_{uid}"


def is_rotated(path: Path) -> bool:
    """True for a file the kubelet rotated: ``<n>.log.<YYYYMMDD-hhmmss>``, compressed or not."""
    return bool(ROTATED.search(path.name))


# --- the kubelet's settings --------------------------------------------------------------------


def kubelet_config_path(command_line: list[str]) -> Path | None:
    """The ``--config`` file on a kubelet's command line (``--config=F`` or ``--config F``), or None."""
    given = flag_value(command_line, "config")
    return None if given is None else Path(given)


def parse_quantity(text: str) -> int:
    """A size as the kubelet reads ``containerLogMaxSize`` (``10Mi``, ``500k``, ``1048576``), in bytes."""
    match = QUANTITY.match(str(text).strip())
    if not match:
        raise LabError(f"not a size this lab reads: {text!r}")
    return int(match.group(1)) * UNITS[match.group(2)]


@dataclass(frozen=True)
class LogSettings:
    """Where a kubelet keeps pod logs and how it rotates them; ``defaulted`` names the values its file does not set."""

    pod_logs_dir: Path
    max_size: str
    max_files: int
    monitor_interval: str
    defaulted: frozenset[str] = field(default_factory=frozenset)

    @property
    def max_bytes(self) -> int:
        return parse_quantity(self.max_size)


def log_settings(config: dict[str, Any]) -> LogSettings:
    """The log settings of a KubeletConfiguration (a dict), the kubelet's defaults where it says nothing."""
    keys = {
        "podLogsDir": DEFAULT_POD_LOGS_DIR,
        "containerLogMaxSize": DEFAULT_MAX_SIZE,
        "containerLogMaxFiles": DEFAULT_MAX_FILES,
        "containerLogMonitorInterval": DEFAULT_MONITOR_INTERVAL,
    }
    value = {key: config.get(key, default) for key, default in keys.items()}
    return LogSettings(
        pod_logs_dir=Path(value["podLogsDir"]),
        max_size=str(value["containerLogMaxSize"]),
        max_files=int(value["containerLogMaxFiles"]),
        monitor_interval=str(value["containerLogMonitorInterval"]),
        defaulted=frozenset(key for key in keys if key not in config),
    )


def parse_go_duration(text: str) -> timedelta:
    """A Go duration as a flag takes it (``1h0m0s``, ``90m``, ``30s``)."""
    parts = GO_DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise LabError(f"not a duration this lab reads: {text!r}")
    return timedelta(seconds=sum(float(n) * SECONDS[u] for n, u in parts))


def event_ttl(apiserver_flags: dict[str, str]) -> tuple[timedelta, bool]:
    """How long the API server keeps an event, and whether that is its default (no ``--event-ttl`` flag)."""
    given = apiserver_flags.get("event-ttl")
    return parse_go_duration(given or DEFAULT_EVENT_TTL), given is None


# --- the components' own logs (klog) -----------------------------------------------------------


@dataclass(frozen=True)
class KlogLine:
    """One klog header line: severity (I, W, E, F), the time (month, day, clock), the source file:line, the message."""

    severity: str
    when: str
    source: str
    message: str


def parse_klog(line: str) -> KlogLine | None:
    """A klog line (``I1207 07:51:55.197596   24331 serving.go:411] ...``), or None for any other line."""
    match = KLOG_LINE.match(line)
    if not match:
        return None
    severity, day, clock, _pid, source, message = match.groups()
    return KlogLine(severity, f"{day} {clock}", source, message)


def severities(text: str) -> Counter[str]:
    """How many klog lines of each severity a log holds; lines that are not klog lines count as ``other``."""
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        parsed = parse_klog(line)
        counts[parsed.severity if parsed else "other"] += 1
    return counts


class LogTail:
    """What a growing log file gains from now on: ``new_text()`` reads what was written since the start."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.start = self.path.stat().st_size if self.path.is_file() else 0

    def new_text(self) -> str:
        with self.path.open("rb") as file:
            file.seek(self.start)
            return file.read().decode(errors="replace")
