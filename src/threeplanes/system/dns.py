"""The cluster's DNS, read from the real node: CoreDNS's Corefile, a pod's resolver, and the queries on the wire.

CoreDNS runs on the real node as a host process; its command line names its configuration
(``corefile_of``), and ``directives`` reads that Corefile into its plugin lines. A pod asks
CoreDNS through the C library's resolver or through ``nslookup``, run with ``run_in`` (``kubectl
exec``); ``parse_resolv_conf``, ``nslookup_addresses``, ``srv_records`` and ``nslookup_failure`` read
what they print. ``QueryCapture`` records the DNS packets one pod exchanges with CoreDNS on the
node's bridge (a packet socket: it reads, it changes nothing), which is how a lab counts the
queries a lookup really costs when CoreDNS itself keeps no count.
"""

from __future__ import annotations

import shlex
import socket
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from threeplanes.errors import LabError
from threeplanes.kit.control_plane import DNS_PORT
from threeplanes.kit.kubectl import kubectl

QTYPES = {1: "A", 12: "PTR", 28: "AAAA", 33: "SRV"}
RCODES = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}
ETH_P_ALL = 0x0003  # every protocol, in both directions: a packet socket sees outgoing frames only with this


# --- CoreDNS's configuration -------------------------------------------------------------------


def conf_path(cmdline: list[str]) -> str:
    """The Corefile CoreDNS was started with: the argument after ``-conf`` (CoreDNS's default, ``Corefile``)."""
    for flag in ("-conf", "--conf"):
        if flag in cmdline[:-1]:
            return cmdline[cmdline.index(flag) + 1]
        for arg in cmdline:
            if arg.startswith(flag + "="):
                return arg.split("=", 1)[1]
    return "Corefile"


def corefile_of(pid: int) -> tuple[Path, str]:
    """The path and text of the Corefile of the CoreDNS process ``pid``, read from its command line."""
    process = psutil.Process(pid)
    path = Path(conf_path(process.cmdline()))
    if not path.is_absolute():
        path = Path(process.cwd()) / path
    return path, path.read_text()


@dataclass(frozen=True)
class Directive:
    """One line of a Corefile: the blocks it sits in (outermost first), its first word and the rest."""

    block: tuple[str, ...]
    name: str
    args: tuple[str, ...]


def directives(corefile: str) -> list[Directive]:
    """Every line of ``corefile`` that opens a block or names a plugin or an option, in order.

    A line ending in ``{`` is listed with the blocks around it and opens a block of its own;
    ``}`` closes one; ``#`` starts a comment.
    """
    found, blocks = [], []
    for raw in corefile.splitlines():
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        if words == ["}"]:
            blocks.pop()
            continue
        opens = words[-1] == "{"
        words = words[:-1] if opens else words
        found.append(Directive(tuple(blocks), words[0], tuple(words[1:])))
        if opens:
            blocks.append(" ".join(words))
    return found


def plugin(corefile: str, name: str) -> Directive | None:
    """The first line of ``corefile`` whose first word is ``name``, or None."""
    return next((d for d in directives(corefile) if d.name == name), None)


def listening(pid: int) -> set[tuple[str, str, int]]:
    """Where process ``pid`` listens: ``(protocol, address, port)``, TCP sockets in LISTEN and bound UDP ones."""
    found = set()
    for conn in psutil.Process(pid).net_connections(kind="inet"):
        if conn.type == socket.SOCK_STREAM and conn.status == psutil.CONN_LISTEN:
            found.add(("tcp", conn.laddr.ip, conn.laddr.port))
        elif conn.type == socket.SOCK_DGRAM and conn.laddr:
            found.add(("udp", conn.laddr.ip, conn.laddr.port))
    return found


def interface_with(address: str) -> str:
    """The name of this machine's network interface that holds ``address`` (IPv4)."""
    for name, addresses in psutil.net_if_addrs().items():
        if any(a.family == socket.AF_INET and a.address == address for a in addresses):
            return name
    raise LabError(f"no network interface of this machine holds {address}")


# --- What a pod sees and prints ----------------------------------------------------------------


def run_in(cluster: Any, namespace: str, pod: str, script: str, show: bool = True) -> tuple[str, int]:
    """Run ``sh -c script`` in ``pod`` with ``kubectl exec``; return its output and its exit status."""
    wrapped = f'{script}; echo "exit $?"'
    output = kubectl(f"exec -n {namespace} {pod} -- sh -c {shlex.quote(wrapped)}", cluster, show=False)
    body, _, last = output.rstrip("\n").rpartition("\n")
    if show:
        print(f"$ kubectl exec -n {namespace} {pod} -- {script}\n{body.rstrip()}")
    return body, int(last.split()[-1])


@dataclass(frozen=True)
class ResolvConf:
    """What a resolv.conf says: its name servers, its search domains and its options."""

    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    options: tuple[str, ...]


def parse_resolv_conf(text: str) -> ResolvConf:
    """Read ``nameserver``, ``search`` (or ``domain``) and ``options`` lines; the last search line wins, as in libc."""
    nameservers: list[str] = []
    search: list[str] = []
    options: list[str] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) < 2:
            continue
        if words[0] == "nameserver":
            nameservers.append(words[1])
        elif words[0] in ("search", "domain"):
            search = words[1:]
        elif words[0] == "options":
            options.extend(words[1:])
    return ResolvConf(tuple(nameservers), tuple(search), tuple(options))


def nslookup_addresses(output: str) -> list[str]:
    """The addresses busybox ``nslookup`` printed for the name asked (not the server's own ``Address:`` line)."""
    found, in_answer = [], False
    for line in output.splitlines():
        if line.startswith("Name:"):
            in_answer = True
        elif in_answer and line.startswith("Address:"):
            found.append(line.split(":", 1)[1].strip())
    return found


def srv_records(output: str) -> list[tuple[int, int, int, str]]:
    """The ``service = PRIORITY WEIGHT PORT TARGET`` lines of busybox ``nslookup -type=SRV``, as tuples."""
    records = []
    for line in output.splitlines():
        if "service = " in line:
            priority, weight, port, target = line.split("service = ", 1)[1].split()
            records.append((int(priority), int(weight), int(port), target))
    return records


def nslookup_failure(output: str) -> str | None:
    """The answer code of busybox ``nslookup``'s ``** server can't find NAME: CODE`` line (``NXDOMAIN``...), or None."""
    for line in output.splitlines():
        if line.startswith("** server can't find"):
            return line.rsplit(":", 1)[1].strip()
    return None


# --- DNS packets on the wire -------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """One DNS message: a query or a reply, its id, the name and type asked, the answer code and TTLs."""

    id: int
    reply: bool
    name: str
    qtype: str
    rcode: str
    ttls: tuple[int, ...] = ()


def _name(data: bytes, at: int) -> tuple[str, int]:
    """The domain name at offset ``at`` (compression pointers followed) and the offset after it."""
    labels, end, hops = [], None, 0
    while True:
        length = data[at]
        if length & 0xC0 == 0xC0:  # a pointer to a name earlier in the message
            end = at + 2 if end is None else end
            at = ((length & 0x3F) << 8) | data[at + 1]
            hops += 1
            if hops > 20:
                raise ValueError("a loop of name pointers")
            continue
        if length == 0:
            return ".".join(labels), (at + 1 if end is None else end)
        labels.append(data[at + 1 : at + 1 + length].decode(errors="replace"))
        at += 1 + length


def parse_dns(data: bytes) -> Message:
    """A DNS message (the payload of a UDP datagram): its header, first question and the TTLs of its answers."""
    ident, flags, qdcount, ancount = struct.unpack("!HHHH", data[:8])
    if qdcount < 1:
        raise ValueError("a DNS message without a question")
    name, at = _name(data, 12)
    qtype = struct.unpack("!H", data[at : at + 2])[0]
    at += 4
    ttls = []
    for _ in range(ancount):
        _, at = _name(data, at)
        ttl, length = struct.unpack("!IH", data[at + 4 : at + 10])
        ttls.append(ttl)
        at += 10 + length
    rcode = flags & 0xF
    return Message(
        ident, bool(flags >> 15), name, QTYPES.get(qtype, str(qtype)), RCODES.get(rcode, str(rcode)), tuple(ttls)
    )


def dns_of(ip_packet: bytes, client: str) -> Message | None:
    """The DNS message in an IPv4 UDP packet between ``client`` and port 53, or None for any other packet."""
    if len(ip_packet) < 28 or ip_packet[0] >> 4 != 4 or ip_packet[9] != socket.IPPROTO_UDP:
        return None
    header = (ip_packet[0] & 0x0F) * 4
    source, destination = socket.inet_ntoa(ip_packet[12:16]), socket.inet_ntoa(ip_packet[16:20])
    source_port, destination_port = struct.unpack("!HH", ip_packet[header : header + 4])
    query = source == client and destination_port == DNS_PORT
    reply = destination == client and source_port == DNS_PORT
    if not (query or reply):
        return None
    try:
        message = parse_dns(ip_packet[header + 8 :])
    except (ValueError, IndexError, struct.error):
        return None
    return message if message.reply == reply else None


class QueryCapture:
    """Record the DNS messages between one pod (``client``, its IP) and port 53, as seen on ``interface``.

    A packet socket on the node's bridge sees every frame the pods send or receive through it; a
    thread keeps those of ``client``'s DNS traffic until ``stop()``. Root is needed; nothing on the
    machine is changed. Use as a context manager; ``messages`` is the record so far.
    """

    def __init__(self, interface: str, client: str) -> None:
        self.interface, self.client = interface, client
        self.messages: list[Message] = []
        self._stop = threading.Event()
        self._socket = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
        self._socket.bind((interface, 0))
        self._socket.settimeout(0.2)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                packet, _ = self._socket.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            message = dns_of(packet, self.client)
            if message is not None:
                self.messages.append(message)

    def queries(self) -> list[Message]:
        return [m for m in self.messages if not m.reply]

    def replies(self) -> list[Message]:
        return [m for m in self.messages if m.reply]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> QueryCapture:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def all_answered(messages: list[Message]) -> bool:
    """True when every query in ``messages`` has a reply with its id (and there was at least one query)."""
    asked = {m.id for m in messages if not m.reply}
    return bool(asked) and asked <= {m.id for m in messages if m.reply}


def asked(messages: list[Message]) -> list[tuple[str, str]]:
    """The ``(name, type)`` of each query, in the order sent (retries included)."""
    return [(m.name, m.qtype) for m in messages if not m.reply]


def answer_codes(messages: list[Message]) -> dict[tuple[str, str], set[str]]:
    """For each ``(name, type)`` asked, the answer codes of its replies."""
    codes: dict[tuple[str, str], set[str]] = {}
    for m in messages:
        if m.reply:
            codes.setdefault((m.name, m.qtype), set()).add(m.rcode)
    return codes
