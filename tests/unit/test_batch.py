"""Failing a Job's pods as a kubelet would report it, without a cluster."""

from __future__ import annotations

from types import SimpleNamespace

from threeplanes.functional import batch
from threeplanes.functional.batch import HOLD, fail_attempts, failed_status, held, is_held


def pod(name: str, phase: str = "Pending", gated: bool = True, created: int = 0):
    gates = [SimpleNamespace(name=HOLD)] if gated else None
    return SimpleNamespace(
        metadata=SimpleNamespace(name=name, namespace="ns", deletion_timestamp=None, creation_timestamp=created),
        spec=SimpleNamespace(scheduling_gates=gates, containers=[SimpleNamespace(name="main", image="busybox")]),
        status=SimpleNamespace(phase=phase),
    )


def test_held_adds_a_scheduling_gate_and_keeps_the_rest() -> None:
    spec = held({"restartPolicy": "Never"})
    assert spec == {"restartPolicy": "Never", "schedulingGates": [{"name": HOLD}]}
    assert is_held(pod("a")) and not is_held(pod("b", gated=False))


def test_the_failed_status_is_what_a_kubelet_writes_for_an_exit_code() -> None:
    status = failed_status(pod("a"), exit_code=3)["status"]
    assert status["phase"] == "Failed"
    (container,) = status["containerStatuses"]
    assert container["name"] == "main" and container["ready"] is False
    terminated = container["state"]["terminated"]
    assert terminated["exitCode"] == 3 and terminated["reason"] == "Error"
    assert terminated["finishedAt"].endswith("Z")


def test_fail_attempts_reports_each_held_pod_once_until_enough_have_failed(monkeypatch) -> None:
    first, second = pod("job-1", created=1), pod("job-2", created=2)
    patched: list[str] = []

    def patch_status(name, namespace, body):
        patched.append(name)
        {"job-1": first, "job-2": second}[name].status.phase = body["status"]["phase"]

    cluster = SimpleNamespace(core=SimpleNamespace(patch_namespaced_pod_status=patch_status, list_namespaced_pod=None))

    def fake_wait_for(list_fn, condition, **kwargs):
        assert kwargs["label_selector"] == f"{batch.JOB_NAME}=flaky"
        assert not condition([first]), "one failure is not two"
        assert not condition([first]), "an event for a pod already reported changes nothing"
        assert condition([first, second])
        return [second, first]

    monkeypatch.setattr(batch, "wait_for", fake_wait_for)
    pods = fail_attempts(cluster, "ns", "flaky", attempts=2)
    assert patched == ["job-1", "job-2"]
    assert [p.metadata.name for p in pods] == ["job-1", "job-2"], "oldest first"
