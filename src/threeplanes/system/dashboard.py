"""A read-only web dashboard: one more client of the API server, with exactly the rights of its identity.

``Dashboard(api_client, namespace)`` serves one HTML page, from a thread of this process, on a free
loopback port: the cluster's nodes, the namespace's Deployments with their ready counts and its
recent events (and, when asked for with ``secrets=True``, the namespace's Secrets with their values,
as the retired Kubernetes Dashboard showed them). The page holds no credentials of its own: every
panel is read with the ``api_client`` it was given, usually one that presents a ServiceAccount's
token.

Each panel is kept the way a controller keeps its cache: a list, then a watch from the list's
``resourceVersion``, whose events update the panel. What the API server refuses is shown on the
panel instead of data, with the status and the server's message: ``refused`` when the list was
refused, ``stale`` when the list was served but the watch was refused (the panel then shows a
snapshot that no longer changes). A live panel is ``live``.

``fetch_page`` reads the page with plain HTTP and ``read_page`` parses it back into panels (their
state, message and rows), which is how labs and checkers judge what the page shows.
``try_requests`` makes requests the page never needs (writes as server-side dry runs, so nothing is
changed even when they are allowed) and returns the status of each. ``browse`` opens the page in
headless Chromium and reads back what it rendered.
"""

from __future__ import annotations

import base64
import contextlib
import html
import http.server
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from kubernetes import client, watch

from threeplanes.errors import LabError
from threeplanes.kit.control_plane import free_ports
from threeplanes.kit.identity import refusal

WATCH_SECONDS = 30  # each watch request ends after this long and is started again from where it was
RETRY_SECONDS = 1.0  # after a refusal, the panel asks again this long later (RBAC may be granted meanwhile)
RECENT_EVENTS = 15
VERBS = ("get", "list", "watch")  # what a read-only page needs, and all it needs


@dataclass(frozen=True)
class PanelKind:
    """What one panel shows: a kind, where it is listed (cluster-wide or in the namespace), its columns."""

    key: str  # the HTML id of the panel's section
    title: str
    api_group: str  # "" for the core group
    resource: str
    namespaced: bool
    columns: tuple[tuple[str, Callable[[Any], str]], ...]
    order: Callable[[Any], Any] = lambda obj: obj.metadata.name
    newest_first: bool = False
    limit: int | None = None


def _age(when: Any) -> str:
    if when is None:
        return ""
    seconds = max(0, int(time.time() - when.timestamp()))
    return f"{seconds}s" if seconds < 120 else f"{seconds // 60}m"


def _node_status(node: Any) -> str:
    ready = next((c for c in node.status.conditions or [] if c.type == "Ready"), None)
    state = "Ready" if ready is not None and ready.status == "True" else "NotReady"
    return state + (",SchedulingDisabled" if node.spec.unschedulable else "")


def _event_time(event: Any) -> Any:
    return event.last_timestamp or event.event_time or event.metadata.creation_timestamp


def _secret_values(secret: Any) -> str:
    data = secret.data or {}
    return "; ".join(f"{k}={base64.b64decode(v).decode(errors='replace')}" for k, v in sorted(data.items()))


def secret_values(cell: str) -> dict[str, str]:
    """The ``{key: value}`` of a Secret as the Secrets panel's DATA cell shows it (``key=value; key=value``)."""
    return dict(pair.split("=", 1) for pair in cell.split("; ") if "=" in pair)


NODES = PanelKind(
    "nodes",
    "Nodes",
    "",
    "nodes",
    False,
    (
        ("NAME", lambda n: n.metadata.name),
        ("STATUS", _node_status),
        ("VERSION", lambda n: n.status.node_info.kubelet_version if n.status.node_info else ""),
        ("ZONE", lambda n: (n.metadata.labels or {}).get("topology.kubernetes.io/zone", "")),
    ),
)
DEPLOYMENTS = PanelKind(
    "deployments",
    "Deployments",
    "apps",
    "deployments",
    True,
    (
        ("NAME", lambda d: d.metadata.name),
        ("READY", lambda d: f"{d.status.ready_replicas or 0}/{d.spec.replicas}"),
        ("UP-TO-DATE", lambda d: str(d.status.updated_replicas or 0)),
        ("AVAILABLE", lambda d: str(d.status.available_replicas or 0)),
    ),
)
EVENTS = PanelKind(
    "events",
    "Recent events",
    "",
    "events",
    True,
    (
        ("AGE", lambda e: _age(_event_time(e))),
        ("TYPE", lambda e: e.type or ""),
        ("REASON", lambda e: e.reason or ""),
        ("OBJECT", lambda e: f"{e.involved_object.kind}/{e.involved_object.name}"),
        ("MESSAGE", lambda e: e.message or ""),
    ),
    order=lambda e: (_event_time(e).timestamp() if _event_time(e) else 0, e.metadata.name),
    newest_first=True,
    limit=RECENT_EVENTS,
)
SECRETS = PanelKind(
    "secrets",
    "Secrets",
    "",
    "secrets",
    True,
    (
        ("NAME", lambda s: s.metadata.name),
        ("TYPE", lambda s: s.type or ""),
        ("DATA", _secret_values),
    ),
)
PANELS = (NODES, DEPLOYMENTS, EVENTS)  # the page's panels; SECRETS only when asked for


def read_only_rules(panels: tuple[PanelKind, ...] = PANELS) -> list[dict]:
    """RBAC rules that let a client read (get, list, watch) the kinds ``panels`` show, and nothing else."""
    by_group: dict[str, list[str]] = {}
    for panel in panels:
        by_group.setdefault(panel.api_group, []).append(panel.resource)
    return [{"apiGroups": [g], "resources": r, "verbs": list(VERBS)} for g, r in by_group.items()]


class Panel:
    """One panel's cache: a list, then watches from its resourceVersion, in a thread of its own."""

    def __init__(self, kind: PanelKind, api_client: client.ApiClient, namespace: str, stopping: threading.Event):
        self.kind, self.namespace, self.stopping = kind, namespace, stopping
        api = client.AppsV1Api(api_client) if kind.api_group == "apps" else client.CoreV1Api(api_client)
        name = {"nodes": "node", "deployments": "deployment", "events": "event", "secrets": "secret"}[kind.resource]
        if kind.namespaced:
            self._list = getattr(api, f"list_namespaced_{name}")
            self._args: tuple = (namespace,)
        else:
            self._list = getattr(api, f"list_{name}")
            self._args = ()
        self.lock = threading.Lock()
        self.objects: dict[str, Any] = {}
        self.state, self.message = "starting", ""
        self._watch: watch.Watch | None = None
        self.thread = threading.Thread(target=self._run, name=f"dashboard-{kind.key}", daemon=True)

    @property
    def where(self) -> str:
        return f"in {self.namespace}" if self.kind.namespaced else "cluster-wide"

    def _set(self, state: str, message: str = "") -> None:
        with self.lock:
            self.state, self.message = state, message

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                listed = self._list(*self._args)
            except client.ApiException as error:
                self._set("refused", f"list {self.kind.resource} {self.where}: {refusal(error)}")
                self.stopping.wait(RETRY_SECONDS)
                continue
            except Exception as error:  # the API server gone (the control plane removed): try again, or stop
                self._set("refused", f"list {self.kind.resource} {self.where}: {type(error).__name__}")
                self.stopping.wait(RETRY_SECONDS)
                continue
            with self.lock:
                self.objects = {o.metadata.uid: o for o in listed.items}
                self.state, self.message = "live", ""
            self._follow(listed.metadata.resource_version)

    def _follow(self, version: str) -> None:
        """Apply watch events from ``version`` on until stopped; return when the panel must list again."""
        while not self.stopping.is_set():
            self._watch = watch.Watch()
            try:
                for event in self._watch.stream(
                    self._list, *self._args, resource_version=version, timeout_seconds=WATCH_SECONDS
                ):
                    obj = event["object"]
                    with self.lock:
                        self.state, self.message = "live", ""
                        if event["type"] == "DELETED":
                            self.objects.pop(obj.metadata.uid, None)
                        else:
                            self.objects[obj.metadata.uid] = obj
                    version = obj.metadata.resource_version
            except client.ApiException as error:
                if error.status == 410 or self.stopping.is_set():  # too old to resume from: list again
                    return
                self._set("stale", f"watch {self.kind.resource} {self.where}: {refusal(error)}")
                self.stopping.wait(RETRY_SECONDS)  # the snapshot stays; the watch is asked for again
                continue
            except Exception:  # the connection closed under the watch (the dashboard stopping, or the server gone)
                if not self.stopping.is_set():
                    self.stopping.wait(RETRY_SECONDS)
                return

    def stop(self) -> None:
        """End the watch at once: close its connection (the thread then returns)."""
        response = getattr(self._watch, "_resp", None) if self._watch else None
        if response is not None:
            with contextlib.suppress(Exception):
                response.shutdown()

    def rows(self) -> list[list[str]]:
        with self.lock:
            objects = sorted(self.objects.values(), key=self.kind.order, reverse=self.kind.newest_first)
        if self.kind.limit:
            objects = objects[: self.kind.limit]
        return [[str(column(o)) for _, column in self.kind.columns] for o in objects]


DASHBOARD_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
section { margin-bottom: 1.5em; }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid #ccc; padding: 0.2em 0.8em; text-align: left; vertical-align: top; }
td { font-family: monospace; white-space: nowrap; }
td:last-child { white-space: normal; overflow-wrap: anywhere; }
.state { font-size: 0.8em; padding: 0.1em 0.4em; border-radius: 0.3em; background: #ddd; }
section[data-state=live] .state { background: #c8ebc8; }
section[data-state=refused] .state, section[data-state=stale] .state { background: #f5c6c6; }
.message { color: #a00; }
"""


class Dashboard:
    """The page, served from a thread; ``start()`` returns its URL, ``stop()`` ends the server and the panels."""

    def __init__(self, api_client: client.ApiClient, namespace: str, *, secrets: bool = False):
        self.api_client, self.namespace = api_client, namespace
        self.stopping = threading.Event()
        kinds = (*PANELS, SECRETS) if secrets else PANELS
        self.panels = [Panel(k, api_client, namespace, self.stopping) for k in kinds]
        self.identity = "unknown"
        self.server: http.server.ThreadingHTTPServer | None = None
        self.url = ""

    def start(self) -> str:
        with contextlib.suppress(client.ApiException):  # any authenticated user may ask who they are
            review = client.AuthenticationV1Api(self.api_client).create_self_subject_review(
                client.V1SelfSubjectReview()
            )
            self.identity = review.status.user_info.username
        for panel in self.panels:
            panel.thread.start()
        (port,) = free_ports(1)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        threading.Thread(target=self.server.serve_forever, name="dashboard-http", daemon=True).start()
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    def stop(self) -> None:
        """Stop serving and end every panel's watch; a second call does nothing."""
        self.stopping.set()
        server, self.server = self.server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        for panel in self.panels:
            panel.stop()
        for panel in self.panels:
            panel.thread.join(timeout=5)

    def __enter__(self) -> Dashboard:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def page(self) -> str:
        """The HTML of the page, from what the panels hold now."""
        parts = [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>Cluster overview: {html.escape(self.namespace)}</title>",
            f"<style>{DASHBOARD_STYLE}</style></head><body>",
            "<h1>Cluster overview</h1>",
            f'<p>Namespace <code id="namespace">{html.escape(self.namespace)}</code>, read as '
            f'<code id="identity">{html.escape(self.identity)}</code>. Read-only.</p>',
        ]
        parts += [self._panel_html(panel) for panel in self.panels]
        parts.append("</body></html>")
        return "\n".join(parts)

    @staticmethod
    def _panel_html(panel: Panel) -> str:
        with panel.lock:
            state, message = panel.state, panel.message
        rows = panel.rows()
        head = "".join(f"<th>{html.escape(name)}</th>" for name, _ in panel.kind.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
        note = f'<p class="message">{html.escape(message)}</p>' if message else ""
        return (
            f'<section id="{panel.kind.key}" data-state="{state}">'
            f'<h2>{html.escape(panel.kind.title)} <span class="state">{state}</span></h2>{note}'
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>"
        )

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        dashboard = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                if self.path not in ("/", "/index.html"):
                    self._reply(404, "text/plain", b"not found\n")
                    return
                self._reply(200, "text/html; charset=utf-8", dashboard.page().encode())

            def _reply(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        return Handler


# --- reading the page back ---------------------------------------------------------------------------------


@dataclass
class ShownPanel:
    """A panel as the page shows it: its state, its message (what was refused), its header and rows."""

    key: str
    state: str = ""
    message: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    def column(self, name: str) -> list[str]:
        at = self.header.index(name)
        return [row[at] for row in self.rows]

    def row(self, first: str) -> dict[str, str] | None:
        """The row whose first cell is ``first``, as {column: cell}."""
        found = next((r for r in self.rows if r and r[0] == first), None)
        return dict(zip(self.header, found, strict=True)) if found else None


@dataclass
class ShownPage:
    identity: str = ""
    namespace: str = ""
    panels: dict[str, ShownPanel] = field(default_factory=dict)

    def states(self) -> dict[str, str]:
        return {key: p.state for key, p in self.panels.items()}


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = ShownPage()
        self.panel: ShownPanel | None = None
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.in_message = False
        self.code = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.panel = ShownPanel(a.get("id") or "", a.get("data-state") or "")
            self.page.panels[self.panel.key] = self.panel
        elif tag == "code":
            self.code = a.get("id") or ""
        elif tag == "p" and a.get("class") == "message":
            self.in_message = True
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append("".join(self.cell))
            self.cell = None
        elif tag == "tr" and self.row is not None and self.panel is not None:
            if self.panel.header:
                self.panel.rows.append(self.row)
            else:
                self.panel.header = self.row
            self.row = None
        elif tag == "p":
            self.in_message = False
        elif tag == "code":
            self.code = ""
        elif tag == "section":
            self.panel = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        elif self.in_message and self.panel is not None:
            self.panel.message += data
        elif self.code in ("identity", "namespace"):
            setattr(self.page, self.code, getattr(self.page, self.code) + data)


def read_page(page: str) -> ShownPage:
    """Parse the dashboard's HTML back into its identity, namespace and panels."""
    parser = _PageParser()
    parser.feed(page)
    parser.close()
    return parser.page


def fetch_page(url: str, timeout: float = 10) -> tuple[int, str, str]:
    """GET ``url`` with plain HTTP: (status, Content-Type, body)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (a loopback URL of ours)
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode(errors="replace")


def shown(url: str) -> ShownPage:
    """What the page at ``url`` shows now."""
    status, _, body = fetch_page(url)
    if status != 200:
        raise LabError(f"the dashboard at {url} answered {status}")
    return read_page(body)


# --- what else the identity could do -----------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """A request a read-only page never needs, and the status it got (403: refused by authorization)."""

    what: str
    status: int

    @property
    def refused(self) -> bool:
        return self.status == 403


def _status(call: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    try:
        call(*args, **kwargs)
        return 200
    except client.ApiException as error:
        return error.status


def try_requests(
    api_client: client.ApiClient, namespace: str, *, elsewhere: str, deployment: str, node: str
) -> list[Attempt]:
    """Requests beyond the page's needs, made with ``api_client``: writes as server-side dry runs (authorized
    or not, nothing is changed); lists of Secrets and of another namespace (``elsewhere``) for real."""
    core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    rbac = client.RbacAuthorizationV1Api(api_client)
    pod = {"metadata": {"name": "intruder"}, "spec": {"containers": [{"name": "c", "image": "web"}]}}
    cordon = {"spec": {"unschedulable": True}}
    admin = {
        "metadata": {"name": "dashboard-escalates"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "Group", "name": "system:authenticated", "apiGroup": "rbac.authorization.k8s.io"}],
    }
    return [
        Attempt(f"create a pod in {namespace}", _status(core.create_namespaced_pod, namespace, pod, dry_run="All")),
        Attempt(
            f"delete the Deployment {deployment} in {namespace}",
            _status(apps.delete_namespaced_deployment, deployment, namespace, dry_run="All"),
        ),
        Attempt(
            f"scale the Deployment {deployment} in {namespace}",
            _status(
                apps.patch_namespaced_deployment_scale,
                deployment,
                namespace,
                {"spec": {"replicas": 9}},
                dry_run="All",
            ),
        ),
        Attempt(f"list Secrets in {namespace}", _status(core.list_namespaced_secret, namespace)),
        Attempt(f"list Deployments in {elsewhere}", _status(apps.list_namespaced_deployment, elsewhere)),
        Attempt(f"list events in {elsewhere}", _status(core.list_namespaced_event, elsewhere)),
        Attempt(f"delete the namespace {namespace}", _status(core.delete_namespace, namespace, dry_run="All")),
        Attempt(f"cordon the node {node}", _status(core.patch_node, node, cordon, dry_run="All")),
        Attempt(
            "bind cluster-admin to every authenticated user",
            _status(rbac.create_cluster_role_binding, admin, dry_run="All"),
        ),
    ]


# --- the page in a browser ---------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ("--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run")


@dataclass(frozen=True)
class BrowserView:
    """What headless Chromium rendered: the title, each panel's state and visible text, a screenshot (PNG)."""

    title: str
    states: dict[str, str]
    texts: dict[str, str]
    screenshot: bytes


def browse(url: str, timeout: float = 60) -> BrowserView:
    """Open ``url`` in headless Chromium (Playwright) and read what it renders.

    Playwright's synchronous API refuses to run where an asyncio loop runs (a notebook's kernel), so
    the browser is driven from a thread of its own.
    """
    outcome: dict[str, Any] = {}

    def drive() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS), timeout=timeout * 1000
                )
                try:
                    page = browser.new_page(viewport={"width": 1000, "height": 700})
                    page.goto(url, timeout=timeout * 1000)
                    sections = page.locator("section")
                    keys = [sections.nth(i).get_attribute("id") or "" for i in range(sections.count())]
                    outcome["view"] = BrowserView(
                        page.title(),
                        {k: page.locator(f"#{k}").get_attribute("data-state") or "" for k in keys},
                        {k: page.locator(f"#{k}").inner_text() for k in keys},
                        page.screenshot(full_page=True),
                    )
                finally:
                    browser.close()
        except Exception as error:  # handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=drive, name="dashboard-browser", daemon=True)
    thread.start()
    thread.join(timeout + 30)
    if "error" in outcome:
        raise LabError(f"headless Chromium could not show {url}: {outcome['error']}") from outcome["error"]
    if "view" not in outcome:
        raise LabError(f"headless Chromium did not show {url} within {timeout + 30:g} s")
    return outcome["view"]
