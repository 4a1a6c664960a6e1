"""kube-controller-manager: which controllers it runs, who leads, and what each controller leaves behind.

``running_controllers`` reads the controllers a kube-controller-manager started from its
``/healthz?verbose`` page (one check per controller it started), ``skipped_controllers`` the ones
its log says it left out and why. ``lease_of`` reads the Lease its leader election holds.
``SecondControllerManager`` starts one more kube-controller-manager on a lab's own control plane
(the same binary and flags, another port) so that two candidates compete for that Lease.
``reporters`` and ``field_managers`` say which controller (an Event's reporting component) and which
process (``managedFields[].manager``) wrote an object. ``apply_crd`` installs a
CustomResourceDefinition and waits until it is served.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client

from threeplanes.errors import LabError
from threeplanes.kit.effects import Effect, poll_until
from threeplanes.kit.wait import wait_for_one
from threeplanes.provision import processes

COMPONENT = "kube-controller-manager"
LEASE = ("kube-system", "kube-controller-manager")  # namespace, name
SKIPPED = re.compile(r'"Warning: (skipping controller|controller is disabled)" controller="([^"]+)"')
HEALTH_CHECK = re.compile(r"^\[\+\](\S+) ok$")


def healthz(port: int | str, timeout: float = 5) -> str:
    """The ``/healthz?verbose`` page of the process listening on ``port`` (its own, self-signed, certificate)."""
    unverified = ssl.create_default_context()
    unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE  # a certificate made in memory at start
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz?verbose", timeout=timeout, context=unverified) as r:
        return r.read().decode()


def running_controllers(port: int | str) -> list[str]:
    """The controllers a kube-controller-manager started: one health check each (``leaderElection`` aside)."""
    checks = [m.group(1) for line in healthz(port).splitlines() if (m := HEALTH_CHECK.match(line.strip()))]
    return sorted(c for c in checks if c != "leaderElection")


def skipped_controllers(log: str) -> dict[str, str]:
    """``{controller: why}`` for each controller the log says was left out (a feature gate, a cloud, disabled)."""
    return {m.group(2): m.group(1) for m in SKIPPED.finditer(log)}


def lines_about(log: str, *words: str) -> list[str]:
    """The log's lines that contain every one of ``words``, shortened to what follows the source location."""
    return [line.split("] ", 1)[-1] for line in log.splitlines() if all(w in line for w in words)]


def lease_of(cluster: Any) -> Any:
    """The Lease the controller managers' leader election holds (``kube-system/kube-controller-manager``)."""
    namespace, name = LEASE
    return cluster.coordination.read_namespaced_lease(name, namespace)


def holder(cluster: Any) -> str:
    return lease_of(cluster).spec.holder_identity or ""


def wait_for_new_holder(cluster: Any, old: str, since: float | None = None, timeout: float = 60) -> Effect[Any]:
    """Wait until the Lease names a holder other than ``old``; the lag is counted from ``since``."""
    return poll_until(
        lambda: lease_of(cluster),
        lambda lease: bool(lease.spec.holder_identity) and lease.spec.holder_identity != old,
        what=f"the Lease {'/'.join(LEASE)} to pass from {old} to another holder",
        describe=lambda lease: f"holder {lease.spec.holder_identity}, renewed {lease.spec.renew_time}",
        timeout=timeout,
        every=0.2,
        since=since,
    )


def seconds(flag: str) -> float:
    """A duration flag's value (``15s``, ``1m30s``, ``500ms``) in seconds."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", flag)
    if not parts or "".join(n + u for n, u in parts) != flag:
        raise LabError(f"{flag!r} is not a duration such as 15s or 1m30s.")
    return sum(float(n) * units[u] for n, u in parts)


@dataclass
class SecondControllerManager:
    """One more kube-controller-manager on a lab's own control plane: the same binary and flags, another port.

    The binary is linked into a folder of its own in the control plane's working folder, so that the
    control plane's processes are still told apart, and its exit clean-up still finds this one.

    It stops when ``stop`` is called, and with the Python process that started it, however that ends.
    """

    started: processes.Started
    port: int

    @classmethod
    def start(cls, plane: Any, name: str = "second-controller-manager") -> SecondControllerManager:
        record = plane.component(COMPONENT)
        if record is None:
            raise LabError(f"the control plane {plane.name} has no {COMPONENT} to copy.")
        port = _free_port()
        flags = {**plane.flags(COMPONENT), "secure-port": str(port)}
        folder = Path(plane.workdir) / name
        folder.mkdir(parents=True, exist_ok=True)
        # The same file under another name: the control plane counts every process started from its own
        # folder of binaries as its component, and would take this one for its controller manager.
        binary = folder / COMPONENT
        if not binary.exists():
            try:
                os.link(record["binary"], binary)
            except OSError:
                shutil.copy2(record["binary"], binary)
        command = [str(binary), *(f"--{k}={v}" for k, v in flags.items())]
        started = processes.start(name, command, folder, folder, die_with_parent=True)
        return cls(started, port)

    @property
    def pid(self) -> int:
        return self.started.pid

    @property
    def running(self) -> bool:
        return self.started.running

    def log(self) -> str:
        return self.started.log.read_text(errors="replace") if self.started.log.is_file() else ""

    def wait_until_healthy(self, timeout: float = 60) -> list[str]:
        """Wait until it answers ``/healthz`` (a standby that has not started its controllers answers too)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return healthz(self.port, timeout=2).splitlines()
            except OSError as error:
                if not self.running or time.monotonic() > deadline:
                    tail = "\n".join(self.log().splitlines()[-5:])
                    raise LabError(f"the second {COMPONENT} did not answer /healthz ({error}):\n{tail}") from None
                time.sleep(0.3)

    def stop(self) -> None:
        processes.stop_started(self.started)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- who wrote an object -------------------------------------------------------------------------------


def reporters(events: list[Any]) -> dict[tuple[str, str], str]:
    """``{(kind, reason): reporting controller}`` for ``events`` (the reporting component, else the source)."""
    found = {}
    for event in events:
        reporter = event.reporting_component or (event.source.component if event.source else "") or ""
        found[(event.involved_object.kind, event.reason)] = reporter
    return found


def field_managers(obj: Any) -> list[str]:
    """The field managers of ``obj``: ``manager`` or ``manager (subresource)``, in order."""
    named = [
        f"{m.manager} ({m.subresource})" if m.subresource else m.manager for m in obj.metadata.managed_fields or []
    ]
    return list(dict.fromkeys(named))


# --- custom resources ------------------------------------------------------------------------------------


def apply_crd(cluster: Any, crd: Mapping[str, Any], timeout: float = 60) -> Any:
    """Create ``crd`` unless it exists, and wait until the API server serves it (``Established``)."""
    api = client.ApiextensionsV1Api(cluster.api_client)
    try:
        api.create_custom_resource_definition(dict(crd))
    except client.ApiException as error:
        if error.status != 409:  # made already: by an earlier run, or by a case side by side
            raise
    name = crd["metadata"]["name"]

    def established(found: Any) -> bool:
        return any(c.type == "Established" and c.status == "True" for c in found.status.conditions or [])

    return wait_for_one(
        api.list_custom_resource_definition,
        name,
        established,
        what=f"the CustomResourceDefinition {name} to be served",
        describe=lambda found: ", ".join(f"{c.type}={c.status}" for c in found.status.conditions or []) or "no status",
        missing="no such CustomResourceDefinition",
        timeout=timeout,
    )


def crd(group: str, kind: str, spec: Mapping[str, Any], status: Mapping[str, Any]) -> dict[str, Any]:
    """A namespaced CustomResourceDefinition of ``kind`` (version v1) with typed ``spec`` and a status subresource."""
    plural = kind.lower() + "s"
    schema = {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": dict(spec), "required": list(spec)},
            "status": {"type": "object", "properties": dict(status)},
        },
    }
    version = {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}
    version["subresources"] = {"status": {}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
            "versions": [version],
        },
    }


# --- the exercise's answers --------------------------------------------------------------------------------
