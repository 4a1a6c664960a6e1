"""Checker of the fix-etcd-quorum mission: the API server of the mission's own control plane writes again, and its
etcd is three healthy voting members, so that it survives the loss of one.

The mission's setup starts a control plane of its own for the reader's namespace (``MissionPlane``: kwokctl's
processes in ``<cache>/missions/<namespace>/fix-etcd-quorum``) whose API server stores its objects in a
three-member etcd of the mission's (``m0``, ``m1``, ``m2``: the pinned etcd, copied to the folder ``etcd``, each
member's data in ``etcd/<member>``, its command line in ``etcd/<member>.sh``, its log in ``etcd/logs``). The
setup kills ``m1`` and ``m2`` at once, as machines that are lost: one member of three is no quorum, and every
write through the API server times out. The reader brings members back; the checker plays the scenario once per
check (the framework's two looks read the same outcome):

1. the plane's API server answers (its discovery, which needs no etcd; else: run the setup);
2. a write through it succeeds: a ConfigMap created in the namespace ``shop``, within 10 s;
3. etcd has three voting members and each answers ``etcdctl endpoint health`` (a cluster forced down to one
   member with ``--force-new-cluster`` writes, and is named; so is one with a member still down).

The files are read only to explain a failure. The helpers the setup, the teardown and the test cases share are
here (``MissionPlane``), for the rule that an exercise keeps its code in its own folder.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shlex
import shutil
import time
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client

from threeplanes.checking import Checker, Criterion, Failure, missions
from threeplanes.checking.programs import until_first_failure
from threeplanes.errors import LabError
from threeplanes.kit.connect import Cluster
from threeplanes.kit.control_plane import etcd_tool, free_ports, start_program
from threeplanes.system.etcd import Etcdctl, EtcdctlFailed

ID = "fix-etcd-quorum"
SHOP = "shop"
MEMBERS = ("m0", "m1", "m2")
LOST = ("m1", "m2")
WRITE_S = 10  # for a write through the API server
START_S = 60  # for the API server, started again on the three members, to listen on its port
REUSE_S = 20
SETUP = ".venv/bin/threeplanes exercise setup fix-etcd-quorum -n {namespace}"


class MissionPlane(missions.MissionPlane):
    """The control plane of one namespace's mission, its API server on a three-member etcd in ``etcd/``."""

    exercise_id = ID
    nodes = ()

    @property
    def etcd_folder(self) -> Path:
        return self.folder / "etcd"

    @property
    def etcd_binary(self) -> Path:
        """The mission's copy of the pinned etcd: its processes are told from every other etcd by their program."""
        return self.etcd_folder / "etcd"

    def script(self, member: str) -> Path:
        return self.etcd_folder / f"{member}.sh"

    @property
    def members_file(self) -> Path:
        return self.etcd_folder / "members.json"

    def members(self) -> dict[str, dict[str, str]]:
        """``{member: {"client": url, "peer": url}}`` as the setup made them."""
        return json.loads(self.members_file.read_text())

    def client_urls(self) -> list[str]:
        return [m["client"] for m in self.members().values()]

    def etcdctl(self, endpoints: list[str] | None = None, timeout: float = 3) -> Etcdctl:
        return Etcdctl(tuple(endpoints or self.client_urls()), timeout)

    def make_members(self) -> None:
        """Write the three members' command lines (``etcd/<member>.sh``) on free loopback ports."""
        self.etcd_folder.mkdir(parents=True, exist_ok=True)
        (self.etcd_folder / "logs").mkdir(exist_ok=True)
        shutil.copy2(etcd_tool("etcd"), self.etcd_binary)
        ports = free_ports(2 * len(MEMBERS))
        urls = {
            m: {"client": f"http://127.0.0.1:{ports[2 * i]}", "peer": f"http://127.0.0.1:{ports[2 * i + 1]}"}
            for i, m in enumerate(MEMBERS)
        }
        self.members_file.write_text(json.dumps(urls, indent=2))
        cluster = ",".join(f"{m}={u['peer']}" for m, u in urls.items())
        for member, url in urls.items():
            flags = {
                "name": member,
                "data-dir": str(self.etcd_folder / member),
                "listen-client-urls": url["client"],
                "advertise-client-urls": url["client"],
                "listen-peer-urls": url["peer"],
                "initial-advertise-peer-urls": url["peer"],
                "initial-cluster": cluster,
                "initial-cluster-state": "new",
                "initial-cluster-token": f"shop-{self.namespace}",
            }
            lines = [f"  --{flag}={shlex.quote(value)}" for flag, value in flags.items()]
            text = (
                f"#!/bin/sh\n# The etcd member {member} of the shop's cluster, as its service manager starts it.\n"
                f"# Its log: {self.etcd_folder / 'logs' / (member + '.log')}\n"
                f"exec {self.etcd_binary} \\\n" + " \\\n".join(lines) + ' \\\n  "$@"\n'
            )
            self.script(member).write_text(text)
            self.script(member).chmod(0o755)

    def start_member(self, member: str) -> Any:
        """Start one member with its script (as its service manager would), its output in its log."""
        return start_program(
            member, ["/bin/sh", str(self.script(member))], self.etcd_folder / "pids", self.etcd_folder / "logs"
        )

    def member_processes(self) -> list[Any]:
        import psutil

        found = []
        for process in psutil.process_iter(["cmdline", "status"]):
            cmd = process.info["cmdline"] or [""]
            if process.info["status"] != psutil.STATUS_ZOMBIE and cmd[0] == str(self.etcd_binary):
                found.append(process)
        return found

    def kill_member(self, member: str) -> None:
        """Kill one member at once (SIGKILL), as a machine that is lost."""
        import psutil

        for process in self.member_processes():
            if f"--name={member}" in process.info["cmdline"]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()
                with contextlib.suppress(psutil.NoSuchProcess, psutil.TimeoutExpired):
                    process.wait(5)

    def use_members(self) -> None:
        """Start the API server again on the same port, its --etcd-servers the three members (kwokctl's etcd
        stopped: the shop's objects live in the three members only)."""
        record = self.local.component("kube-apiserver")
        here = self.local.cluster_dir()
        missions.stop_binary(record["binary"])
        missions.stop_binary(self.local.component("etcd")["binary"])
        servers = ",".join(self.client_urls())
        args = [a for a in record.get("args", []) if not a.startswith("--etcd-servers=")]
        args.append(f"--etcd-servers={servers}")
        program = Path(record["binary"]).name
        envs = {e["name"]: e.get("value", "") for e in record.get("envs") or []}
        port = int(next(a.split("=", 1)[1] for a in args if a.startswith("--secure-port=")))
        deadline = time.monotonic() + START_S
        while True:
            # The old server's port may be held a moment after it exits, and a loaded machine binds it late:
            # the new server is up once it listens there itself; one that exited first is started again.
            started = start_program(program, [record["binary"], *args], here / "pids", here / "logs", env=envs)
            while started.running and not _listens(started, port) and time.monotonic() < deadline:
                time.sleep(0.5)
            if started.running and _listens(started, port):
                break
            if time.monotonic() > deadline:
                raise LabError(
                    f"the API server on the three members did not listen on port {port} within {START_S} s: "
                    f"see {here / 'logs' / 'kube-apiserver.log'}"
                )
            time.sleep(1)
        (here / "pids" / f"{program}.pid").write_text(str(started.pid))

    def flags(self) -> dict[str, dict[str, str]]:
        # One instance each: nothing to lose when the API server restarts on the three members (a leader that
        # cannot renew its lease exits).
        return {"kube-controller-manager": {"leader-elect": "false"}, "kube-scheduler": {"leader-elect": "false"}}

    def after_up(self) -> None:
        self.link_logs()

    def remove(self) -> None:
        import psutil

        running = self.member_processes() if self.etcd_binary.exists() else []
        for process in running:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(running, timeout=5)
        super().remove()


def _listens(started: Any, port: int) -> bool:
    """True when the process ``started`` itself listens on ``port`` (not another that took it)."""
    import psutil

    process = started.process()
    try:
        found = process.net_connections(kind="tcp") if process else []
    except psutil.Error:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in found)


# --- the scenario -----------------------------------------------------------------------------------


def writes(plane: MissionPlane, cluster: Cluster) -> Failure | None:
    name = f"checker-{secrets.token_hex(3)}"
    body = {"metadata": {"name": name}, "data": {"written": time.strftime("%H:%M:%S")}}
    started = time.monotonic()
    try:
        cluster.core.create_namespaced_config_map(SHOP, body, _request_timeout=WRITE_S)
    except (client.ApiException, urllib3.exceptions.HTTPError, OSError) as error:
        said = getattr(error, "reason", None) or type(error).__name__
        return Failure(
            f"creating a ConfigMap in {SHOP} through the mission's API server failed after "
            f"{time.monotonic() - started:.0f} s ({' '.join(str(said).split())[:120]})",
            f"the API server stores every write in etcd: ask etcd itself how its members are "
            f"(etcdctl endpoint health, with the endpoints in {plane.members_file}), and read the API server's log, "
            f"{plane.logs}/kube-apiserver.log",
        )
    with contextlib.suppress(client.ApiException, urllib3.exceptions.HTTPError):
        cluster.core.delete_namespaced_config_map(name, SHOP, _request_timeout=WRITE_S)
    return None


def voting_members(plane: MissionPlane) -> Failure | None:
    try:
        listed = json.loads(plane.etcdctl().run("member", "list", "-w", "json"))
    except (EtcdctlFailed, ValueError) as error:
        return Failure(f"etcdctl member list failed: {error}", f"read the members' logs, {plane.etcd_folder}/logs")
    members = listed.get("members") or []
    voting = [m for m in members if not m.get("isLearner")]
    names = ", ".join(m.get("name") or "(not started)" for m in voting)
    if len(voting) < len(MEMBERS):
        return Failure(
            f"etcd writes, with {len(voting)} voting member(s) ({names}): it tolerates "
            f"{(len(voting) - 1) // 2} lost member(s) now, where three tolerated one",
            "a cluster forced down to one member (--force-new-cluster) writes, and the next lost machine stops it "
            "again: the shop's etcd needs its three members back, each with its data or replaced by a fresh one "
            "(etcdctl member add)",
        )
    unhealthy = []
    for member in voting:
        urls = member.get("clientURLs") or []
        try:
            plane.etcdctl(urls[:1] or ["http://127.0.0.1:1"], timeout=2).run("endpoint", "health")
        except EtcdctlFailed:
            unhealthy.append(member.get("name") or member.get("peerURLs", ["?"])[0])
    if unhealthy:
        return Failure(
            f"etcd writes, but its member(s) {', '.join(unhealthy)} do not answer etcdctl endpoint health: two of "
            "three is a quorum, with no room for another loss",
            f"bring every member back: each one's command line is in {plane.etcd_folder}/<member>.sh, its data next "
            "to it, its log in logs/",
        )
    return None


STEPS = {"write": writes, "members": lambda plane, _cluster: voting_members(plane)}


def play(namespace: str) -> dict[str, Failure | None]:
    plane = MissionPlane(namespace)
    cluster, failure = missions.reached_plane(
        plane, SETUP.format(namespace=namespace), lambda cluster: cluster.core.get_api_resources(_request_timeout=10)
    )
    if cluster is None:
        return {"plane": failure}
    if not plane.members_file.is_file():
        return {"plane": missions.plane_did_not_answer(LabError("no etcd folder"), SETUP.format(namespace=namespace))}
    steps = ((name, lambda check=check: check(plane, cluster)) for name, check in STEPS.items())
    return {"plane": None, **until_first_failure(steps)}


def _version(namespace: str) -> str:
    """The members' processes as they run now: a member started or stopped plays the scenario again."""
    plane = MissionPlane(namespace)
    if not plane.etcd_binary.exists():
        return ""
    return ",".join(sorted(str(p.pid) for p in plane.member_processes()))


step = missions.played_steps(play, REUSE_S, _version)

PLANE = Criterion("The mission's API server answers", step("plane"))
WRITES = Criterion("A write through the API server succeeds", step("write"), (PLANE,))
MEMBERS_OK = Criterion("etcd has three voting members, each healthy", step("members"), (WRITES,))

CHECKER = Checker(
    "Writes work again on the mission's control plane, on three etcd members", [PLANE, WRITES, MEMBERS_OK]
)
