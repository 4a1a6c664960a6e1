"""Real HTTP requests from a pod, read back from its log: what the data plane really did, and when.

The EndpointSlice is the control plane's answer; the packets follow only once kube-proxy on the
node has rewritten its rules from it, on its own schedule. So a lab or a checker never judges
traffic by the slice: ``client_pod`` sends a request over a new connection every few tenths of a
second for as long as it lives, and its log, read with the kubelet's timestamps
(``timed_replies``, ``wait_for_replies``), is the record of where each request really went and
when. Such a pod needs a node that runs containers: the real node (``on_real_node``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubernetes.client import ApiException

from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.effects import poll_until
from threeplanes.kit.pods import pod_log

REPLY_PREFIX = "reply "

CLIENT_INTERVAL_S = 0.1


def repeating_pod(
    name: str,
    step: str,
    pause: float,
    image: str,
    first: str = "",
    container: str = "client",
    real_node: bool = False,
    **pod_spec: Any,
) -> dict[str, Any]:
    """A pod whose one container's shell runs ``first`` once, then ``step`` every ``pause`` s for as long as it
    lives, on the real node with ``real_node``; ``pod_spec`` adds fields to its spec.

    The shell ignores SIGTERM as a container's first process, so the grace period is one second: deleting
    the pod or its namespace takes no longer.
    """
    script = f"{first}; " if first else ""
    script += f"while true; do {step}; sleep {pause:g}; done"
    spec = {"terminationGracePeriodSeconds": 1, **pod_spec}
    spec["containers"] = [{"name": container, "image": image, "command": ["sh", "-c", script]}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": on_real_node(spec) if real_node else spec,
    }


def client_pod(name: str, url: str, image: str, interval: float = CLIENT_INTERVAL_S) -> dict[str, Any]:
    """A pod that prints its Service variables, then GETs ``url`` every ``interval`` s, one connection each.

    Each request writes one line, ``reply <answer>`` (an empty answer when none came within two
    seconds).
    """
    ask = f'echo "{REPLY_PREFIX}$(timeout 2 wget -qO- {url})"'
    return repeating_pod(name, ask, interval, image, first="env | grep _SERVICE_ | sort", restartPolicy="Never")


@dataclass(frozen=True)
class Reply:
    """One request of ``client_pod``: when the kubelet logged it, and which pod answered ("" for none)."""

    at: datetime
    pod: str


def timed_replies(log: str) -> list[Reply]:
    """The replies in a ``client_pod`` log read with timestamps (``<RFC 3339 time> reply <pod>`` lines)."""
    replies = []
    for line in log.splitlines():
        stamp, _, text = line.partition(" ")
        if text.startswith(REPLY_PREFIX):
            replies.append(Reply(datetime.fromisoformat(stamp), text[len(REPLY_PREFIX) :].strip()))
    return replies


def describe_replies(replies: list[Reply], last: int = 20) -> str:
    """``12 replies; the last 20 from: web-a x12, web-b x8``, for a deadline's message."""
    if not replies:
        return "no reply logged yet"
    counts = Counter(r.pod or "(no answer)" for r in replies[-last:])
    shown = ", ".join(f"{pod} x{n}" for pod, n in sorted(counts.items()))
    return f"{len(replies)} replies; the last {min(last, len(replies))} from: {shown}"


def answered_by(replies: list[Reply], pods: set[str], since: datetime | None = None) -> bool:
    """True when every pod of ``pods`` has answered at least once (after ``since``, when given)."""
    return pods <= {r.pod for r in replies if since is None or r.at > since}


def settled_run(replies: list[Reply], pods: set[str], count: int, since: datetime) -> list[Reply]:
    """The last ``count`` replies if each came after ``since`` from one of ``pods``; else []."""
    tail = replies[-count:]
    if len(tail) == count and all(r.at > since and r.pod in pods for r in tail):
        return tail
    return []


def wait_for_replies(
    cluster: Any,
    namespace: str,
    pod: str,
    condition: Callable[[list[Reply]], bool],
    what: str,
    timeout: float = 60,
) -> list[Reply]:
    """Read the ``client_pod`` log until ``condition(replies)`` holds; return the replies.

    A log has no watch: it is read again every half second, up to the deadline, whose message
    names ``what`` was awaited and where the last replies came from.
    """
    return poll_until(
        lambda: timed_replies(_log_so_far(cluster, namespace, pod)),
        condition,
        what=what,
        describe=describe_replies,
        timeout=timeout,
        every=0.5,
    ).seen


def _log_so_far(cluster: Any, namespace: str, pod: str) -> str:
    """The pod's log with timestamps; empty while the kubelet has none to give: it answers 404 until it
    has taken the new pod in, then 400 while the container is "waiting to start" or "not available"
    (before it reports the container's status). A pod that never logs ends in the caller's deadline."""
    try:
        return pod_log(cluster, namespace, pod, timestamps=True)
    except ApiException as error:
        if error.status in (400, 404):
            return ""
        raise


def env_from_log(log: str) -> dict[str, str]:
    """The ``NAME=value`` lines of a log, as a dictionary."""
    pairs = (line.split("=", 1) for line in log.splitlines() if "=" in line and not line.startswith(REPLY_PREFIX))
    return {name: value for name, value in pairs}
