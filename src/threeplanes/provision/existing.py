"""A cluster of the reader's own: named by its kubeconfig context, never picked by ``auto``.

``up(context)`` copies that one context (its cluster, user and credentials, flattened) into
the book's kubeconfig in the cache, so the labs reach it and nothing else; ``$KUBECONFIG``
is read only to find the context named. Nothing is installed on it. ``down`` deletes only
what the labs made there: every object labelled ``app.kubernetes.io/part-of=threeplanes``,
found through the API's own discovery (every resource that can be listed and deleted), not
a hand-kept list of kinds. ``Existing`` is such a cluster as a value: the context it was named by.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from threeplanes.errors import ProvisioningError
from threeplanes.provision import kubectl, paths
from threeplanes.provision.control_plane import ControlPlane
from threeplanes.provision.say import log

PART_OF_SELECTOR = "app.kubernetes.io/part-of=threeplanes"


class Api(Protocol):
    """The two calls ``down`` needs: GET a path (with query parameters), DELETE a path."""

    def get(self, path: str, query: dict[str, str] | None = None) -> dict[str, Any]: ...

    def delete(self, path: str) -> None: ...


def resource_paths(api: Api) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(group-version path, resource)`` for every resource the server lists and deletes (preferred versions)."""
    versions = ["/api/v1"]
    for group in api.get("/apis").get("groups", []):
        versions.append(f"/apis/{group['preferredVersion']['groupVersion']}")
    for base in versions:
        for resource in api.get(base).get("resources", []):
            if "/" in resource["name"]:  # a subresource such as pods/log
                continue
            if {"list", "delete"} <= set(resource.get("verbs", [])):
                yield base, resource


def labelled_objects(api: Api, selector: str = PART_OF_SELECTOR) -> list[tuple[str, str]]:
    """``(description, path)`` of every object matching ``selector``; namespaces last (they take their contents)."""
    found: dict[str, tuple[str, str, bool]] = {}
    for base, resource in resource_paths(api):
        try:
            listing = api.get(f"{base}/{resource['name']}", {"labelSelector": selector})
        except ProvisioningError as error:  # e.g. forbidden to this user: say so and go on
            log("cluster", f"skipped {resource['name']} in {base}: {error}")
            continue
        for item in listing.get("items", []):
            meta = item["metadata"]
            if resource["namespaced"]:
                path = f"{base}/namespaces/{meta['namespace']}/{resource['name']}/{meta['name']}"
                described = f"{resource['kind']} {meta['namespace']}/{meta['name']}"
            else:
                path = f"{base}/{resource['name']}/{meta['name']}"
                described = f"{resource['kind']} {meta['name']}"
            # The same object can be served by two groups (events); its uid names it once.
            found.setdefault(meta.get("uid") or path, (described, path, resource["kind"] == "Namespace"))
    ordered = sorted(found.values(), key=lambda entry: entry[2])
    return [(described, path) for described, path, _ in ordered]


def remove_labelled(api: Api, selector: str = PART_OF_SELECTOR) -> list[str]:
    """Delete every object the labs made on this cluster; return what was deleted."""
    deleted = []
    for described, path in labelled_objects(api, selector):
        api.delete(path)
        deleted.append(described)
    return deleted


class KubernetesApi:
    """``Api`` over the official client, for the book's kubeconfig."""

    def __init__(self, kubeconfig: Path | None = None, api_client: Any = None) -> None:
        """Over the client of ``kubeconfig``, or over an ``api_client`` already made (the lab kit's)."""
        from kubernetes import client, config

        if api_client is None:
            configuration = client.Configuration()
            config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
            api_client = client.ApiClient(configuration)
        self.client = api_client
        self.api_exception = client.ApiException

    def get(self, path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            response = self.client.call_api(
                path,
                "GET",
                query_params=list((query or {}).items()),
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=30,
            )
        except self.api_exception as error:
            raise ProvisioningError(f"GET {path} was refused: {error.status} {error.reason}.") from None
        return json.loads(response.data)

    def delete(self, path: str) -> None:
        try:
            self.client.call_api(
                path,
                "DELETE",
                query_params=[("propagationPolicy", "Background")],
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=30,
            )
        except self.api_exception as error:
            if error.status != 404:  # already gone (a namespace took it along)
                raise ProvisioningError(f"deleting {path} was refused: {error.status} {error.reason}.") from None


def answers(kubeconfig: Path | None = None) -> bool:
    """True when the API server in ``kubeconfig`` (the book's, by default) answers ``/version``."""
    kubeconfig = kubeconfig or paths.kubeconfig_path()
    if not kubeconfig.is_file():
        return False
    try:
        asked = ["get", "--raw", "/version", "--request-timeout=10s"]
        return kubectl.run_kubectl(asked, kubeconfig=kubeconfig, timeout=20, check=False).returncode == 0
    except ProvisioningError:
        return False


@dataclass(frozen=True)
class Existing(ControlPlane):
    """A cluster of the reader's own, named by its kubeconfig context; copied into ``kubeconfig_file``."""

    backend = "existing"

    context: str | None
    kubeconfig_file: Path

    @classmethod
    def book(cls, context: str | None = None) -> Existing:
        return cls(context, paths.kubeconfig_path())

    @property
    def name(self) -> str:
        return self.context or "(no context named)"

    @property
    def kubeconfig(self) -> Path:
        return self.kubeconfig_file

    def is_running(self) -> bool:
        return answers(self.kubeconfig)

    def up(self) -> Path:
        """Copy the context into the kubeconfig and check that its API answers."""
        context = self.context
        if not context:
            raise ProvisioningError(
                "BACKEND=existing needs the kubeconfig context of your cluster, named explicitly: "
                "`make cluster BACKEND=existing CONTEXT=<context>` (`kubectl config get-contexts` lists them)."
            )
        view = ["config", "view", "--minify", "--flatten", "--raw", "--context", context, "-o", "json"]
        # kubeconfig None: kubectl reads the reader's own configuration, to find the context named.
        result = kubectl.run_kubectl(view, kubeconfig=None, timeout=30, check=False)
        if result.returncode != 0:
            said = (result.stderr.strip().splitlines() or ["no reason given"])[-1]
            raise ProvisioningError(f"the context {context!r} could not be read from your kubeconfig: {said}")
        target = self.kubeconfig
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_suffix(".part")
        part.write_text(result.stdout)
        part.chmod(0o600)
        part.replace(target)
        if not self.is_running():
            target.unlink(missing_ok=True)
            raise ProvisioningError(f"the API server of context {context!r} did not answer within 10 s.")
        log("cluster", f"using your cluster (context {context}); kubeconfig: {target}")
        return target

    def delete_labelled(self, api: Api | None = None) -> list[str]:
        """Delete what the labs made, then forget the cluster (the kubeconfig copy); return what was deleted.

        The cluster itself stays."""
        if api is None and not self.is_running():
            raise ProvisioningError(
                "your cluster's API server does not answer, so what the labs made there could not be removed; "
                f"the kubeconfig {self.kubeconfig} is kept so that `make cluster-down` can try again."
            )
        deleted = remove_labelled(api or KubernetesApi(self.kubeconfig))
        self.kubeconfig.unlink(missing_ok=True)
        return deleted

    def down(self) -> list[str]:
        deleted = self.delete_labelled()
        return [f"deleted {len(deleted)} object(s) the labs made: {', '.join(deleted) or 'none'}"]
