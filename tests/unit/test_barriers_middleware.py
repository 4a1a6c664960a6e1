"""The A5 lab's helpers, with no cluster: the etcd image's archive, the members' manifests, etcd's log and
etcdctl's answers read, the budgets' arithmetic, and a drain's outcome judged from its records."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from threeplanes.barriers import middleware
from threeplanes.kit.control_plane import ImageFile, NodeImage, oci_archive
from threeplanes.kit.labels import selector_matches
from threeplanes.kit.timeline import Timeline
from threeplanes.versions import pinned


def members(pod: dict) -> dict:
    return pod["spec"]["template"]["spec"]


def test_the_image_has_the_name_registry_k8s_io_gives_the_pinned_etcd() -> None:
    assert middleware.etcd_image() == f"registry.k8s.io/etcd:{pinned().etcd}-0"


def test_the_archive_is_an_oci_layout_naming_the_image_and_holding_its_layer(tmp_path: Path) -> None:
    binary = tmp_path / "etcd"
    binary.write_bytes(b"\x7fELF etcd")
    shell = (ImageFile("bin"), ImageFile("tmp", mode=0o1777), ImageFile("bin/busybox", source=binary))
    shell += (ImageFile("bin/sh", link="busybox"),)
    files = middleware.etcd_image_files(binary, binary, shell)
    image = NodeImage("registry.k8s.io/etcd:3.6.8-0", files, entrypoint=("/usr/local/bin/etcd",))
    archive = tarfile.open(fileobj=io.BytesIO(oci_archive(image)))
    index = json.loads(archive.extractfile("index.json").read())
    (entry,) = index["manifests"]
    assert entry["annotations"]["io.containerd.image.name"] == "registry.k8s.io/etcd:3.6.8-0"
    manifest = json.loads(archive.extractfile(f"blobs/sha256/{entry['digest'].split(':')[1]}").read())
    (blob,) = manifest["layers"]
    inside = tarfile.open(fileobj=archive.extractfile(f"blobs/sha256/{blob['digest'].split(':')[1]}"))
    names = set(inside.getnames())
    assert {"usr/local/bin/etcd", "usr/local/bin/etcdctl", "bin/busybox", "bin/sh", "tmp", "var/lib"} <= names
    assert inside.getmember("bin/sh").linkname == "busybox"
    assert oci_archive(image) == oci_archive(image), "the same files give the same archive, so the same digest"


def test_each_member_is_named_after_its_pod_and_finds_the_others_by_their_stable_names() -> None:
    container = middleware.etcd_container("etcd:x")
    args = dict(a.removeprefix("--").split("=", 1) for a in container["args"])
    assert args["name"] == "$(POD_NAME)"
    domain = "etcd.$(POD_NAMESPACE).svc.cluster.local"
    assert args["initial-cluster"] == ",".join(f"etcd-{i}=http://etcd-{i}.{domain}:2380" for i in range(3))
    assert args["initial-advertise-peer-urls"] == f"http://$(POD_NAME).{domain}:2380"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_the_service_is_headless_and_publishes_members_before_they_are_ready() -> None:
    spec = middleware.members_service()["spec"]
    assert spec["clusterIP"] == "None" and spec["publishNotReadyAddresses"] is True


def test_members_keep_data_in_claims_or_in_a_folder_of_the_node_per_pod() -> None:
    with_claims = middleware.etcd_statefulset("etcd:x")
    assert with_claims["spec"]["podManagementPolicy"] == "Parallel"
    assert with_claims["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    on_host = middleware.etcd_statefulset("etcd:x", "/tmp/threeplanes/ns")
    assert "volumeClaimTemplates" not in on_host["spec"]
    assert members(on_host)["volumes"][0]["hostPath"]["path"] == "/tmp/threeplanes/ns"
    assert members(on_host)["containers"][0]["volumeMounts"][0]["subPathExpr"] == "$(POD)"
    assert members(on_host)["tolerations"], "the members go to the real node"


def test_a_members_volume_is_reserved_for_its_claim_on_one_node() -> None:
    volume = middleware.data_volume("ns", "etcd-1", {"a": "b"}, "real-worker")
    assert volume["spec"]["claimRef"] == {"namespace": "ns", "name": "data-etcd-1"}
    assert volume["spec"]["hostPath"]["path"] == "/tmp/threeplanes/ns/etcd-1"
    term = volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]
    assert term["matchExpressions"][0]["values"] == ["real-worker"]


def test_the_janitor_removes_the_namespaces_folder_when_it_is_stopped() -> None:
    pod = middleware.janitor_pod("ns", "etcd:x")
    script = pod["spec"]["containers"][0]["command"][2]
    assert script.startswith("trap 'rm -rf /host/ns; exit 0' TERM")


def test_etcds_start_line_says_whether_it_resumed_from_its_disk() -> None:
    log = "\n".join(
        [
            "not json",
            json.dumps({"msg": "opened backend db"}),
            json.dumps({"msg": "restarting local member", "local-member-id": "a1", "commit-index": 11}),
        ]
    )
    assert middleware.start_record(log) == {
        "msg": "restarting local member",
        "local-member-id": "a1",
        "commit-index": 11,
    }
    assert middleware.start_record(json.dumps({"msg": "starting local member"}))["msg"] == "starting local member"
    assert middleware.start_record("") is None


def test_leader_changes_are_read_from_rafts_own_lines() -> None:
    log = "\n".join(
        json.dumps({"ts": ts, "msg": msg})
        for ts, msg in [
            ("2026-01-01T10:00:00.5Z", "raft.node: a elected leader b at term 2"),
            ("2026-01-01T10:00:09.25Z", "raft.node: a changed leader from b to c at term 3"),
            ("2026-01-01T10:00:10Z", "raft.node: a lost leader c at term 3"),
        ]
    )
    changes = middleware.leader_changes(log)
    assert [(leader, term) for _, leader, term in changes] == [("b", 2), ("c", 3)]
    assert changes[1][0].timestamp() - changes[0][0].timestamp() == pytest.approx(8.75)


def test_the_leader_is_the_member_every_member_follows() -> None:
    status = {"etcd-0": {"id": "a", "leader": "b"}, "etcd-1": {"id": "b", "leader": "b"}}
    assert middleware.followed_leader(status) == "etcd-1"
    assert middleware.followed_leader({**status, "etcd-2": {"id": "c", "leader": "c"}}) is None
    assert middleware.member_of_url("http://etcd-2.etcd.ns.svc.cluster.local:2379") == "etcd-2"


def selector(labels: dict | None = None, expressions: list | None = None) -> SimpleNamespace:
    return SimpleNamespace(match_labels=labels, match_expressions=expressions)


def expression(key: str, operator: str, values: list | None = None) -> SimpleNamespace:
    return SimpleNamespace(key=key, operator=operator, values=values)


def test_a_budgets_selector_is_matched_as_the_api_server_matches_it() -> None:
    labels = {"app": "etcd"}
    assert selector_matches(selector({"app": "etcd"}), labels)
    assert not selector_matches(selector({"app": "etcd-cluster"}), labels)
    assert selector_matches(selector(expressions=[expression("app", "In", ["etcd", "x"])]), labels)
    assert not selector_matches(selector(expressions=[expression("app", "NotIn", ["etcd"])]), labels)
    assert selector_matches(selector(expressions=[expression("tier", "DoesNotExist")]), labels)
    assert selector_matches(selector(), labels), "an empty selector selects every pod of the namespace"
    assert not selector_matches(None, labels)


def budget(min_available=None, max_unavailable=None) -> SimpleNamespace:
    return SimpleNamespace(spec=SimpleNamespace(min_available=min_available, max_unavailable=max_unavailable))


@pytest.mark.parametrize(
    ("min_available", "max_unavailable", "lets_go"),
    [
        (2, None, 1),
        (1, None, 2),
        (3, None, 0),
        ("60%", None, 1),  # 1.8, rounded up to 2
        ("50%", None, 1),  # 1.5, rounded up to 2
        (None, 1, 1),
        (None, "50%", 2),  # 1.5 away, rounded up to 2: no quorum left
        (None, 2, 2),
    ],
)
def test_a_budget_lets_members_go_as_the_disruption_controller_rounds(min_available, max_unavailable, lets_go) -> None:
    assert middleware.members_it_lets_go(budget(min_available, max_unavailable)) == lets_go


def test_a_refusal_is_read_with_its_cause() -> None:
    body = json.dumps(
        {
            "message": "Cannot evict pod as it would violate the pod's disruption budget.",
            "details": {"causes": [{"message": "The disruption budget etcd needs 2 healthy pods and has 2 currently"}]},
        }
    )
    assert middleware.refusal_cause(body).endswith("needs 2 healthy pods and has 2 currently")
    assert middleware.refusal_cause("not json") == ""


def test_the_writers_lines_give_the_longest_silence() -> None:
    log = "10.0 10.1 ok\n10.3 12.3 fail\n12.5 12.6 fail\n13.0 13.1 ok\n13.3 13.4 o"
    writes = middleware.writes_in(log)
    assert [w.ok for w in writes] == [True, False, False, True]
    assert middleware.longest_silence(writes, 10.0, 14.0) == pytest.approx(3.0)
    assert middleware.longest_silence([], 10.0, 14.0) == pytest.approx(4.0)


def pod(name: str, ready: bool, deleting: bool = False) -> SimpleNamespace:
    condition = SimpleNamespace(type="Ready", status="True" if ready else "False")
    return SimpleNamespace(
        metadata=SimpleNamespace(name=name, deletion_timestamp="now" if deleting else None),
        status=SimpleNamespace(conditions=[condition]),
    )


def test_a_member_counts_as_ready_only_when_live_and_ready() -> None:
    counts = middleware.ready_members([pod("etcd-0", True), pod("etcd-1", True, deleting=True), pod("etcd-2", False)])
    assert counts == {"etcd-0": 1, "etcd-1": 0, "etcd-2": 0, "ready": 1}


def test_ready_spans_join_the_stretches_a_member_was_ready() -> None:
    assert middleware.ready_spans([0.0, 1.0, 2.0, 5.0], [1, 1, 0, 1], 8.0) == [(0.0, 2.0), (5.0, 3.0)]


def drain_with(samples: list[tuple[float, int]], attempts: list[middleware.EvictionAttempt]) -> middleware.Drain:
    timeline = Timeline(start=0.0)
    for at, ready in samples:
        timeline.record({"ready": ready}, at=at)
    return middleware.Drain(SimpleNamespace(timeline=timeline), attempts=attempts)


def test_a_drain_knows_which_refusals_came_while_a_member_was_away() -> None:
    attempts = [
        middleware.EvictionAttempt("etcd-0", 0.5, 201),
        middleware.EvictionAttempt("etcd-1", 0.6, 429),
        middleware.EvictionAttempt("etcd-1", 9.0, 201),
    ]
    drain = drain_with([(0.0, 3), (0.5, 2), (8.0, 3), (9.0, 2), (17.0, 3)], attempts)
    assert drain.evicted == ["etcd-0", "etcd-1"]
    assert [a.at for a in drain.refused_while_away] == [0.6]
    assert drain.fewest_ready == 2
    everyone_at_once = drain_with(
        [(0.0, 3), (0.2, 0)], [middleware.EvictionAttempt(m, 0.1, 201) for m in ("a", "b", "c")]
    )
    assert everyone_at_once.refused_while_away == [] and everyone_at_once.fewest_ready == 0


def test_a_drain_stops_only_when_the_budget_counts_every_member_healthy_and_still_refuses() -> None:
    assert middleware.never_allowed("The disruption budget etcd needs 3 healthy pods and has 3 currently")
    assert not middleware.never_allowed("The disruption budget etcd needs 2 healthy pods and has 2 currently")
    assert not middleware.never_allowed("The disruption budget etcd is still being processed by the server.")
