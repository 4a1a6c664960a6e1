"""The architecture read from processes: listening ports, and an edge for each connection open between them."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

from threeplanes.system.topology import YOU, observe_topology

SERVER = """
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True)
conns = [s.accept()[0] for _ in range(2)]
time.sleep(60)
"""
CLIENT = """
import socket, sys, time
c = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(2)]
print("connected", flush=True)
time.sleep(60)
"""


def test_a_connection_between_two_processes_is_an_edge_to_the_port_the_server_listens_on() -> None:
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline())
    client = subprocess.Popen([sys.executable, "-c", CLIENT, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert client.stdout.readline().strip() == "connected"
        time.sleep(0.2)
        topology = observe_topology({"store": psutil.Process(server.pid), "agent": psutil.Process(client.pid)})
        assert topology.listening == {"store": [port], "agent": []}
        assert [(e.client, e.server, e.port, e.connections) for e in topology.edges] == [("agent", "store", port, 2)]
        assert topology.clients_of("store") == {"agent"} and topology.talks_to(YOU) == set()
        assert [row[0] for row in topology.table().rows] == ["store", "agent"]
    finally:
        for process in (server, client):
            process.kill()
            process.wait()
