"""kube-proxy on the real node, read from the kernel and from its own endpoints.

kube-proxy turns Services and EndpointSlices into packet-rewriting rules; in ``iptables`` mode
they live in the kernel's ``nat`` table. ``nat_rules`` reads that table with ``iptables-save``
(``iptables_save``; with the kernel's per-rule counters), ``parse_rules`` splits it into ``Rule``s, and
``service_path`` follows one Service port from ``KUBE-SERVICES`` through its ``KUBE-SVC-*``
chain to each ``KUBE-SEP-*`` chain and its DNAT target. ``no_endpoint_rejects`` reads the
``filter`` table's rules for Services without endpoints. ``metrics``, ``metric`` and
``proxy_mode`` read kube-proxy's metrics server (``/metrics``, ``/proxyMode``, ``/configz``);
``burst`` sends requests from a pod and ``tally`` counts who answered.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from threeplanes.errors import LabError
from threeplanes.kit.control_plane import run_program
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.metrics import Sample, matching, parse_metrics

METRICS = "http://127.0.0.1:10249"  # the real node's kube-proxy: metricsBindAddress
REPLY = "reply "


# --- The kernel's rules --------------------------------------------------------------------------


def iptables_save(table: str, counters: bool = False) -> str:
    """The text of ``iptables-save -t table`` (``-c``: with each rule's packet and byte counters)."""
    if table not in ("nat", "filter", "mangle", "raw"):
        raise LabError(f"no iptables table is called {table!r}; kube-proxy writes to nat and filter.")
    args = ["iptables-save", "-t", table] + (["-c"] if counters else [])
    return run_program(args, timeout=30, capture_output=True, what=f"iptables-save -t {table}").stdout


def nat_rules(counters: bool = False) -> list[Rule]:
    """The rules of the kernel's ``nat`` table, in order."""
    return parse_rules(iptables_save("nat", counters))


@dataclass(frozen=True)
class Rule:
    """One ``-A CHAIN ...`` line of ``iptables-save``: its chain, its words, and its counters when saved with ``-c``."""

    chain: str
    args: tuple[str, ...]
    packets: int | None = None
    line: str = field(default="", compare=False)

    def option(self, name: str) -> str | None:
        """The word after ``name`` (``--to-destination``, ``-j``, ``--comment``...), or None."""
        if name in self.args[:-1]:
            return self.args[self.args.index(name) + 1]
        return None

    @property
    def target(self) -> str | None:
        return self.option("-j")

    @property
    def comment(self) -> str:
        return self.option("--comment") or ""

    @property
    def probability(self) -> float | None:
        found = self.option("--probability")
        return float(found) if found is not None else None


COUNTED = re.compile(r"^\[(\d+):(\d+)\] (-A .*)$")


def parse_rules(text: str) -> list[Rule]:
    """Every ``-A`` line of an ``iptables-save`` text as a ``Rule`` (quoted comments kept whole)."""
    rules = []
    for line in text.splitlines():
        packets = None
        counted = COUNTED.match(line)
        if counted:
            packets, line = int(counted.group(1)), counted.group(3)
        if not line.startswith("-A "):
            continue
        words = shlex.split(line)
        rules.append(Rule(words[1], tuple(words[2:]), packets, line))
    return rules


def chain(rules: list[Rule], name: str) -> list[Rule]:
    """The rules of chain ``name``, in the order the kernel tries them."""
    return [r for r in rules if r.chain == name]


def port_name(namespace: str, service: str, port: str = "") -> str:
    """How kube-proxy names a Service port in its comments: ``namespace/service:port`` (an unnamed port: no ``:``)."""
    return f"{namespace}/{service}" + (f":{port}" if port else "")


def chain_hash(*parts: str) -> str:
    """The 16 characters after ``KUBE-SVC-`` or ``KUBE-SEP-``: base32 of the SHA-256 of ``parts`` joined.

    A Service port's chain hashes its name and protocol (``ns/svc:port``, ``tcp``); an endpoint's
    chain adds the endpoint's ``address:port``.
    """
    return base64.b32encode(hashlib.sha256("".join(parts).encode()).digest()).decode()[:16]


def service_chain_name(name: str, protocol: str = "tcp") -> str:
    """The ``KUBE-SVC-*`` chain of the Service port ``name`` (``port_name``)."""
    return "KUBE-SVC-" + chain_hash(name, protocol.lower())


def endpoint_chain_name(name: str, endpoint: str, protocol: str = "tcp") -> str:
    """The ``KUBE-SEP-*`` chain of one endpoint (``address:port``) of the Service port ``name``."""
    return "KUBE-SEP-" + chain_hash(name, protocol.lower(), endpoint)


def stored_probability(probability: float) -> str:
    """How ``iptables-save`` prints a ``statistic --probability``: the kernel keeps it in 31 bits."""
    return f"{round(probability * 2**31) / 2**31:.11f}"


@dataclass(frozen=True)
class Hop:
    """One endpoint of a Service port: the KUBE-SVC rule that jumps to its chain, and its KUBE-SEP chain."""

    endpoint_chain: str
    jump: Rule
    sep: tuple[Rule, ...]

    @property
    def destination(self) -> str:
        """The ``address:port`` its DNAT rule rewrites the packet to."""
        (dnat,) = [r for r in self.sep if r.target == "DNAT"]
        return dnat.option("--to-destination") or ""

    @property
    def dnat(self) -> Rule:
        (found,) = [r for r in self.sep if r.target == "DNAT"]
        return found

    @property
    def probability(self) -> float | None:
        return self.jump.probability


@dataclass(frozen=True)
class ServicePath:
    """A Service port's rules: its entry in KUBE-SERVICES, its KUBE-SVC chain, and one ``Hop`` per endpoint.

    ``sticky`` holds the ``recent --rcheck`` rules of a Service with ``sessionAffinity: ClientIP``
    (one per endpoint, tried before the random choice).
    """

    entry: Rule
    service_chain: str
    hops: tuple[Hop, ...]
    sticky: tuple[Rule, ...]
    svc_rules: tuple[Rule, ...] = ()

    @property
    def cluster_ip(self) -> str:
        return (self.entry.option("-d") or "").split("/")[0]

    @property
    def port(self) -> int:
        return int(self.entry.option("--dport") or 0)

    def destinations(self) -> list[str]:
        return [hop.destination for hop in self.hops]

    def lines(self) -> list[str]:
        """The rules in the order a new connection meets them, as ``iptables-save`` printed them."""
        shown = [self.entry.line]
        shown += [r.line for r in self.svc_rules]
        for hop in self.hops:
            shown += [r.line for r in hop.sep]
        return shown


def service_path(rules: list[Rule], namespace: str, service: str, port: str = "") -> ServicePath | None:
    """Follow ``namespace/service:port`` from KUBE-SERVICES to its endpoints; None when kube-proxy wrote no entry.

    A Service without ready endpoints has no entry in the ``nat`` table (its reject rule is in
    ``filter``, see ``no_endpoint_rejects``).
    """
    name = port_name(namespace, service, port)
    entries = [
        r
        for r in chain(rules, "KUBE-SERVICES")
        if r.comment == f"{name} cluster IP" and (r.target or "").startswith("KUBE-SVC-")
    ]
    if not entries:
        return None
    (entry,) = entries
    svc_chain = entry.target or ""
    svc_rules = chain(rules, svc_chain)
    jumps = [r for r in svc_rules if (r.target or "").startswith("KUBE-SEP-") and "--rcheck" not in r.args]
    sticky = tuple(r for r in svc_rules if "--rcheck" in r.args)
    hops = tuple(Hop(j.target or "", j, tuple(chain(rules, j.target or ""))) for j in jumps)
    return ServicePath(entry, svc_chain, hops, sticky, tuple(svc_rules))


def describe_path(path: ServicePath | None) -> str:
    """A few words on a Service's rules, for a deadline's message."""
    if path is None:
        return "no entry in KUBE-SERVICES"
    return f"{path.service_chain} -> {', '.join(path.destinations()) or 'no endpoint'}"


def no_endpoint_rejects(namespace: str, service: str) -> list[Rule]:
    """The ``filter`` table's REJECT rules kube-proxy writes for ports of ``namespace/service`` without endpoints."""
    prefix = port_name(namespace, service)
    return [
        r
        for r in parse_rules(iptables_save("filter"))
        if r.target == "REJECT" and r.comment.startswith(prefix) and r.comment.endswith("has no endpoints")
    ]


def recent_clients(endpoint_chain: str) -> list[str]:
    """The source addresses the kernel's ``recent`` list ``endpoint_chain`` remembers (``/proc/net/xt_recent``)."""
    listing = Path("/proc/net/xt_recent") / endpoint_chain
    if not listing.exists():
        return []
    return [line.split()[0].removeprefix("src=") for line in listing.read_text().splitlines() if line.strip()]


# --- kube-proxy's own endpoints ------------------------------------------------------------------


def _get(path: str, base: str = METRICS) -> str:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # a local address: never through a proxy
    try:
        with direct.open(base + path, timeout=5) as answer:
            return answer.read().decode()
    except OSError as error:
        raise LabError(f"kube-proxy's metrics server at {base} did not answer {path}: {error}") from None


def proxy_mode(base: str = METRICS) -> str:
    """What kube-proxy says it runs as (``GET /proxyMode``): iptables, nftables or ipvs."""
    return _get("/proxyMode", base).strip()


def configz(base: str = METRICS) -> dict[str, Any]:
    """The configuration kube-proxy runs with, defaults filled in (``GET /configz``)."""
    return json.loads(_get("/configz", base))["kubeproxy.config.k8s.io"]


def metrics(base: str = METRICS) -> list[Sample]:
    """kube-proxy's metrics now (``GET /metrics``), read by the kit's ``parse_metrics``."""
    return parse_metrics(_get("/metrics", base))


def metric(samples: Iterable[Sample], name: str, **labels: str) -> float:
    """The sample ``name`` whose labels include ``labels``; 0 when there is none (a counter not yet counted)."""
    found = matching(samples, name, **labels)
    if len(found) > 1:
        raise LabError(f"{len(found)} samples of {name} match {labels}; name more labels.")
    return found[0].value if found else 0.0


# --- Requests from a pod ------------------------------------------------------------------------


def burst(
    cluster: Any,
    namespace: str,
    pod: str,
    url: str,
    count: int,
    timeout: float = 60,
    give_up: int | None = None,
    wait: int = 2,
) -> list[str]:
    """Send ``count`` GETs to ``url`` from ``pod`` (busybox wget, one connection each); the answers, in order.

    An answer is the body the server sent (agnhost's ``/hostname``: the pod's name), or "" when
    none came within ``wait`` seconds. ``give_up``: stop after that many unanswered requests (the
    answers are then fewer than ``count``), so that a dead address costs seconds, not minutes.
    ``timeout`` bounds the whole burst.
    """
    if count < 1:
        raise LabError(f"a burst of {count} requests sends nothing; ask for at least one.")
    if give_up is not None and give_up < 1:
        raise LabError(f"give_up={give_up}: give up after at least one unanswered request, or pass None.")
    if wait < 1:
        raise LabError(f"wait={wait}: give each request at least a second to be answered.")
    limit = give_up or count
    script = (
        f"i=0; missed=0; while [ $i -lt {count} ] && [ $missed -lt {limit} ]; do "
        f'got="$(timeout {int(wait)} wget -qO- {url})"; [ -n "$got" ] || missed=$((missed+1)); '
        f'echo "{REPLY}$got"; i=$((i+1)); done'
    )
    output = kubectl(f"exec -n {namespace} {pod} -- sh -c {shlex.quote(script)}", cluster, show=False, timeout=timeout)
    return [line[len(REPLY) :].strip() for line in output.splitlines() if line.startswith(REPLY)]


def tally(answers: list[str]) -> Counter[str]:
    """How many answers each pod gave ("" counts the requests nobody answered)."""
    return Counter(answers)


# --- The node's other packet engines -------------------------------------------------------------


def nft_tables() -> list[tuple[str, str]]:
    """The kernel's nftables tables as ``(family, name)`` (``nft list tables``): an nftables-mode kube-proxy adds
    ``("ip", "kube-proxy")``; iptables-nft keeps its ``nat`` and ``filter`` tables there too."""
    out = run_program(["nft", "list", "tables"], timeout=30, capture_output=True, what="nft list tables").stdout
    return [(w[1], w[2]) for w in (line.split() for line in out.splitlines()) if len(w) == 3 and w[0] == "table"]


def nft_table(family: str, name: str) -> str:
    """The text of ``nft list table family name``."""
    args = ["nft", "list", "table", family, name]
    return run_program(args, timeout=30, capture_output=True, what=shlex.join(args)).stdout


def interfaces() -> list[str]:
    """The names of this machine's network interfaces (an ipvs-mode kube-proxy adds ``kube-ipvs0``)."""
    return sorted(psutil.net_if_addrs())
