"""The lab S1's helpers that need no cluster: resourceVersion order, the audit log, discovery rows, APF names."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import yaml
from kubernetes import client

from threeplanes.errors import LabError
from threeplanes.system.apiserver import (
    AUDIT_POLICY,
    NotAResourceVersion,
    ServedResource,
    compare_resource_versions,
    discovery_table,
    flow_control_names,
    read_audit_log,
    recording,
    wait_for_audit_events,
)


@pytest.mark.parametrize(
    ("a", "b", "order"),
    [("5", "5", 0), ("9", "10", -1), ("10", "9", 1), ("123", "124", -1), ("1000", "999", 1)],
)
def test_resource_versions_compare_as_integers_of_any_length(a: str, b: str, order: int) -> None:
    assert compare_resource_versions(a, b) == order


@pytest.mark.parametrize("bad", ["", "0", "012", "12a", "-3", " 7"])
def test_what_is_not_a_resource_version_is_refused_by_name(bad: str) -> None:
    with pytest.raises(NotAResourceVersion, match="not a comparable resourceVersion"):
        compare_resource_versions("1", bad)


def event(audit_id: str, stage: str = "ResponseComplete", **extra: object) -> dict:
    return {
        "auditID": audit_id,
        "stage": stage,
        "level": "Metadata",
        "verb": "list",
        "requestURI": "/api/v1/pods",
        "user": {"username": "someone"},
        "responseStatus": {"code": 200},
        **extra,
    }


def test_the_audit_log_is_read_line_by_line_and_a_half_written_line_is_skipped(tmp_path) -> None:
    log = tmp_path / "audit.log"
    lines = [json.dumps(event("a")), json.dumps(event("b", level="RequestResponse", requestObject={}))]
    log.write_text("\n".join(lines) + '\n{"auditID": "c", "sta')
    found = read_audit_log(log)
    assert [(e.audit_id, e.user, e.code) for e in found] == [("a", "someone", 200), ("b", "someone", 200)]
    assert [e.has_bodies for e in found] == [False, True]
    assert read_audit_log(tmp_path / "none.log") == []


def test_waiting_for_audit_events_keeps_the_completed_stage_and_names_what_is_missing(tmp_path) -> None:
    log = tmp_path / "audit.log"
    log.write_text(json.dumps(event("a", stage="ResponseStarted")) + "\n" + json.dumps(event("a")) + "\n")
    assert wait_for_audit_events(log, ["a"], timeout=1)["a"].stage == "ResponseComplete"
    with pytest.raises(LabError, match=r"missing \['b'\]"):
        wait_for_audit_events(log, ["a", "b"], timeout=0.5)


def test_the_audit_policy_is_yaml_with_rules_in_order() -> None:
    policy = yaml.safe_load(AUDIT_POLICY)
    assert [r["level"] for r in policy["rules"]] == ["RequestResponse", "Metadata", "None"]


def test_discovery_rows_count_resources_and_subresources_per_group_version() -> None:
    served = [
        ServedResource("apps/v1", "deployments", "Deployment", True, ("get",)),
        ServedResource("apps/v1", "deployments/scale", "Scale", True, ("get",)),
        ServedResource("v1", "pods", "Pod", True, ("get",)),
    ]
    shown = discovery_table(served)
    assert shown.column("GROUP/VERSION") == ["v1", "apps/v1"]
    assert shown.column("RESOURCES") == ["1", "1"] and shown.column("SUBRESOURCES") == ["0", "1"]
    assert served[1].group == "apps" and served[2].group == "" and served[1].is_subresource


def named(name: str, uid: str) -> SimpleNamespace:
    return SimpleNamespace(metadata=SimpleNamespace(name=name, uid=uid))


def test_flow_control_headers_are_named_whatever_their_case() -> None:
    headers = {"X-Kubernetes-Pf-Flowschema-Uid": "1", "X-Kubernetes-Pf-Prioritylevel-Uid": "2"}
    assert flow_control_names(headers, [named("exempt", "1")], [named("exempt-level", "2")]) == (
        "exempt",
        "exempt-level",
    )
    with pytest.raises(LabError, match="no X-Kubernetes-PF-FlowSchema-UID"):
        flow_control_names({}, [], [])


def test_recording_keeps_replies_and_refusals_then_lets_go() -> None:
    api = client.ApiClient(client.Configuration())
    rest = api.rest_client

    def answer(method, url, query_params=None, *args, **kwargs):
        if method == "PUT":
            refusal = client.ApiException(status=409, reason="Conflict")
            refusal.headers = {"Audit-Id": "x"}
            raise refusal
        return SimpleNamespace(status=200, getheaders=lambda: {"Audit-Id": "y"})

    rest.request = answer
    with recording(api) as sent:
        rest.request("GET", "https://h/api/v1/pods", [("limit", 1)])
        with pytest.raises(client.ApiException):
            rest.request("PUT", "https://h/api/v1/namespaces/n/configmaps/c")
    assert [(s.method, s.target, s.status, s.headers["Audit-Id"]) for s in sent] == [
        ("GET", "/api/v1/pods?limit=1", 200, "y"),
        ("PUT", "/api/v1/namespaces/n/configmaps/c", 409, "x"),
    ]
    assert rest.request is answer  # the wrapper is gone
