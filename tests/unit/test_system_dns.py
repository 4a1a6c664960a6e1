"""Unit tests of threeplanes.system.dns: reading a Corefile, a resolv.conf, nslookup's output and DNS packets."""

from __future__ import annotations

import socket
import struct

from threeplanes.system import dns

COREFILE = """.:53 {
    bind 10.244.0.1
    errors
    ready 127.0.0.1:10281
    kubernetes cluster.local in-addr.arpa ip6.arpa {  # the cluster's names
        kubeconfig /tmp/kubeconfig
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 5
}
"""


def test_conf_path_follows_the_conf_flag_or_defaults_to_corefile():
    assert dns.conf_path(["coredns", "-conf", "/etc/Corefile"]) == "/etc/Corefile"
    assert dns.conf_path(["coredns", "-conf=/x/Corefile"]) == "/x/Corefile"
    assert dns.conf_path(["coredns"]) == "Corefile"


def test_directives_list_each_line_with_its_blocks():
    found = dns.directives(COREFILE)
    assert [d.name for d in found] == [
        ".:53",
        "bind",
        "errors",
        "ready",
        "kubernetes",
        "kubeconfig",
        "pods",
        "fallthrough",
        "cache",
    ]
    pods = dns.plugin(COREFILE, "pods")
    assert pods is not None and pods.args == ("insecure",)
    assert pods.block == (".:53", "kubernetes cluster.local in-addr.arpa ip6.arpa")
    kubernetes = dns.plugin(COREFILE, "kubernetes")
    assert kubernetes is not None and kubernetes.args == ("cluster.local", "in-addr.arpa", "ip6.arpa")
    assert dns.plugin(COREFILE, "cache").block == (".:53",)
    assert dns.plugin(COREFILE, "forward") is None


def test_resolv_conf_is_read_as_libc_reads_it():
    text = "search a.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.0.0.10\noptions ndots:5\n"
    resolv = dns.parse_resolv_conf(text)
    assert resolv.nameservers == ("10.0.0.10",)
    assert resolv.search == ("a.svc.cluster.local", "svc.cluster.local", "cluster.local")
    assert resolv.options == ("ndots:5",)
    assert dns.parse_resolv_conf("search x\nsearch y z\n").search == ("y", "z")


NSLOOKUP_A = """Server:\t\t10.0.0.10
Address:\t10.0.0.10:53

Name:\tweb-pods.ns.svc.cluster.local
Address: 10.244.0.5
Name:\tweb-pods.ns.svc.cluster.local
Address: 10.244.0.6
"""


def test_nslookup_addresses_skip_the_servers_own_address():
    assert dns.nslookup_addresses(NSLOOKUP_A) == ["10.244.0.5", "10.244.0.6"]
    assert dns.nslookup_failure(NSLOOKUP_A) is None


def test_srv_records_and_failures_are_read_from_nslookup():
    out = "_http._tcp.web.ns.svc.cluster.local\tservice = 0 100 80 web.ns.svc.cluster.local\n"
    assert dns.srv_records(out) == [(0, 100, 80, "web.ns.svc.cluster.local")]
    failed = "Server:\t\t10.0.0.10\n\n** server can't find nothing.ns.svc.cluster.local: NXDOMAIN\n"
    assert dns.nslookup_failure(failed) == "NXDOMAIN"
    assert dns.nslookup_addresses(failed) == []


def _question(name: str, qtype: int) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    return labels + b"\x00" + struct.pack("!HH", qtype, 1)


def _message(ident: int, flags: int, name: str, qtype: int, ttls: tuple[int, ...] = ()) -> bytes:
    header = struct.pack("!HHHHHH", ident, flags, 1, len(ttls), 0, 0)
    answers = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, ttl, 4) + bytes([10, 0, 0, 7]) for ttl in ttls)
    return header + _question(name, qtype) + answers


def _udp(source: str, destination: str, sport: int, dport: int, payload: bytes) -> bytes:
    ip = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        28 + len(payload),
        0,
        0,
        64,
        17,
        0,
        socket.inet_aton(source),
        socket.inet_aton(destination),
    )
    return ip + struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def test_parse_dns_reads_the_question_the_code_and_ttls_through_name_pointers():
    reply = dns.parse_dns(_message(7, 0x8180, "web.ns.svc.cluster.local", 1, ttls=(5, 4)))
    assert reply == dns.Message(7, True, "web.ns.svc.cluster.local", "A", "NOERROR", (5, 4))
    failed = dns.parse_dns(_message(8, 0x8183, "x.cluster.local", 28))
    assert (failed.reply, failed.qtype, failed.rcode) == (True, "AAAA", "NXDOMAIN")


def test_dns_of_keeps_only_the_clients_dns_traffic():
    query = _udp("10.244.0.9", "10.244.0.1", 40000, 53, _message(1, 0x0100, "example.com", 1))
    reply = _udp("10.0.0.10", "10.244.0.9", 53, 40000, _message(1, 0x8182, "example.com", 1))
    other = _udp("10.244.0.8", "10.244.0.1", 40000, 53, _message(2, 0x0100, "example.com", 1))
    web = _udp("10.244.0.9", "10.244.0.1", 40000, 8080, b"GET / HTTP/1.1\r\n\r\n")
    messages = [m for p in (query, reply, other, web) if (m := dns.dns_of(p, "10.244.0.9"))]
    assert [(m.reply, m.rcode) for m in messages] == [(False, "NOERROR"), (True, "SERVFAIL")]
    assert dns.all_answered(messages)
    assert not dns.all_answered(messages[:1]) and not dns.all_answered([])
    assert dns.asked(messages) == [("example.com", "A")]
    assert dns.answer_codes(messages) == {("example.com", "A"): {"SERVFAIL"}}
    assert dns.dns_of(b"\x45" + b"\x00" * 10, "10.244.0.9") is None
