"""A stopped component's ports, held from the moment they are free until the component starts again."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from threeplanes.errors import ProvisioningError
from threeplanes.provision.ports import free_ports, stop_holding

SERVER = """
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen()
print("listening", flush=True)
time.sleep(60)
"""


def can_listen(port: int) -> bool:
    probe = socket.socket()
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", port))
        probe.listen()
        return True
    except OSError:
        return False
    finally:
        probe.close()


def test_free_ports_are_distinct_and_free() -> None:
    ports = free_ports(5)
    assert len(set(ports)) == 5 and all(can_listen(p) for p in ports)


def test_a_stopped_servers_port_is_held_until_released() -> None:
    (port,) = free_ports(1)
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stdout=subprocess.PIPE, text=True)
    assert server.stdout.readline().strip() == "listening"
    held = stop_holding(lambda: (server.kill(), server.wait()), [port], "the test's server")
    assert server.poll() is not None
    assert not can_listen(port), "another program took the stopped server's port"
    held.release()
    assert can_listen(port)


def test_a_port_someone_else_listens_on_is_reported() -> None:
    (port,) = free_ports(1)
    other = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "listening"
        with pytest.raises(ProvisioningError, match=r"took its port\(s\)"):
            stop_holding(lambda: None, [port], "a component that never listened")
    finally:
        other.kill()
        other.wait()
