"""The local cluster's etcd, read and written directly, as ``etcdctl`` would.

kube-apiserver keeps every object under ``<prefix>/<resource>/<namespace>/<name>``. ``Etcd``
sends etcd's own requests (range, put, delete range) to its JSON gateway, so that a lab can
show the bytes a copy of etcd gives away, and clear what a second API server wrote under a
prefix of its own. On kind, etcd runs inside the control-plane container and is not reached
this way.
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass

from threeplanes.errors import LabError


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def prefix_end(prefix: str) -> str:
    """The first key after every key that starts with ``prefix`` (etcd's ``range_end`` for a prefix)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@dataclass(frozen=True)
class Etcd:
    url: str  # the first of kube-apiserver's --etcd-servers
    prefix: str  # kube-apiserver's --etcd-prefix: where each of its keys starts
    tls: tuple[str, str, str] | None = None  # (CA, client certificate, client key) for an https URL

    def key(self, resource: str, namespace: str, name: str) -> str:
        """The key under which kube-apiserver keeps one object: ``/registry/secrets/<namespace>/<name>``."""
        return f"{self.prefix.rstrip('/')}/{resource}/{namespace}/{name}"

    def get(self, key: str) -> bytes | None:
        """The raw value stored under ``key`` (None when there is none)."""
        found = self._call("range", {"key": _b64(key)}).get("kvs", [])
        return base64.b64decode(found[0]["value"]) if found else None

    def put(self, key: str, value: bytes) -> None:
        self._call("put", {"key": _b64(key), "value": base64.b64encode(value).decode()})

    def keys(self, prefix: str) -> list[str]:
        """Every key that starts with ``prefix``."""
        reply = self._call("range", {"key": _b64(prefix), "range_end": _b64(prefix_end(prefix)), "keys_only": True})
        return [base64.b64decode(kv["key"]).decode() for kv in reply.get("kvs", [])]

    def delete_prefix(self, prefix: str) -> int:
        """Delete every key that starts with ``prefix``; return how many there were."""
        if len(prefix.strip("/")) < 3:
            raise ValueError(f"refusing to delete everything under {prefix!r}")
        reply = self._call("deleterange", {"key": _b64(prefix), "range_end": _b64(prefix_end(prefix))})
        return int(reply.get("deleted", 0))

    def _call(self, method: str, body: dict) -> dict:
        request = urllib.request.Request(f"{self.url}/v3/kv/{method}", data=json.dumps(body).encode(), method="POST")
        context = None
        if self.tls:
            context = ssl.create_default_context(cafile=self.tls[0])
            context.load_cert_chain(self.tls[1], self.tls[2])
        try:
            with urllib.request.urlopen(request, timeout=5, context=context) as reply:
                return json.loads(reply.read())
        except (urllib.error.URLError, OSError) as error:
            raise LabError(f"etcd at {self.url} did not answer ({error}); is the book's cluster running?") from None


def from_apiserver_flags(flags: dict[str, str]) -> Etcd:
    """The etcd a kube-apiserver started with ``flags`` (``{flag: value}``) writes to."""
    url = flags["etcd-servers"].split(",")[0]
    tls = None
    if url.startswith("https://"):
        tls = (flags["etcd-cafile"], flags["etcd-certfile"], flags["etcd-keyfile"])
    return Etcd(url, flags.get("etcd-prefix", "/registry"), tls)
