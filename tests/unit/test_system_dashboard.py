"""Unit tests of threeplanes.system.dashboard: the page as rendered from the panels' caches, and read back."""

from __future__ import annotations

import base64
import datetime
from types import SimpleNamespace as Obj

from kubernetes import client

from threeplanes.system import dashboard

NOW = datetime.datetime.now(datetime.UTC)


def meta(name: str, uid: str | None = None, **extra) -> Obj:
    return Obj(name=name, uid=uid or name, labels=extra.pop("labels", {}), creation_timestamp=NOW, **extra)


def node(name: str, ready: str = "True") -> Obj:
    return Obj(
        metadata=meta(name, labels={"topology.kubernetes.io/zone": "zone-a"}),
        spec=Obj(unschedulable=None),
        status=Obj(conditions=[Obj(type="Ready", status=ready)], node_info=Obj(kubelet_version="v1.36.4")),
    )


def deployment(name: str, replicas: int, ready: int | None) -> Obj:
    status = Obj(ready_replicas=ready, updated_replicas=ready, available_replicas=ready)
    return Obj(metadata=meta(name), spec=Obj(replicas=replicas), status=status)


def event(name: str, reason: str, seconds_ago: int, message: str = "m") -> Obj:
    return Obj(
        metadata=meta(name),
        last_timestamp=NOW - datetime.timedelta(seconds=seconds_ago),
        event_time=None,
        type="Normal",
        reason=reason,
        involved_object=Obj(kind="Deployment", name="web"),
        message=message,
    )


def board(secrets: bool = False) -> dashboard.Dashboard:
    """A dashboard whose panels are filled by hand: no thread started, no request sent."""
    return dashboard.Dashboard(client.ApiClient(), "shop", secrets=secrets)


def fill(panel: dashboard.Panel, objects: list, state: str = "live", message: str = "") -> None:
    panel.objects = {o.metadata.uid: o for o in objects}
    panel.state, panel.message = state, message


def test_the_page_reads_back_as_it_was_rendered():
    page = board()
    nodes, deployments, events = page.panels
    fill(nodes, [node("b"), node("a", ready="False")])
    fill(deployments, [deployment("web", 3, None)], state="stale", message="watch deployments in shop: 403")
    fill(events, [event("e1", "Old", 60), event("e2", "New", 1, message="<script>alert(1)</script>")])
    page.identity = "system:serviceaccount:shop:dashboard"
    html = page.page()
    assert "<script>alert" not in html  # every cell is escaped
    shown = dashboard.read_page(html)
    assert shown.identity == "system:serviceaccount:shop:dashboard" and shown.namespace == "shop"
    assert shown.states() == {"nodes": "live", "deployments": "stale", "events": "live"}
    assert shown.panels["nodes"].rows == [["a", "NotReady", "v1.36.4", "zone-a"], ["b", "Ready", "v1.36.4", "zone-a"]]
    assert shown.panels["deployments"].row("web") == {
        "NAME": "web",
        "READY": "0/3",
        "UP-TO-DATE": "0",
        "AVAILABLE": "0",
    }
    assert shown.panels["deployments"].message == "watch deployments in shop: 403"
    assert shown.panels["events"].column("REASON") == ["New", "Old"]  # newest first
    assert shown.panels["events"].column("MESSAGE")[0] == "<script>alert(1)</script>"


def test_only_the_most_recent_events_are_shown():
    page = board()
    fill(page.panels[2], [event(f"e{i}", f"R{i}", i) for i in range(dashboard.RECENT_EVENTS + 5)])
    rows = dashboard.read_page(page.page()).panels["events"].rows
    assert len(rows) == dashboard.RECENT_EVENTS and rows[0][2] == "R0"


def test_the_secrets_panel_shows_values_that_read_back():
    page = board(secrets=True)
    data = {"token": "a.b.c", "ca.crt": "-----BEGIN-----\nx=\n"}
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    fill(page.panels[3], [Obj(metadata=meta("admin-user"), type="kubernetes.io/service-account-token", data=encoded)])
    cell = dashboard.read_page(page.page()).panels["secrets"].row("admin-user")["DATA"]
    assert dashboard.secret_values(cell) == data
    assert "secrets" not in dashboard.read_page(board().page()).panels


def test_read_only_rules_name_each_kind_of_the_page_with_the_read_verbs():
    rules = dashboard.read_only_rules()
    granted = {(g, r) for rule in rules for g in rule["apiGroups"] for r in rule["resources"]}
    assert granted == {("", "nodes"), ("apps", "deployments"), ("", "events")}
    assert all(rule["verbs"] == ["get", "list", "watch"] for rule in rules)


def test_an_attempt_is_refused_only_by_a_403():
    assert dashboard.Attempt("x", 403).refused
    assert not dashboard.Attempt("x", 404).refused  # authorized: the object was looked for
    assert not dashboard.Attempt("x", 200).refused
