"""Who is asking: ServiceAccount tokens, clients that use them, and what the authorizer answers.

``request_token`` asks the TokenRequest API for a short-lived token (bound to a pod when
given), and ``jwt_claims`` reads what it says; ``api_as`` builds a client that presents it
instead of the admin's certificate.
``can_i`` asks as that client's own user (a SelfSubjectAccessReview, as ``kubectl auth can-i``
does); ``subject_access_review`` and ``service_account_can`` ask as an administrator about
someone else (a SubjectAccessReview). ``refusal`` reads a refused request back as one line: the
status and the API server's message (an authorizer's or an admission plugin's).
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from kubernetes import client


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims (the middle part) of a JSON Web Token, decoded without checking the signature."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def service_account_user(namespace: str, name: str) -> str:
    """The user name the API server gives a ServiceAccount's tokens."""
    return f"system:serviceaccount:{namespace}:{name}"


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


def api_as(cluster: Any, token: str) -> client.ApiClient:
    """An API client for the same cluster that authenticates with ``token`` instead of the admin's certificate."""
    configuration = copy.copy(cluster.api_client.configuration)
    configuration.cert_file = configuration.key_file = None
    configuration.api_key = {"BearerToken": token}
    configuration.api_key_prefix = {"BearerToken": "Bearer"}
    return client.ApiClient(configuration)


def service_account_client(cluster: Any, namespace: str, name: str, seconds: int = 600) -> client.ApiClient:
    """An API client that authenticates as ServiceAccount ``namespace/name``, with a fresh token."""
    return api_as(cluster, request_token(cluster, namespace, name, seconds=seconds))


def who_am_i(api_client: client.ApiClient) -> str:
    """The user name the API server sees behind ``api_client`` (a SelfSubjectReview)."""
    review = client.AuthenticationV1Api(api_client).create_self_subject_review(client.V1SelfSubjectReview())
    return review.status.user_info.username


def attributes(verb: str, resource: str, namespace: str, group: str = "", name: str = "") -> dict[str, str]:
    return {"verb": verb, "resource": resource, "namespace": namespace, "group": group, "name": name}


def can_i(api_client: client.ApiClient, verb: str, resource: str, namespace: str, group: str = "") -> tuple[bool, str]:
    """Ask as ``api_client``'s user: may I ``verb`` ``resource`` in ``namespace``? (allowed, reason)."""
    body = {"spec": {"resourceAttributes": attributes(verb, resource, namespace, group)}}
    review = client.AuthorizationV1Api(api_client).create_self_subject_access_review(body)
    return bool(review.status.allowed), review.status.reason or "no rule allows it"


def subject_access_review(
    cluster: Any,
    user: str,
    verb: str,
    resource: str,
    namespace: str,
    name: str = "",
    group: str = "",
    groups: list[str] | None = None,
) -> Any:
    """Ask as an administrator: may ``user`` (in ``groups``) do this? The review's status (allowed, reason)."""
    spec = {"user": user, "resourceAttributes": attributes(verb, resource, namespace, group, name)}
    if groups:
        spec["groups"] = groups
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec}
    return client.AuthorizationV1Api(cluster.api_client).create_subject_access_review(body).status


def service_account_can(
    cluster: Any, account: tuple[str, str], verb: str, resource: str, namespace: str, group: str = ""
) -> tuple[bool, str]:
    """May ServiceAccount ``account`` (namespace, name) do this, with the groups its tokens carry? (allowed, reason)."""
    home, name = account
    groups = ["system:serviceaccounts", f"system:serviceaccounts:{home}", "system:authenticated"]
    status = subject_access_review(
        cluster, service_account_user(home, name), verb, resource, namespace, group=group, groups=groups
    )
    return bool(status.allowed), status.reason or "no rule allows it"


def refusal(error: client.ApiException) -> str:
    """The one line the API server gave when it refused a request: its HTTP status, then its message (the
    reason again when the body carries none)."""
    try:
        message = json.loads(error.body)["message"]
    except (TypeError, ValueError, KeyError):
        message = None
    return f"{error.status} {error.reason}: {message or error.reason}"
