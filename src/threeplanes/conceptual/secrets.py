"""Secrets and tokens: what the API hands out, who may read it, and what etcd keeps.

Tokens come from ``threeplanes.conceptual.identity``. ``jwt_claims`` decodes the claims of
such a token (decoding needs no key: a JWT is signed, not encrypted); ``review_token`` asks
the API server whether it still accepts a token, and ``wait_until_refused`` asks until it
does not.

``local_etcd`` finds the local cluster's etcd from the flags kwokctl gave kube-apiserver, and
``Etcd.get`` reads the raw bytes the API server stored under a key, through etcd's JSON
gateway (the same request as ``etcdctl get``), so that a lab can show what a copy of etcd
gives away. On kind, etcd runs inside the control-plane container and is not reached this way.
``can_encrypt_at_rest``, ``loaded_encryption_config`` and ``wait_for_encryption_config``
follow the EncryptionConfiguration the local backend gives kube-apiserver
(``threeplanes.provision.local``).
"""

from __future__ import annotations

import base64
import json
import re
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from filelock import FileLock
from kubernetes import client

from threeplanes.errors import LabError, WaitTimeout
from threeplanes.provision.local import cluster_dir, encryption_config_path


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims (the middle part) of a JSON Web Token, decoded without checking the signature."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def review_token(cluster: Any, token: str, audiences: list[str] | None = None) -> Any:
    """The API server's verdict on ``token`` (a TokenReview's status: authenticated, user, audiences, error)."""
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}
    if audiences:
        body["spec"]["audiences"] = audiences
    return client.AuthenticationV1Api(cluster.api_client).create_token_review(body).status


def wait_until_refused(cluster: Any, token: str, audiences: list[str] | None = None, timeout: float = 30) -> Any:
    """Ask for TokenReviews until the API server refuses ``token``; return that review's status.

    A TokenReview is a question, not an object: there is nothing to watch, so this asks again
    every half second. kube-apiserver caches a successful authentication for 10 s
    (``TokenSuccessCacheTTL``), so a token bound to a deleted pod is refused within that time.
    """
    deadline = time.monotonic() + timeout
    while (status := review_token(cluster, token, audiences)).authenticated:
        if time.monotonic() > deadline:
            raise WaitTimeout(f"the API server still accepts the token after {timeout:g} s")
        time.sleep(0.5)
    return status


# --- A certificate for a TLS Secret ----------------------------------------------------------


def self_signed_certificate(common_name: str, days: int = 1) -> tuple[bytes, bytes]:
    """``(certificate, private key)`` in PEM, made by ``openssl`` for ``common_name``."""
    with tempfile.TemporaryDirectory() as folder:
        cert, key = Path(folder) / "tls.crt", Path(folder) / "tls.key"
        command = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        command += ["-keyout", str(key), "-out", str(cert), "-days", str(days), "-subj", f"/CN={common_name}"]
        try:
            subprocess.run(command, capture_output=True, timeout=30, check=True)
        except FileNotFoundError:
            raise LabError(
                "openssl is not installed; install it (sudo apt-get install openssl) and run again."
            ) from None
        except subprocess.CalledProcessError as error:
            raise LabError(f"openssl could not make a certificate: {error.stderr.decode().strip()}") from None
        return cert.read_bytes(), key.read_bytes()


# --- What etcd holds -------------------------------------------------------------------------


@dataclass(frozen=True)
class Etcd:
    """The local cluster's etcd, as its kube-apiserver reaches it."""

    url: str  # the first of kube-apiserver's --etcd-servers
    prefix: str  # kube-apiserver's --etcd-prefix: where every key starts
    tls: tuple[str, str, str] | None = None  # (CA, client certificate, client key) for an https URL

    def key(self, resource: str, namespace: str, name: str) -> str:
        """The key under which kube-apiserver keeps one object: ``/registry/secrets/<namespace>/<name>``."""
        return f"{self.prefix.rstrip('/')}/{resource}/{namespace}/{name}"

    def get(self, key: str) -> bytes | None:
        """The raw value stored under ``key`` (None when there is none), through etcd's JSON gateway."""
        body = json.dumps({"key": base64.b64encode(key.encode()).decode()}).encode()
        request = urllib.request.Request(f"{self.url}/v3/kv/range", data=body, method="POST")
        context = None
        if self.tls:
            context = ssl.create_default_context(cafile=self.tls[0])
            context.load_cert_chain(self.tls[1], self.tls[2])
        try:
            with urllib.request.urlopen(request, timeout=5, context=context) as reply:
                found = json.loads(reply.read()).get("kvs", [])
        except (urllib.error.URLError, OSError) as error:
            raise LabError(f"etcd at {self.url} did not answer ({error}); is the book's cluster running?") from None
        return base64.b64decode(found[0]["value"]) if found else None


def local_etcd(cluster: Any) -> Etcd | None:
    """The etcd of the local cluster, when ``cluster`` is that cluster; None on kind or elsewhere.

    kwokctl writes every component's command line into ``kwok.yaml`` in the cluster's folder;
    the kube-apiserver's flags say where its etcd listens and with which certificates.
    """
    args = component_flags("kube-apiserver")
    if not args or urllib.parse.urlsplit(cluster.server).port != int(args.get("secure-port", "0")):
        return None
    url = args["etcd-servers"].split(",")[0]
    tls = None
    if url.startswith("https://"):
        tls = (args["etcd-cafile"], args["etcd-certfile"], args["etcd-keyfile"])
    return Etcd(url, args.get("etcd-prefix", "/registry"), tls)


def component_flags(name: str) -> dict[str, str]:
    """``{flag: value}`` of a component of the local cluster, from kwokctl's ``kwok.yaml``; empty if none."""
    path = cluster_dir() / "kwok.yaml"
    if not path.is_file():
        return {}
    for document in yaml.safe_load_all(path.read_text()):
        for component in (document or {}).get("components", []):
            if component.get("name") == name:
                pairs = (a.removeprefix("--").partition("=") for a in component.get("args", []))
                return {k: v for k, _, v in pairs}
    return {}


def printable(raw: bytes, limit: int = 400, around: bytes = b"") -> str:
    """``raw`` as text, printable ASCII kept and every other byte shown as ``.`` (like ``hexdump -C``).

    With ``around``, the excerpt of ``limit`` bytes is centred on its first occurrence.
    """
    start = max(0, raw.find(around) - (limit - len(around)) // 2) if around and around in raw else 0
    shown = "".join(chr(b) if 32 <= b < 127 else "." for b in raw[start : start + limit])
    return ("..." if start else "") + shown + ("..." if start + limit < len(raw) else "") + f" ({len(raw)} bytes)"


# --- Encryption at rest on the local cluster -------------------------------------------------

LAST_CONFIG = re.compile(r'^apiserver_encryption_config_controller_last_config_info\{[^}]*hash="([^"]+)"', re.M)
ENCRYPTED_PREFIX = b"k8s:enc:"


def can_encrypt_at_rest(cluster: Any) -> bool:
    """True when the lab can change how this cluster's API server stores Secrets; else a one-sentence note.

    That takes the local cluster, whose kube-apiserver was started with the EncryptionConfiguration
    the local backend writes and with automatic reload on.
    """
    flags = component_flags("kube-apiserver") if local_etcd(cluster) else {}
    if not flags:
        print(
            "Note: on this cluster etcd runs inside the control plane's container, out of the lab's reach, so "
            "this step is skipped; run it on the local cluster (make cluster BACKEND=local)."
        )
        return False
    wanted = {"encryption-provider-config": str(encryption_config_path())}
    wanted["encryption-provider-config-automatic-reload"] = "true"
    if any(flags.get(k) != v for k, v in wanted.items()):
        print(
            "Note: this cluster's API server was started without the book's encryption configuration, so this "
            "step is skipped; restart the cluster (make cluster-down, then make cluster) and run it again."
        )
        return False
    return True


def encryption_lock() -> FileLock:
    """Held by a run that changes the EncryptionConfiguration, so two runs never change it at once."""
    return FileLock(encryption_config_path().with_suffix(".lock"))


def loaded_encryption_config(cluster: Any) -> str | None:
    """The hash of the EncryptionConfiguration kube-apiserver runs with, from its own metrics."""
    found = LAST_CONFIG.search(cluster.get_raw("/metrics"))
    return found.group(1) if found else None


def wait_for_encryption_config(cluster: Any, config_hash: str, timeout: float = 75) -> float:
    """Wait until kube-apiserver runs with the configuration ``config_hash``; return the seconds waited.

    It re-reads the file once a minute, and says which content it loaded only in its metrics:
    there is nothing to watch, so this reads them every second.
    """
    started = time.monotonic()
    while (loaded := loaded_encryption_config(cluster)) != config_hash:
        if time.monotonic() - started > timeout:
            raise WaitTimeout(f"kube-apiserver still runs with encryption configuration {loaded} after {timeout:g} s")
        time.sleep(1)
    return time.monotonic() - started
