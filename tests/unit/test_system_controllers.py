"""The controller manager's helpers, with no cluster: durations, the log's skipped controllers, Event reporters,
a CRD's shape and the patched copies the s4-controller exercise's wrong answers are made of."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from threeplanes.errors import LabError
from threeplanes.system.controllers import crd, lines_about, reporters, seconds, skipped_controllers

LOG = """\
I1207 07:56:09.897600   29930 controllermanager.go:641] "Warning: skipping controller" controller="node-ipam-controller"
I1207 07:56:09.947195 29930 controllermanager.go:689] "Warning: controller is disabled" controller="ttl-controller"
I1207 07:56:09.977487   29930 replica_set.go:285] "Starting controller" name="replicaset"
I1207 08:02:54.620963    9618 replica_set.go:668] "Too few replicas" replicaSet="demo/web-676b7bfcc8" need=2 creating=2
"""


@pytest.mark.parametrize(("flag", "expected"), [("15s", 15), ("1m30s", 90), ("500ms", 0.5), ("2h", 7200)])
def test_durations_read_as_go_writes_them(flag: str, expected: float) -> None:
    assert seconds(flag) == expected


@pytest.mark.parametrize("flag", ["15", "", "1 m", "15sec"])
def test_a_value_that_is_no_duration_is_said_so(flag: str) -> None:
    with pytest.raises(LabError, match="is not a duration"):
        seconds(flag)


def test_the_log_names_the_controllers_left_out_and_why() -> None:
    assert skipped_controllers(LOG) == {
        "node-ipam-controller": "skipping controller",
        "ttl-controller": "controller is disabled",
    }


def test_lines_about_an_object_keep_what_follows_the_source_location() -> None:
    assert lines_about(LOG, '="demo/web') == ['"Too few replicas" replicaSet="demo/web-676b7bfcc8" need=2 creating=2']


def test_an_events_reporter_is_its_reporting_component_else_its_source() -> None:
    def event(kind: str, reason: str, reporting: str | None, source: str | None) -> SimpleNamespace:
        return SimpleNamespace(
            involved_object=SimpleNamespace(kind=kind),
            reason=reason,
            reporting_component=reporting,
            source=SimpleNamespace(component=source),
        )

    found = reporters([event("Job", "Completed", "job-controller", None), event("Node", "Registered", "", "node")])
    assert found == {("Job", "Completed"): "job-controller", ("Node", "Registered"): "node"}


def test_a_crd_is_namespaced_with_a_status_subresource_and_required_spec_fields() -> None:
    made = crd("example.io", "Greeting", spec={"message": {"type": "string"}}, status={"ready": {"type": "integer"}})
    assert made["metadata"]["name"] == "greetings.example.io"
    assert made["spec"]["scope"] == "Namespaced"
    (version,) = made["spec"]["versions"]
    assert version["subresources"] == {"status": {}}
    assert version["schema"]["openAPIV3Schema"]["properties"]["spec"]["required"] == ["message"]
