"""Secrets and tokens: what the API hands out, who may read it, and what etcd keeps.

Tokens come from ``threeplanes.kit.identity``, which also decodes their claims (``jwt_claims``:
decoding needs no key, a JWT is signed, not encrypted); ``review_token`` asks
the API server whether it still accepts a token, and ``wait_until_refused`` asks until it
does not.

``local_etcd`` finds the local cluster's etcd from the flags kwokctl gave kube-apiserver, so
that a lab can read the raw bytes the API server stored (``Etcd.get``, the same request as
``etcdctl get``) and show what a copy of etcd gives away. On kind, etcd runs inside the
control-plane container and is not reached this way.

``start_encrypting_apiserver`` starts a second kube-apiserver on that etcd, under a prefix of
its own, with an EncryptionConfiguration from its start: the cluster's own API server, which
every other lab uses at the same time, is left as it is.
"""

from __future__ import annotations

import base64
import copy
import secrets
import shutil
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

from threeplanes.errors import LabError, NotOnThisCluster, WaitTimeout
from threeplanes.kit.control_plane import (
    Etcd,
    Local,
    SecondApiserver,
    flags_of,
    from_apiserver_flags,
)
from threeplanes.provision import processes


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
        if shutil.which("openssl") is None:
            raise LabError("openssl is not installed; install it (sudo apt-get install openssl) and run again.")
        what = f"`openssl req -x509` (a certificate for {common_name})"
        processes.run(command, timeout=30, what=what, capture_output=True)
        return cert.read_bytes(), key.read_bytes()


# --- What etcd holds -------------------------------------------------------------------------


def local_etcd(cluster: Any) -> Etcd | None:
    """The etcd of the local cluster, when ``cluster`` is that cluster; None on kind or elsewhere.

    kwokctl records every component's command line; the kube-apiserver's flags say where its
    etcd listens and with which certificates.
    """
    flags = flags_of(Local.book().component("kube-apiserver") or {})
    if not flags or urllib.parse.urlsplit(cluster.server).port != int(flags.get("secure-port", "0")):
        return None
    return from_apiserver_flags(flags)


def printable(raw: bytes, limit: int = 400, around: bytes = b"") -> str:
    """``raw`` as text, printable ASCII kept and every other byte shown as ``.`` (like ``hexdump -C``).

    With ``around``, the excerpt of ``limit`` bytes is centred on its first occurrence.
    """
    start = max(0, raw.find(around) - (limit - len(around)) // 2) if around and around in raw else 0
    shown = "".join(chr(b) if 32 <= b < 127 else "." for b in raw[start : start + limit])
    return ("..." if start else "") + shown + ("..." if start + limit < len(raw) else "") + f" ({len(raw)} bytes)"


# --- Encryption at rest, on a second API server --------------------------------------------

ENCRYPTED_PREFIX = b"k8s:enc:"


def encryption_config(key_name: str, key: bytes) -> str:
    """An EncryptionConfiguration that encrypts Secrets with ``aescbc`` and still reads them unencrypted.

    The first provider encrypts what is written; every provider listed may decrypt what is read.
    """
    aescbc = {"aescbc": {"keys": [{"name": key_name, "secret": base64.b64encode(key).decode()}]}}
    config = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "EncryptionConfiguration",
        "resources": [{"resources": ["secrets"], "providers": [aescbc, {"identity": {}}]}],
    }
    return yaml.safe_dump(config, sort_keys=False)


def start_encrypting_apiserver(cluster: Any, name: str, key_name: str = "lab-key") -> tuple[SecondApiserver, Any]:
    """A second kube-apiserver on the local cluster's etcd that encrypts Secrets at rest, and a client for it.

    Returns ``(server, core)``: the server (``stop()`` it, which also deletes what it stored) and
    a ``CoreV1Api`` that reaches it with the cluster's own credentials. The key is 32 random
    bytes drawn for this server alone. On a cluster other than the local one, raises
    ``NotOnThisCluster``.
    """
    if local_etcd(cluster) is None:
        raise NotOnThisCluster(
            "this step starts a second kube-apiserver with the local cluster's etcd and certificates, which "
            "this cluster does not expose; run it on the local cluster (make cluster BACKEND=local)."
        )
    config = encryption_config(key_name, secrets.token_bytes(32))
    # Priority and fairness off: a server for a handful of requests needs no request queues, and starts faster.
    flags = {"encryption-provider-config": "{folder}/encryption-config.yaml", "enable-priority-and-fairness": "false"}
    server = Local.book().start_second_apiserver(name, {"encryption-config.yaml": config}, flags)
    configuration = copy.copy(cluster.api_client.configuration)
    configuration.host = server.server
    return server, client.CoreV1Api(client.ApiClient(configuration))
