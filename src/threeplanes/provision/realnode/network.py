"""The real node's host networking: the pod bridge, two sysctls, a guard chain, and their removal.

The guard chain ``THREEPLANES-GUARD`` keeps every packet of the pod and Service ranges on this
machine: forwarded traffic (only pods are forwarded here) to a private address is rejected
unless it leaves through the pod bridge or loopback, and host traffic to the Service range that
kube-proxy did not translate is rejected instead of following the default route.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from threeplanes.errors import ProvisioningError
from threeplanes.provision import processes
from threeplanes.provision.realnode.configs import BRIDGE, GATEWAY, MTU, POD_CIDR, SERVICE_CIDR

GUARD_CHAIN = "THREEPLANES-GUARD"
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
SYSCTLS = {
    "net/ipv4/ip_forward": "1",  # pods' packets are routed through the bridge
    "net/bridge/bridge-nf-call-iptables": "1",  # a pod reaching a Service on the same bridge passes kube-proxy's rules
}
# Chains created by kube-proxy and the kubelet (KUBE-*), the CNI plugins (CNI-*) and threeplanes.
OWNED_CHAIN_PREFIXES = ("KUBE-", "CNI-", GUARD_CHAIN)
TABLES = ("filter", "nat", "mangle")


def _run(command: list[str], *, check: bool = True, timeout: float = 30) -> processes.CompletedProcess:
    """``processes.run`` with the output captured (``ip`` and ``iptables`` answer on stdout, complain on stderr).

    ``check=False`` below marks a question whose "no" is an answer (``ip link show``, ``iptables -C``),
    and the steps of the clean-up, which goes on whatever one of them says.
    """
    return processes.run(command, timeout=timeout, capture_output=True, check=check)


def set_sysctls(state_file: Path) -> None:
    """Set the sysctls the node needs, remembering their earlier values for ``restore_sysctls``."""
    earlier = {}
    for key, value in SYSCTLS.items():
        path = Path("/proc/sys") / key
        if not path.exists():
            raise ProvisioningError(f"{path} is missing (is the br_netfilter module loaded? `modprobe br_netfilter`)")
        earlier[key] = path.read_text().strip()
        path.write_text(value)
    if not state_file.exists():
        state_file.write_text(json.dumps({"sysctls": earlier}))


def restore_sysctls(state_file: Path) -> None:
    if not state_file.exists():
        return
    for key, value in json.loads(state_file.read_text()).get("sysctls", {}).items():
        path = Path("/proc/sys") / key
        if path.exists():
            path.write_text(value)
    state_file.unlink()


def create_bridge() -> None:
    """The pod bridge with the gateway address, made before the kubelet starts (its node IP must exist)."""
    if _run(["ip", "link", "show", BRIDGE], check=False).returncode != 0:
        _run(["ip", "link", "add", BRIDGE, "type", "bridge"])
    _run(["ip", "link", "set", BRIDGE, "mtu", str(MTU)])
    if GATEWAY not in _run(["ip", "-4", "addr", "show", "dev", BRIDGE]).stdout:
        _run(["ip", "addr", "add", f"{GATEWAY}/{POD_CIDR.split('/')[1]}", "dev", BRIDGE])
    _run(["ip", "link", "set", BRIDGE, "up"])


def guard_rules(action: str = "REJECT") -> list[list[str]]:
    """The rules of the guard chain, in order (``iptables -A THREEPLANES-GUARD`` arguments)."""
    rules = [["-o", "lo", "-j", "RETURN"], ["-o", BRIDGE, "-j", "RETURN"]]
    for private in PRIVATE_RANGES:
        rules.append(["-s", POD_CIDR, "-d", private, "-j", action])
    # Host traffic to a Service address kube-proxy did not translate would follow the default route.
    rules.append(["-d", SERVICE_CIDR, "-m", "conntrack", "!", "--ctstate", "DNAT", "-j", action])
    # After translation, a Service whose endpoint is a simulated pod (kwok gives them addresses in the
    # same range) would send the packet out too; only the mangle table sees the translated address.
    if action == "DROP":
        rules.append(["-d", SERVICE_CIDR, "-j", action])
    return rules


# Where the guard is hooked: the filter table rejects at once (FORWARD, OUTPUT); the mangle table's
# POSTROUTING, the last hook before a packet leaves and one kube-proxy never writes to, drops.
GUARD_HOOKS = (("filter", "FORWARD", "REJECT"), ("filter", "OUTPUT", "REJECT"), ("mangle", "POSTROUTING", "DROP"))


def install_guard() -> None:
    """Create the guard chains and put their jumps first in their hooks.

    Called again once kube-proxy has inserted its own jumps into FORWARD and OUTPUT, so that the
    guard comes first there too; the mangle copy does not depend on any order.
    """
    for table in {t for t, _, _ in GUARD_HOOKS}:
        action = next(a for t, _, a in GUARD_HOOKS if t == table)
        iptables = ["iptables", "-w", "5", "-t", table]
        _run([*iptables, "-N", GUARD_CHAIN], check=False)
        _run([*iptables, "-F", GUARD_CHAIN])
        for rule in guard_rules(action):
            _run([*iptables, "-A", GUARD_CHAIN, *rule])
    for table, hook, _ in GUARD_HOOKS:
        iptables = ["iptables", "-w", "5", "-t", table]
        while _run([*iptables, "-D", hook, "-j", GUARD_CHAIN], check=False).returncode == 0:
            pass
        _run([*iptables, "-I", hook, "1", "-j", GUARD_CHAIN])


def guard_installed() -> list[str]:
    """What is wrong with the guard: a hook without its jump, or a chain without its rules (empty when all is well)."""
    problems = []
    for table, hook, action in GUARD_HOOKS:
        iptables = ["iptables", "-w", "5", "-t", table]
        if _run([*iptables, "-C", hook, "-j", GUARD_CHAIN], check=False).returncode != 0:
            problems.append(f"{table}/{hook} does not jump to {GUARD_CHAIN}")
        listing = _run([*iptables, "-S", GUARD_CHAIN], check=False).stdout
        for rule in guard_rules(action):
            if _run([*iptables, "-C", GUARD_CHAIN, *rule], check=False).returncode != 0:
                problems.append(f"{table}/{GUARD_CHAIN} lacks {' '.join(rule)} (has: {listing.strip()})")
    return problems


def owned_chains() -> dict[str, list[str]]:
    """The chains left by the node's components, per table."""
    found: dict[str, list[str]] = {}
    for table in TABLES:
        listing = _run(["iptables-save", "-t", table], check=False).stdout
        chains = [line[1:].split()[0] for line in listing.splitlines() if line.startswith(":")]
        owned = [c for c in chains if c.startswith(OWNED_CHAIN_PREFIXES)]
        if owned:
            found[table] = owned
    return found


def remove_owned_chains() -> None:
    """Remove every rule jumping to an owned chain, then flush and delete the owned chains."""
    for table, chains in owned_chains().items():
        listing = _run(["iptables-save", "-t", table], check=False).stdout
        for line in listing.splitlines():
            if not line.startswith("-A "):
                continue
            words = shlex.split(line)
            chain, target = words[1], words[words.index("-j") + 1] if "-j" in words else None
            if target in chains and chain not in chains:
                _run(["iptables", "-w", "5", "-t", table, "-D", chain, *words[2:]], check=False)
        for chain in chains:
            _run(["iptables", "-w", "5", "-t", table, "-F", chain], check=False)
        for chain in chains:
            _run(["iptables", "-w", "5", "-t", table, "-X", chain], check=False)


def delete_bridge() -> None:
    if _run(["ip", "link", "show", BRIDGE], check=False).returncode == 0:
        _run(["ip", "link", "del", BRIDGE], check=False)


def mounts_under(root: Path) -> list[str]:
    """Mount points under ``root`` (deepest first), from /proc/self/mountinfo."""
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].encode().decode("unicode_escape")
        if point == str(root) or point.startswith(str(root) + "/"):
            points.append(point)
    return sorted(set(points), key=lambda p: p.count("/"), reverse=True)


def unmount_all(root: Path) -> list[str]:
    """Unmount everything under ``root``; a busy mount is detached lazily."""
    left = mounts_under(root)
    for point in left:
        if _run(["umount", point], check=False, timeout=20).returncode != 0:
            _run(["umount", "-l", point], check=False, timeout=20)
    return left
