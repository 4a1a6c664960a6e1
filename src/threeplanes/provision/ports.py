"""A stopped component's ports, held by this process so that no control plane started meanwhile takes them.

kwokctl gives every port of a new cluster the first one below 32767 that nobody listens on at that
moment. A component stopped on purpose (a lab stopping etcd or the scheduler of its own control
plane) closes its listener at once, and may take seconds more to end: a cluster created by anyone
on this machine in that window would get its port, and the component, started again, would fail,
or worse, its peers would reach the other cluster's. So ``stop_holding`` stops the process in a
thread and binds each of its ports the moment it is free; ``HeldPorts.release`` lets them go just
before the component starts again. A held port refuses connections, as a free one does.

``free_ports`` finds ports nobody listens on, for programs a lab starts itself.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from threeplanes.errors import ProvisioningError


def free_ports(count: int = 1) -> list[int]:
    """``count`` distinct TCP ports on 127.0.0.1 that nobody listens on now (each probe stays bound until all are
    found, so that no two are the same)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


@dataclass
class HeldPorts:
    ports: list[int]
    sockets: list[socket.socket] = field(default_factory=list)

    def release(self) -> None:
        for held in self.sockets:
            with contextlib.suppress(OSError):  # wakes a listener's accept(); a bound socket has nothing to shut
                held.shutdown(socket.SHUT_RDWR)
            held.close()
        self.sockets.clear()


def _hold(port: int) -> socket.socket | None:
    """Bind ``port`` without listening; where connections of the stopped process still occupy it, listen and
    close each connection at once. None while someone listens there."""
    plain = socket.socket()
    try:
        plain.bind(("0.0.0.0", port))
        return plain
    except OSError:
        plain.close()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("0.0.0.0", port))
    except OSError:
        listener.close()
        return None
    listener.listen(16)

    def close_each() -> None:
        with contextlib.suppress(OSError):  # the listener was shut: release()
            while True:
                listener.accept()[0].close()

    threading.Thread(target=close_each, daemon=True, name=f"holding port {port}").start()
    return listener


def stop_holding(stop: Callable[[], object], ports: list[int], what: str, timeout: float = 60) -> HeldPorts:
    """Call ``stop()`` in a thread and hold each of ``ports`` as soon as it is free; raise when another
    process takes one first, or when ``stop()`` raised."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["stopped"] = stop()
        except Exception as error:  # re-raised below, in the caller's thread
            outcome["error"] = error

    stopper = threading.Thread(target=run, daemon=True, name=f"stopping {what}")
    stopper.start()
    pending, held, deadline = list(ports), HeldPorts(list(ports)), time.monotonic() + timeout
    while pending:
        stopped_before = not stopper.is_alive()
        for port in list(pending):
            if (holder := _hold(port)) is not None:
                held.sockets.append(holder)
                pending.remove(port)
        if pending and (stopped_before or time.monotonic() > deadline):
            held.release()
            raise ProvisioningError(f"{what} stopped, but another process took its port(s) {pending} meanwhile.")
        time.sleep(0.02)
    stopper.join(timeout=max(0.0, deadline - time.monotonic()))
    if "error" in outcome:
        held.release()
        raise outcome["error"]  # type: ignore[misc]
    return held
