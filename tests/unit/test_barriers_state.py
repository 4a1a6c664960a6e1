"""Barrier 4's helpers (barriers/state.py): the journal app run in a local shell, and the objects, logs and
measurements of the lab built in memory. No cluster needed."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kubernetes import client

from threeplanes.barriers.state import (
    APP,
    JOURNAL_DIR,
    Move,
    app_pod_spec,
    claim_template,
    claims_owners_table,
    dns_watcher_pod,
    journal_container,
    journal_script,
    new_endpoint,
    owners,
    plot_move,
    starts_in,
    stateful_set,
    steady_for,
    steps_table,
    timed_dns_answers,
    unscheduled,
    volume_at,
    volume_source,
)
from threeplanes.kit.traffic import Reply

needs_sh = pytest.mark.skipif(not (shutil.which("sh") and shutil.which("hostname")), reason="needs sh and hostname")


def start_app(directory: Path) -> subprocess.Popen:
    return subprocess.Popen(
        ["sh", "-c", journal_script(str(directory))], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def wait_until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the app did not get there in time"
        time.sleep(0.05)


@needs_sh
def test_the_app_notes_each_start_and_ends_on_sigterm(tmp_path: Path) -> None:
    me = subprocess.run(["hostname"], capture_output=True, text=True, check=True).stdout.strip()
    journal = tmp_path / "journal"
    for started in (1, 2):
        app = start_app(tmp_path)
        wait_until(lambda n=started: journal.exists() and len(starts_in(journal.read_text())) == n)
        app.terminate()
        assert app.wait(timeout=5) == 0  # the trap ends it within its second of sleep
    assert starts_in(journal.read_text()) == [me, me]
    assert (tmp_path / "owner").read_text().strip() == me


@needs_sh
def test_the_app_stops_when_another_instance_writes_its_name_into_owner(tmp_path: Path) -> None:
    app = start_app(tmp_path)
    wait_until(lambda: (tmp_path / "journal").exists())
    (tmp_path / "owner").write_text("notes-other\n")
    assert app.wait(timeout=5) == 1
    assert f"notes-other took {tmp_path} over" in app.stdout.read()


def test_only_start_lines_count() -> None:
    journal = "2026-01-01T00:00:00Z notes-0 started\nnote-abc\n2026-01-01T00:01:00Z notes-0 started\n"
    assert starts_in(journal) == ["notes-0", "notes-0"]
    assert starts_in("") == []


def test_the_app_mounts_its_volume_at_the_data_path_and_runs_on_the_real_node() -> None:
    bare = journal_container("busybox")
    assert bare["name"] == APP and "volumeMounts" not in bare and bare["command"][:2] == ["sh", "-c"]
    assert journal_container("busybox", "data")["volumeMounts"] == [{"name": "data", "mountPath": JOURNAL_DIR}]
    spec = app_pod_spec("busybox", "data")
    assert spec["nodeSelector"] == {"threeplanes.io/node": "real"}
    assert spec["tolerations"][0]["key"] == "threeplanes.io/real-node"
    assert spec["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_a_statefulset_gets_a_claim_per_pod() -> None:
    template = claim_template("fast", "2Gi")
    made = stateful_set("db", {"containers": []}, template, replicas=3, parallel=True)
    assert made["spec"]["volumeClaimTemplates"] == [template]
    assert template["spec"]["storageClassName"] == "fast"
    assert template["spec"]["resources"]["requests"]["storage"] == "2Gi"
    assert made["spec"]["podManagementPolicy"] == "Parallel" and made["spec"]["serviceName"] == "db"
    assert made["spec"]["selector"]["matchLabels"] == made["spec"]["template"]["metadata"]["labels"] == {"app": "db"}
    assert "podManagementPolicy" not in stateful_set("db", {}, template)["spec"]


def pod(mounts: list[tuple[str, str]], volumes: list[client.V1Volume], node: str | None = None) -> client.V1Pod:
    container = client.V1Container(
        name=APP, volume_mounts=[client.V1VolumeMount(name=n, mount_path=p) for n, p in mounts]
    )
    spec = client.V1PodSpec(containers=[container], volumes=volumes, node_name=node)
    return client.V1Pod(metadata=client.V1ObjectMeta(name="notes-0"), spec=spec)


CLAIM = client.V1Volume(name="data", persistent_volume_claim=client.V1PersistentVolumeClaimVolumeSource("data"))
SCRATCH = client.V1Volume(name="scratch", empty_dir=client.V1EmptyDirVolumeSource())
HOST = client.V1Volume(name="host", host_path=client.V1HostPathVolumeSource(path="/srv/notes"))


def test_the_volume_holding_the_data_path_is_the_deepest_mount_above_it() -> None:
    assert volume_at(pod([("data", "/data")], [CLAIM])) is None
    assert volume_at(pod([("data", "/var/lib/notes-old")], [CLAIM])) is None  # a prefix is not a parent
    volume, path = volume_at(pod([("scratch", "/var/lib"), ("data", "/var/lib/notes/")], [CLAIM, SCRATCH]))
    assert (volume.name, path) == ("data", "/var/lib/notes/")
    volume, path = volume_at(pod([("scratch", "/var")], [SCRATCH]))
    assert (volume_source(volume), path) == ("emptyDir", "/var")
    assert volume_source(CLAIM) == "persistentVolumeClaim data"
    assert volume_source(HOST) == "hostPath /srv/notes"


def test_unscheduled_means_no_live_pod_has_a_node() -> None:
    assert unscheduled([pod([], []), pod([], [])])
    assert not unscheduled([pod([], []), pod([], [], node="b")])


def test_claims_show_their_owners() -> None:
    refs = [client.V1OwnerReference(api_version="apps/v1", kind="StatefulSet", name="notes", uid="u")]
    owned = client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name="data-notes-0", owner_references=refs),
        spec=client.V1PersistentVolumeClaimSpec(volume_name="disk-0"),
        status=client.V1PersistentVolumeClaimStatus(phase="Bound"),
    )
    free = client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name="data-notes-1"),
        spec=client.V1PersistentVolumeClaimSpec(volume_name="disk-1"),
        status=client.V1PersistentVolumeClaimStatus(phase="Bound"),
    )
    assert owners(owned) == "StatefulSet/notes" and owners(free) == "-"
    assert claims_owners_table([free, owned]).column("OWNERS") == ["StatefulSet/notes", "-"]


FAKE_NSLOOKUP = """nslookup() {
  case "$1" in
    ok.*) printf 'Server: 10.0.0.10\\nAddress: 10.0.0.10:53\\n\\nName: ok.x\\nAddress: 10.244.0.9\\n'
          printf 'Name: ok.x\\nAddress: 10.244.0.7\\n';;
    nx.*) printf 'Server: 10.0.0.10\\nAddress: 10.0.0.10:53\\n\\n** server cannot find nx.x: NXDOMAIN\\n'; return 1;;
    *) echo ';; connection timed out; no servers could be reached'; return 1;;
  esac
}
"""


@needs_sh
def test_the_dns_watcher_logs_the_addresses_or_why_there_are_none() -> None:
    body = dns_watcher_pod("dns", ["ok.x", "nx.x", "slow.x"], "busybox", interval=0.2)
    script = body["spec"]["containers"][0]["command"][2]
    assert script.startswith("while true; do ") and script.endswith("; sleep 0.2; done")
    assert body["spec"]["nodeSelector"] == {"threeplanes.io/node": "real"}
    once = script.removeprefix("while true; do ").removesuffix("; sleep 0.2; done")
    out = subprocess.run(["sh", "-c", FAKE_NSLOOKUP + once], capture_output=True, text=True, check=True).stdout
    stamped = "".join(f"2026-12-07T18:53:54.426162000Z {line}\n" for line in out.splitlines())
    ok, nx, slow = timed_dns_answers(stamped + "2026-12-07T18:53:55.2Z something else\n")
    assert (ok.name, ok.addresses, ok.error, ok.failed) == ("ok.x", ("10.244.0.7", "10.244.0.9"), "", False)
    assert (nx.addresses, nx.error, nx.failed) == ((), "NXDOMAIN", False)  # an answer: no such record
    assert (slow.addresses, slow.error, slow.failed) == ((), "timed out", True)  # no answer at all
    assert ok.at == datetime(2026, 12, 7, 18, 53, 54, 426162, tzinfo=UTC)


def endpoint(uid: str, ready: bool) -> client.V1Endpoint:
    return client.V1Endpoint(
        addresses=[f"10.0.0.{len(uid)}"],
        conditions=client.V1EndpointConditions(ready=ready),
        target_ref=client.V1ObjectReference(kind="Pod", name=f"web-{uid}", uid=uid),
    )


def test_the_new_endpoint_is_a_ready_one_of_another_pod() -> None:
    old, starting, new = endpoint("old", True), endpoint("new", False), endpoint("newer", True)
    slices = [client.V1EndpointSlice(address_type="IPv4", endpoints=[old, starting])]
    assert new_endpoint(slices, "old") is None
    slices.append(client.V1EndpointSlice(address_type="IPv4", endpoints=[new]))
    assert new_endpoint(slices, "old") is new


AT = datetime(2026, 1, 1, tzinfo=UTC)


def after(seconds: float) -> datetime:
    return AT + timedelta(seconds=seconds)


def a_move() -> Move:
    replies = [Reply(after(-0.5), "web-a"), Reply(after(0.2), "web-a"), Reply(after(0.5), "")]
    replies += [Reply(after(2.5), ""), Reply(after(3.1), "web-b"), Reply(after(3.2), "web-b")]
    answers = timed_dns_answers(
        "\n".join(
            f"{after(s).isoformat()} dns {name} {' '.join(ips)}"
            for s, name, ips in [
                (-0.2, "web", ["10.0.0.1"]),
                (-0.1, "headless", ["10.244.0.5"]),
                (0.3, "headless", ["10.244.0.5"]),
                (1.0, "web", ["10.0.0.1"]),
                (1.1, "headless", []),
                (4.0, "web", ["10.0.0.1"]),
                (4.1, "headless", ["10.244.0.7"]),
            ]
        )
    )
    return Move(AT, "web-a", "web-b", "10.244.0.5", "10.244.0.7", after(2.9), replies, answers)


def test_a_move_is_measured_from_the_deletion() -> None:
    move = a_move()
    assert move.seconds(move.first_new_reply) == pytest.approx(3.1)
    assert move.seconds(move.last_old_reply) == pytest.approx(0.2)
    assert move.gap == pytest.approx(2.9) and move.unanswered == 2
    assert move.addresses_of("web") == {("10.0.0.1",)}
    assert move.addresses_of("headless") == {("10.244.0.5",), (), ("10.244.0.7",)}
    assert move.seconds(move.first_answer("headless", ("10.244.0.7",))) == pytest.approx(4.1)
    steps = dict(move.steps("headless"))
    assert steps["EndpointSlice lists the new pod (ready)"] == pytest.approx(2.9)
    assert steps["headless name resolves to the new pod"] == pytest.approx(4.1)
    assert steps["headless name last resolves to the old pod"] == pytest.approx(0.3)
    assert steps_table(move.steps("headless")).column("SECONDS AFTER THE DELETION")[0] == "0.20"


def test_a_move_that_never_reached_the_new_pod_says_so() -> None:
    move = a_move()
    move.replies = [r for r in move.replies if r.pod != "web-b"]
    assert move.first_new_reply is None and move.gap is None
    assert steps_table(move.steps("headless")).column("SECONDS AFTER THE DELETION")[3] == "not seen"


def test_the_move_is_drawn() -> None:
    figure = plot_move(a_move(), "web", "headless", "measured in memory")
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["DNS headless", "GET http://web/"]
    assert axes.get_title() == "measured in memory"


def test_an_answer_is_steady_for_as_long_as_it_has_not_changed() -> None:
    answers = a_move().answers
    assert steady_for(answers, "web", ("10.0.0.1",)) == pytest.approx(4.2)
    assert steady_for(answers, "headless", ("10.244.0.7",)) == 0.0
    assert steady_for(answers, "headless", ("10.244.0.5",)) == -1.0  # not the latest answer
