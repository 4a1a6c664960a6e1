"""etcd, the cluster's database, read and driven with its own tools: etcdctl, etcdutl and etcd itself.

``Etcdctl`` runs the pinned ``etcdctl`` against a list of endpoints with a deadline and returns
what it printed (keys, a key's value with its revisions, a snapshot written to a file); a failure
is one ``EtcdctlFailed`` sentence that quotes etcdctl. ``decode_envelope`` opens the value the
API server stores: the four bytes ``k8s\\x00``, then a protobuf ``runtime.Unknown`` that names the
object's apiVersion and kind and holds its own protobuf bytes. ``restore_snapshot`` and
``start_etcd`` rebuild a member from a snapshot, and ``EtcdCluster`` is a three-member etcd of a
lab's own, on free loopback ports, one member of which can be stopped and started again.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import threading
import time
from base64 import b64decode
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import watch
from kubernetes.client import ApiException

from threeplanes.errors import LabError
from threeplanes.kit.control_plane import Started, etcd_tool, free_ports, run_program, start_program, stop_program

# protoEncodingPrefix in k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go: "k8s" and a zero byte.
ENVELOPE_PREFIX = b"k8s\x00"
# The API server keeps these resources under a name of their own (SpecialDefaultResourcePrefixes in
# k8s.io/kubernetes/pkg/kubeapiserver/default_storage_factory_builder.go); services and endpoints share a folder.
TWO_LEVEL_FOLDERS = ("services",)


class EtcdctlFailed(LabError):
    """etcdctl or etcdutl exited with an error: the command and etcdctl's own last words."""


@dataclass(frozen=True)
class Stored:
    """One key as etcd returns it, with the store's revision at the time of the read."""

    key: str
    value: bytes
    create_revision: int  # the revision of the write that created the key
    mod_revision: int  # the revision of the last write to it
    version: int  # how many writes since it was created
    revision: int  # the whole store's revision when it was read


@dataclass(frozen=True)
class Etcdctl:
    """The pinned etcdctl, talking to ``endpoints``; each command gives up after ``timeout`` seconds."""

    endpoints: tuple[str, ...]
    timeout: float = 5.0

    def command(self, *args: str) -> list[str]:
        return [
            str(etcd_tool("etcdctl")),
            f"--endpoints={','.join(self.endpoints)}",
            f"--dial-timeout={min(self.timeout, 2):g}s",
            f"--command-timeout={self.timeout:g}s",
            *args,
        ]

    def run(self, *args: str) -> str:
        """What ``etcdctl <args>`` printed; ``EtcdctlFailed`` when it failed."""
        return _run_tool(self.command(*args), f"etcdctl {' '.join(args)}", self.timeout + 10)

    def keys(self, prefix: str, min_mod_revision: int = 0) -> list[str]:
        """Every key that starts with ``prefix`` (``etcdctl get <prefix> --prefix --keys-only``); with
        ``min_mod_revision``, only those written at that revision or later (``--min-mod-rev``)."""
        since = [f"--min-mod-rev={min_mod_revision}"] if min_mod_revision else []
        return [line for line in self.run("get", prefix, "--prefix", "--keys-only", *since).splitlines() if line]

    def get(self, key: str) -> Stored | None:
        """The value and revisions of ``key`` (``etcdctl get <key> -w json``); None when there is no such key."""
        reply = json.loads(self.run("get", key, "-w", "json"))
        found = reply.get("kvs") or []
        if not found:
            return None
        kv = found[0]
        return Stored(
            b64decode(kv["key"]).decode(),
            b64decode(kv.get("value", "")),
            int(kv["create_revision"]),
            int(kv["mod_revision"]),
            int(kv["version"]),
            int(reply["header"]["revision"]),
        )

    def put(self, key: str, value: str) -> None:
        self.run("put", key, value)

    def snapshot_save(self, path: Path) -> Path:
        """Write a snapshot of the one endpoint's database to ``path`` (a snapshot is taken from one member)."""
        if len(self.endpoints) != 1:
            raise LabError(f"a snapshot is saved from one endpoint, not from {len(self.endpoints)}.")
        self.run("snapshot", "save", str(path))
        return path


def etcdctl_for(apiserver_flags: Mapping[str, str], timeout: float = 5.0) -> Etcdctl:
    """etcdctl pointed at the etcd an API server started with ``apiserver_flags`` uses (its ``--etcd-servers``)."""
    servers = apiserver_flags.get("etcd-servers")
    if not servers:
        raise LabError("these API server flags name no --etcd-servers: is it a kube-apiserver's?")
    if servers.startswith("https://") or "etcd-certfile" in apiserver_flags:
        raise LabError("this etcd wants TLS client certificates; Etcdctl speaks plain HTTP to the lab's own etcd only.")
    return Etcdctl(tuple(servers.split(",")), timeout)


def _run_tool(command: list[str], what: str, timeout: float) -> str:
    result = run_program(command, timeout=timeout, capture_output=True, check=False, what=what)
    if result.returncode != 0:
        said = [line for line in (result.stderr or result.stdout or "").splitlines() if line.strip()]
        raise EtcdctlFailed(f"{what} failed: {said[-1] if said else f'exit status {result.returncode}'}")
    return result.stdout


# --- keys, grouped ---------------------------------------------------------------------------------


def resource_of(key: str, prefix: str = "/registry") -> str:
    """The folder of ``key`` under ``prefix``: ``configmaps``, ``minions`` (nodes), ``services/specs``,
    ``apiregistration.k8s.io/apiservices`` (a group's resources sit under the group's name)."""
    if not key.startswith(prefix.rstrip("/") + "/"):
        raise LabError(f"{key!r} is not under {prefix!r}")
    parts = key[len(prefix.rstrip("/")) + 1 :].split("/")
    if len(parts) > 2 and ("." in parts[0] or parts[0] in TWO_LEVEL_FOLDERS):
        return f"{parts[0]}/{parts[1]}"
    return parts[0]


def keys_by_resource(keys: Iterable[str], prefix: str = "/registry") -> Counter[str]:
    """How many keys each folder under ``prefix`` holds."""
    return Counter(resource_of(key, prefix) for key in keys)


# --- the value: a protobuf envelope ------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    """What the API server wrapped around an object before storing it (``runtime.Unknown``)."""

    api_version: str
    kind: str
    raw: bytes  # the object itself, in protobuf
    content_type: str


def decode_envelope(value: bytes) -> Envelope:
    """Open a value the API server stored in protobuf: ``k8s\\x00``, then a ``runtime.Unknown`` message."""
    if not value.startswith(ENVELOPE_PREFIX):
        raise LabError(f"this value does not start with k8s\\x00 (it starts with {value[:8]!r}): not protobuf")
    unknown = _fields(value[len(ENVELOPE_PREFIX) :])
    type_meta = _fields(unknown.get(1, b""))  # TypeMeta: apiVersion = 1, kind = 2
    text = {n: type_meta.get(n, b"").decode() for n in (1, 2)}
    return Envelope(text[1], text[2], unknown.get(2, b""), unknown.get(4, b"").decode())


def _fields(message: bytes) -> dict[int, bytes]:
    """The length-delimited fields of one protobuf message, by field number (numbers skipped)."""
    found, at = {}, 0
    while at < len(message):
        tag, at = _varint(message, at)
        if tag & 7 == 0:
            _, at = _varint(message, at)
        elif tag & 7 == 2:
            length, at = _varint(message, at)
            found[tag >> 3], at = message[at : at + length], at + length
        else:
            raise LabError(f"protobuf wire type {tag & 7} at byte {at}: this is not a runtime.Unknown")
    return found


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if at >= len(data):
            raise LabError("the protobuf message ends inside a number")
        byte = data[at]
        value, shift, at = value | (byte & 0x7F) << shift, shift + 7, at + 1
        if byte < 0x80:
            return value, at


# --- a member rebuilt from a snapshot ----------------------------------------------------------------


def restore_snapshot(snapshot: Path, data_dir: Path, member_flags: Mapping[str, str]) -> str:
    """``etcdutl snapshot restore`` into ``data_dir`` (which must not exist), as the member whose etcd flags
    are ``member_flags``; return what etcdutl printed.

    The revision is bumped and marked compacted, as Kubernetes' guide to restoring etcd advises, so that
    no watcher is handed a revision it has already seen with other contents.
    """
    if data_dir.exists():
        raise LabError(f"{data_dir} exists already: etcdutl restores into a new data directory only.")
    command = [str(etcd_tool("etcdutl")), "snapshot", "restore", str(snapshot), f"--data-dir={data_dir}"]
    command += [f"--{flag}={member_flags[flag]}" for flag in ("name", "initial-cluster", "initial-advertise-peer-urls")]
    command += ["--bump-revision=1000000", "--mark-compacted"]
    return _run_tool(command, "etcdutl snapshot restore", timeout=60)


def start_etcd(binary: str | Path, flags: Mapping[str, str], folder: Path, name: str = "etcd") -> Started:
    """Start ``binary`` with ``flags`` (``{flag: value}``), its log and PID file in ``folder``; it stops when this
    process exits."""
    command = [str(binary), *(f"--{flag}={value}" for flag, value in flags.items())]
    return start_program(name, command, folder, folder, die_with_parent=True)


# --- three members of a lab's own ------------------------------------------------------------------


@dataclass
class Member:
    name: str
    client_url: str
    peer_url: str
    data_dir: Path
    started: Started | None = None

    @property
    def running(self) -> bool:
        return self.started is not None and self.started.running


@dataclass
class EtcdCluster:
    """A three-member etcd started from the pinned binary, in ``folder``; see ``three_member_etcd``."""

    folder: Path
    members: list[Member]
    token: str = field(default_factory=lambda: f"threeplanes-{time.monotonic_ns()}")

    def member(self, name: str) -> Member:
        for member in self.members:
            if member.name == name:
                return member
        raise LabError(f"no member is called {name!r}; there are {', '.join(m.name for m in self.members)}.")

    def flags(self, member: Member) -> dict[str, str]:
        """The command line of one member: its URLs, its data, and every member's peer URL."""
        return {
            "name": member.name,
            "data-dir": str(member.data_dir),
            "listen-client-urls": member.client_url,
            "advertise-client-urls": member.client_url,
            "listen-peer-urls": member.peer_url,
            "initial-advertise-peer-urls": member.peer_url,
            "initial-cluster": ",".join(f"{m.name}={m.peer_url}" for m in self.members),
            "initial-cluster-state": "new",
            "initial-cluster-token": self.token,
        }

    def start(self, name: str) -> None:
        """Start one member (again, on its own data); nothing happens when it runs."""
        member = self.member(name)
        if not member.running:
            member.started = start_etcd(etcd_tool("etcd"), self.flags(member), self.folder, name=member.name)

    def stop(self, name: str) -> None:
        """Stop one member at once (SIGKILL, as a machine that is lost): no SIGTERM, so it hands nothing over."""
        member = self.member(name)
        if member.started is None:
            return
        process = member.started.process()
        if process is not None:
            process.kill()
        if member.started.popen is not None:
            member.started.popen.wait(timeout=10)  # reaped: it no longer runs, not even as a zombie
        stop_program(member.started, grace=1)  # only if it still runs

    def running(self) -> list[str]:
        return [m.name for m in self.members if m.running]

    def etcdctl(self, timeout: float = 3.0) -> Etcdctl:
        """etcdctl that knows every member's client URL and tries the next when one does not answer."""
        return Etcdctl(tuple(m.client_url for m in self.members), timeout)

    def remove(self) -> None:
        """Stop every member and remove the folder with their data."""
        for member in self.members:
            self.stop(member.name)
        shutil.rmtree(self.folder, ignore_errors=True)


def three_member_etcd(folder: Path | None = None) -> EtcdCluster:
    """Start three etcd members on free loopback ports, their data in ``folder`` (default: a new temporary
    folder); they are stopped and their folder removed by ``remove()`` or when this process exits."""
    folder = Path(tempfile.mkdtemp(prefix="threeplanes-etcd-")) if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    ports = free_ports(6)
    members = [
        Member(f"m{i}", f"http://127.0.0.1:{ports[2 * i]}", f"http://127.0.0.1:{ports[2 * i + 1]}", folder / f"m{i}")
        for i in range(3)
    ]
    cluster = EtcdCluster(folder, members)
    atexit.register(cluster.remove)
    for member in members:
        cluster.start(member.name)
    return cluster


def timed_put(etcdctl: Etcdctl, key: str, value: str) -> tuple[str, float]:
    """Try one write; return ``("ok" or etcdctl's error, seconds it took)``."""
    started = time.monotonic()
    try:
        etcdctl.put(key, value)
        outcome = "ok"
    except EtcdctlFailed as error:
        outcome = str(error)
    return outcome, time.monotonic() - started


# --- what the API server answers ---------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One HTTP exchange with the API server: the status (None when no HTTP answer came), the text, the time."""

    status: int | None
    text: str
    seconds: float

    def failed_checks(self) -> list[str]:
        """The checks a ``/readyz?verbose`` or ``/livez?verbose`` answer marks failed (``[-]<name> failed``)."""
        return [line[3:].split(" ")[0] for line in self.text.splitlines() if line.startswith("[-]")]


def ask(
    cluster: Any,
    path: str,
    method: str = "GET",
    body: dict | None = None,
    server_timeout: str | None = None,
    client_timeout: float = 20,
    **query: str,
) -> Answer:
    """Send one request to ``cluster``'s API server and time it; ``server_timeout`` (``"3s"``) is the ``timeout``
    parameter, the deadline the API server gives itself, as kubectl's ``--request-timeout`` sends it."""
    params = [*query.items(), *([("timeout", server_timeout)] if server_timeout else [])]
    started = time.monotonic()
    try:
        reply = cluster.api_client.call_api(
            path, method, query_params=params, body=body, _preload_content=False, _request_timeout=client_timeout
        )
        return Answer(reply.status, reply.data.decode(errors="replace"), time.monotonic() - started)
    except ApiException as error:
        text = error.body.decode(errors="replace") if isinstance(error.body, bytes) else str(error.body or "")
        return Answer(error.status, text, time.monotonic() - started)
    except (OSError, urllib3.exceptions.HTTPError) as error:  # the connection closed, or no answer in time
        return Answer(None, f"no HTTP answer: {type(error).__name__}", time.monotonic() - started)
    except AttributeError:  # the client fails to read an error reply with no body (a server still starting TLS)
        return Answer(None, "no HTTP answer: a reply with no body", time.monotonic() - started)


@dataclass
class WatchLog:
    """A watch on the ConfigMaps of one namespace, followed in a thread: each event as it came, and how the
    watch ended (``ended`` is None while it is open)."""

    events: list[tuple[float, str, str]] = field(default_factory=list)  # (seconds since opened, type, name)
    ended: str | None = None

    def names(self, event_type: str = "ADDED") -> list[str]:
        return [name for _, kind, name in self.events if kind == event_type]


def watch_config_maps(cluster: Any, namespace: str, seconds: int = 300) -> WatchLog:
    """Open a watch on ``namespace``'s ConfigMaps for at most ``seconds`` and record it into a ``WatchLog``."""
    log, opened = WatchLog(), time.monotonic()

    def follow() -> None:
        stream = watch.Watch().stream(
            cluster.core.list_namespaced_config_map, namespace, timeout_seconds=seconds, _request_timeout=seconds + 30
        )
        try:
            for event in stream:
                log.events.append((time.monotonic() - opened, event["type"], event["object"].metadata.name))
            log.ended = f"closed by the server after {time.monotonic() - opened:.0f} s"
        except Exception as error:  # the control plane went away (the lab's clean-up): the thread ends
            log.ended = f"{type(error).__name__} after {time.monotonic() - opened:.0f} s"

    threading.Thread(target=follow, daemon=True, name=f"watch {namespace}").start()
    return log


def snapshot_status(snapshot: Path) -> dict[str, Any]:
    """``etcdutl snapshot status -w json``: the snapshot's hash, revision, number of keys and size."""
    command = [str(etcd_tool("etcdutl")), "snapshot", "status", str(snapshot), "-w", "json"]
    return json.loads(_run_tool(command, "etcdutl snapshot status", timeout=30))


def leader_of(cluster: EtcdCluster) -> str | None:
    """The name of the member that leads now, as the running members report it (None when none answers)."""
    running = [m for m in cluster.members if m.running]
    if not running:
        return None
    ctl = Etcdctl(tuple(m.client_url for m in running), timeout=2)
    try:
        statuses = json.loads(ctl.run("endpoint", "status", "-w", "json"))
    except EtcdctlFailed:
        return None
    ids = {s["Status"]["header"]["member_id"]: s["Endpoint"] for s in statuses}
    leaders = {s["Status"]["leader"] for s in statuses}
    urls = {m.client_url: m.name for m in cluster.members}
    named = [urls.get(ids[leader]) for leader in leaders if leader in ids]
    return named[0] if len(named) == 1 else None
