"""kube-apiserver from the outside: what it serves, the HTTP under a client call, who it says you are, its audit log.

The lab S1 uses these on a control plane of its own. Discovery: ``served_resources`` reads the
discovery documents (``/api``, ``/apis`` and one ``APIResourceList`` per group version) into
``ServedResource`` rows, and ``discovery_table`` sums them up per group version. The HTTP under a
typed call: ``recording`` wraps an ``ApiClient``'s REST client and keeps every ``Exchange`` (method,
path, query, status, response headers) it makes; ``raw_request`` makes one request by hand with
the kubeconfig's certificates or a bearer token and returns the ``RawReply``. Identity:
``identity_of`` asks the server who the caller is, groups included (a ``SelfSubjectReview``), and
``certificate_subject`` and ``certificate_fingerprint`` read a client certificate as the server
reads it (the subject's CN and O fields, the SHA-256 in its credential ID); the
tokens, token clients and access reviews are the kit's (``kit.identity``).
Concurrency: ``compare_resource_versions`` orders two resourceVersions of one resource by the
documented rule (Kubernetes 1.35 made them comparable). Flow control: ``flow_control_names`` maps the UIDs in the
``X-Kubernetes-PF-*`` response headers to names. Audit: ``read_audit_log`` parses the log
backend's JSON lines into ``AuditEvent``s, and ``wait_for_audit_events`` waits for the entries of
given audit IDs (each response names its own in the ``Audit-Id`` header).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import re
import shutil
import ssl
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import urllib3
from cryptography import x509
from kubernetes import client

from threeplanes.errors import LabError
from threeplanes.kit.effects import poll_until
from threeplanes.kit.tables import Table, table

AUDIT_ID = "Audit-Id"
FLOW_SCHEMA_UID = "X-Kubernetes-PF-FlowSchema-UID"
PRIORITY_LEVEL_UID = "X-Kubernetes-PF-PriorityLevel-UID"
RESOURCE_VERSION = re.compile(r"[1-9][0-9]*")


class NotAResourceVersion(LabError):
    """A resourceVersion that the comparison rule does not cover."""


# --- discovery ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServedResource:
    """One resource (or subresource, ``pods/log``) of one group version, as discovery lists it."""

    group_version: str  # "v1" for the core group, else "<group>/<version>"
    name: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...]

    @property
    def group(self) -> str:
        return self.group_version.rpartition("/")[0]

    @property
    def is_subresource(self) -> bool:
        return "/" in self.name


def get_json(cluster: Any, path: str) -> Any:
    """GET ``path`` from the cluster's API server with its kubeconfig's credentials; the JSON reply."""
    return json.loads(cluster.get_raw(path))


def group_versions(cluster: Any, preferred_only: bool = False) -> list[str]:
    """Every group version the server serves (``v1``, ``apps/v1``...), from ``/api`` and ``/apis``.

    ``preferred_only``: one per group, the version the server prefers (what ``kubectl`` shows).
    """
    found = [f"{v}" for v in get_json(cluster, "/api")["versions"]]
    for group in get_json(cluster, "/apis")["groups"]:
        if preferred_only:
            found.append(group["preferredVersion"]["groupVersion"])
        else:
            found += [v["groupVersion"] for v in group["versions"]]
    return found


def served_resources(cluster: Any, versions: Iterable[str]) -> list[ServedResource]:
    """The resources of each group version in ``versions``, read from its discovery document."""
    found = []
    for group_version in versions:
        path = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
        for r in get_json(cluster, path)["resources"]:
            verbs = tuple(r.get("verbs") or ())
            found.append(ServedResource(group_version, r["name"], r["kind"], r["namespaced"], verbs))
    return found


def discovery_table(resources: Iterable[ServedResource]) -> Table:
    """One row per group version: how many resources and subresources it serves, and a few names."""
    by_version: dict[str, list[ServedResource]] = {}
    for r in resources:
        by_version.setdefault(r.group_version, []).append(r)

    def names(rs: list[ServedResource]) -> str:
        top = sorted(r.name for r in rs if not r.is_subresource)
        return ", ".join(top[:4]) + (f" (+{len(top) - 4})" if len(top) > 4 else "")

    return table(
        sorted(by_version.items(), key=lambda item: (item[0] != "v1", item[0])),
        {
            "GROUP/VERSION": lambda item: item[0],
            "RESOURCES": lambda item: sum(not r.is_subresource for r in item[1]),
            "SUBRESOURCES": lambda item: sum(r.is_subresource for r in item[1]),
            "SOME OF THEM": lambda item: names(item[1]),
        },
    )


# --- the HTTP under a client call --------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One HTTP request a client sent, and the status and headers of the reply."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def target(self) -> str:
        """The request line's target: the path and the query string, as the server received it."""
        return self.path + (f"?{urlencode(self.query)}" if self.query else "")


@contextlib.contextmanager
def recording(api_client: client.ApiClient) -> Iterator[list[Exchange]]:
    """Within the block, keep each request ``api_client`` sends (its typed calls included)."""
    rest = api_client.rest_client
    sent: list[Exchange] = []
    original = rest.request

    def request(method: str, url: str, query_params: Any = None, *args: Any, **kwargs: Any) -> Any:
        query = tuple((str(k), str(v)) for k, v in query_params or [])
        try:
            reply = original(method, url, query_params, *args, **kwargs)
        except client.ApiException as refused:  # a reply outside 2xx: kept, then raised as before
            sent.append(Exchange(method, urlsplit(url).path, query, refused.status, dict(refused.headers or {})))
            raise
        headers = reply.getheaders() if hasattr(reply, "getheaders") else reply.headers
        sent.append(Exchange(method, urlsplit(url).path, query, reply.status, dict(headers)))
        return reply

    own = vars(rest).get("request")  # None unless something already wrapped this instance's method
    rest.request = request
    try:
        yield sent
    finally:
        if own is None:
            del rest.request  # the class's method shows through again
        else:
            rest.request = own


@dataclass(frozen=True)
class RawReply:
    """The answer to one hand-made request: status, headers and the body."""

    method: str
    target: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def raw_request(
    cluster: Any,
    method: str,
    path: str,
    query: Mapping[str, str] | None = None,
    body: Any = None,
    token: str | None = None,
    timeout: float = 10,
) -> RawReply:
    """Send one HTTP request to the cluster's API server with urllib3, no Kubernetes client involved.

    The server's certificate is checked against the kubeconfig's CA. The caller is the kubeconfig's
    client certificate, or the bearer ``token`` when one is given. ``body`` is sent as JSON.
    """
    conf = cluster.api_client.configuration
    certificate = {} if token else {"cert_file": conf.cert_file, "key_file": conf.key_file}
    pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=conf.ssl_ca_cert, **certificate)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    target = path + (f"?{urlencode(query)}" if query else "")
    data = None if body is None else json.dumps(body).encode()
    try:
        response = pool.request(method, conf.host + target, body=data, headers=headers, timeout=timeout, retries=False)
    finally:
        pool.clear()
    return RawReply(method, target, response.status, dict(response.headers), response.data)


# --- who you are ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """Who the server says the caller is (a ``SelfSubjectReview``'s ``status.userInfo``)."""

    username: str
    groups: tuple[str, ...]
    extra: Mapping[str, tuple[str, ...]]


def identity_of(api_client: client.ApiClient) -> Identity:
    """Ask the server who the caller of ``api_client`` is: user name, groups and extra fields.

    A SelfSubjectReview (authentication.k8s.io/v1), as ``kubectl auth whoami`` sends; the
    conceptual plane's ``who_am_i`` keeps the user name alone.
    """
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    info = client.AuthenticationV1Api(api_client).create_self_subject_review(body).status.user_info
    extra = {k: tuple(v) for k, v in (info.extra or {}).items()}
    return Identity(info.username, tuple(info.groups or ()), extra)


def certificate_subject(pem_file: str | Path) -> dict[str, list[str]]:
    """The subject of a PEM certificate, ``{"CN": [...], "O": [...]}``, read with ``cryptography``."""
    try:
        certificate = x509.load_pem_x509_certificate(Path(pem_file).read_bytes())
    except (OSError, ValueError) as error:
        raise LabError(f"no certificate could be read from {pem_file}: {error}") from None
    fields: dict[str, list[str]] = {}
    for attribute in certificate.subject:
        fields.setdefault(attribute.rfc4514_attribute_name, []).append(str(attribute.value))
    return fields


def certificate_fingerprint(pem_file: str | Path) -> str:
    """The SHA-256 of a PEM certificate's DER bytes, as the API server writes it in a credential ID."""
    der = ssl.PEM_cert_to_DER_cert(Path(pem_file).read_text())
    return hashlib.sha256(der).hexdigest()


# --- resourceVersions --------------------------------------------------------------------------


def compare_resource_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as resourceVersion ``a`` is older than, the same as or newer than ``b``.

    The rule Kubernetes 1.35 documented for two objects of the same resource: both are decimal
    integers without a leading zero; the longer is the greater, and of two of the same length the
    one that sorts later. Anything else cannot be compared (``NotAResourceVersion``).
    """
    for value in (a, b):
        if not isinstance(value, str) or not RESOURCE_VERSION.fullmatch(value):
            raise NotAResourceVersion(
                f"{value!r} is not a comparable resourceVersion: one is a positive decimal integer with no leading 0."
            )
    key_a, key_b = (len(a), a), (len(b), b)
    return (key_a > key_b) - (key_a < key_b)


# --- API Priority and Fairness -----------------------------------------------------------------


def flow_control_names(
    headers: Mapping[str, str], flow_schemas: Iterable[Any], levels: Iterable[Any]
) -> tuple[str, str]:
    """The FlowSchema and the PriorityLevelConfiguration that handled a request, named by its reply's headers."""
    by_uid = {o.metadata.uid: o.metadata.name for o in [*flow_schemas, *levels]}
    found = {k.lower(): v for k, v in headers.items()}
    schema, level = found.get(FLOW_SCHEMA_UID.lower()), found.get(PRIORITY_LEVEL_UID.lower())
    if schema is None or level is None:
        raise LabError(f"the reply carries no {FLOW_SCHEMA_UID} or {PRIORITY_LEVEL_UID} header: {sorted(found)}")
    return by_uid.get(schema, f"(unknown uid {schema})"), by_uid.get(level, f"(unknown uid {level})")


# --- the audit log -----------------------------------------------------------------------------


AUDIT_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]      # one event per request when it completes
rules:
- level: RequestResponse           # who, what, and both bodies
  resources:
  - group: ""
    resources: [configmaps]
- level: Metadata                  # who and what, no bodies
  resources:
  - group: ""
    resources: [pods]
- level: None                      # nothing else
"""


def audit_folder(policy: str) -> Path:
    """A new folder holding ``policy.yaml`` (the audit policy) for an API server to read at its start.

    The server writes its log beside it (pass ``<folder>/audit.log``). The folder is removed at the
    process's exit, if the lab's clean-up has not removed it before.
    """
    folder = Path(tempfile.mkdtemp(prefix="threeplanes-audit-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "policy.yaml").write_text(policy)
    return folder


@dataclass(frozen=True)
class AuditEvent:
    """One line of the API server's audit log (an ``audit.k8s.io/v1`` Event)."""

    audit_id: str
    stage: str
    level: str
    verb: str
    uri: str
    user: str
    code: int | None
    raw: Mapping[str, Any]

    @property
    def has_bodies(self) -> bool:
        return "requestObject" in self.raw or "responseObject" in self.raw


def read_audit_log(path: Path) -> list[AuditEvent]:
    """Every complete event in the audit log at ``path`` (a line still being written is skipped)."""
    if not path.is_file():
        return []
    events = []
    for line in path.read_text().splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        code = (e.get("responseStatus") or {}).get("code")
        user = (e.get("user") or {}).get("username", "")
        events.append(AuditEvent(e["auditID"], e["stage"], e["level"], e["verb"], e["requestURI"], user, code, e))
    return events


def wait_for_audit_events(path: Path, audit_ids: Iterable[str], timeout: float = 30) -> dict[str, AuditEvent]:
    """Wait until the log at ``path`` holds the ``ResponseComplete`` event of every one of ``audit_ids``."""
    wanted = list(audit_ids)

    def complete() -> dict[str, AuditEvent]:
        return {e.audit_id: e for e in read_audit_log(path) if e.stage == "ResponseComplete" and e.audit_id in wanted}

    effect = poll_until(
        complete,
        lambda found: set(found) == set(wanted),
        what=f"the audit log {path} to hold the events of {len(wanted)} request(s)",
        describe=lambda found: f"{len(found)} of them; missing {sorted(set(wanted) - set(found))}",
        timeout=timeout,
        every=0.2,
    )
    return {i: effect.seen[i] for i in wanted}


def audit_table(events: Iterable[AuditEvent]) -> Table:
    return table(
        events,
        {
            "USER": lambda e: e.user,
            "VERB": lambda e: e.verb,
            "URI": lambda e: e.uri if len(e.uri) <= 60 else e.uri[:57] + "...",
            "CODE": lambda e: e.code,
            "LEVEL": lambda e: e.level,
            "BODIES": lambda e: "yes" if e.has_bodies else "no",
        },
    )
