"""Secrets and tokens: what the API hands out, who may read it, and what etcd keeps.

``request_token`` asks the TokenRequest API for a ServiceAccount token (optionally bound to
a pod, for an audience, with an expiry); ``jwt_claims`` decodes the claims of such a token
(decoding needs no key: a JWT is signed, not encrypted); ``review_token`` asks the API server
whether it still accepts a token, and ``wait_until_refused`` asks until it does not;
``api_as`` makes an API client that acts with a token, so that a lab can make real requests
as a ServiceAccount; ``can_i`` asks a SubjectAccessReview.
"""

from __future__ import annotations

import base64
import copy
import json
import time
from typing import Any

from kubernetes import client

from threeplanes.errors import WaitTimeout


def request_token(
    cluster: Any,
    namespace: str,
    service_account: str,
    audiences: list[str] | None = None,
    seconds: int = 600,
    pod: Any = None,
) -> str:
    """A token for ``service_account`` from the TokenRequest API; bound to ``pod`` when given."""
    spec: dict[str, Any] = {"audiences": audiences or [], "expirationSeconds": seconds}
    if pod is not None:
        spec["boundObjectRef"] = {"kind": "Pod", "apiVersion": "v1", "name": pod.metadata.name, "uid": pod.metadata.uid}
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}
    return cluster.core.create_namespaced_service_account_token(service_account, namespace, body).status.token


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


def api_as(cluster: Any, token: str) -> client.ApiClient:
    """An API client for the same cluster that authenticates with ``token`` instead of the admin's certificate."""
    configuration = copy.copy(cluster.api_client.configuration)
    configuration.cert_file = configuration.key_file = None
    configuration.api_key = {"authorization": token}
    configuration.api_key_prefix = {"authorization": "Bearer"}
    return client.ApiClient(configuration)


def can_i(cluster: Any, user: str, verb: str, namespace: str, resource: str, name: str = "") -> Any:
    """A SubjectAccessReview's status: may ``user`` do ``verb`` on ``resource`` (``name``) in ``namespace``?"""
    attributes = {"namespace": namespace, "verb": verb, "resource": resource, "name": name}
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"user": user, "resourceAttributes": attributes},
    }
    return client.AuthorizationV1Api(cluster.api_client).create_subject_access_review(body).status


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
