"""The score helpers (compose.py), on objects made in memory: no cluster needed."""

from __future__ import annotations

import graphviz
from kubernetes import client

from threeplanes.functional.compose import (
    ROLES,
    Evidence,
    Observed,
    add_score_objects,
    configmaps_read,
    cron_field,
    daily_times,
    evidence,
    images_in,
    owners_table,
    promises_table,
    reported,
    reporter,
    score_documents,
    score_table,
)
from threeplanes.kit.events import events_table

SCORE = """
apiVersion: v1
kind: ConfigMap
metadata: {name: greeting}
data: {GREETING: hello}
---
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: run, image: busybox:1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers: [{name: web, image: agnhost:2}]
"""


def test_score_documents_skip_empty_documents_and_keep_order() -> None:
    documents = score_documents(SCORE)
    assert [d["kind"] for d in documents] == ["ConfigMap", "CronJob", "Deployment"]
    assert score_table(documents).column("NAME") == ["greeting", "nightly", "web"]
    assert images_in(documents) == {"busybox:1", "agnhost:2"}


def event(kind, name, reason, component=None, source=None):
    return client.CoreV1Event(
        metadata=client.V1ObjectMeta(name=f"{name}.1"),
        involved_object=client.V1ObjectReference(kind=kind, name=name),
        reason=reason,
        message=f"{reason} happened",
        reporting_component=component,
        source=client.V1EventSource(component=source) if source else None,
    )


def test_reporter_prefers_reporting_component_then_source() -> None:
    assert reporter(event("Pod", "a", "Scheduled", component="default-scheduler")) == "default-scheduler"
    assert reporter(event("Job", "j", "Completed", source="job-controller")) == "job-controller"
    assert reporter(event("Job", "j", "Completed")) == "?"
    rows = events_table([event("Job", "j", "Completed", source="job-controller")]).rows
    assert rows == [["", "job-controller", "Job/j", "Completed", "Completed happened"]]


def pod_spec(**container):
    return client.V1PodSpec(containers=[client.V1Container(name="c", **container)])


def test_configmaps_read_through_env_env_from_and_volumes() -> None:
    by_env = pod_spec(
        env=[
            client.V1EnvVar(name="A", value="literal"),
            client.V1EnvVar(
                name="B",
                value_from=client.V1EnvVarSource(config_map_key_ref=client.V1ConfigMapKeySelector(name="one", key="k")),
            ),
        ]
    )
    assert configmaps_read(by_env) == {"one"}
    by_env_from = pod_spec(env_from=[client.V1EnvFromSource(config_map_ref=client.V1ConfigMapEnvSource(name="two"))])
    assert configmaps_read(by_env_from) == {"two"}
    by_volume = pod_spec()
    by_volume.volumes = [
        client.V1Volume(name="v", config_map=client.V1ConfigMapVolumeSource(name="three")),
        client.V1Volume(
            name="p",
            projected=client.V1ProjectedVolumeSource(
                sources=[client.V1VolumeProjection(config_map=client.V1ConfigMapProjection(name="four"))]
            ),
        ),
        client.V1Volume(name="e", empty_dir=client.V1EmptyDirVolumeSource()),
    ]
    assert configmaps_read(by_volume) == {"three", "four"}
    assert configmaps_read(pod_spec(env=[client.V1EnvVar(name="A", value="x")])) == set()


def meta(name, owner=None, labels=None):
    refs = (
        [client.V1OwnerReference(api_version="v1", kind=owner[0], name=owner[1], uid="u", controller=True)]
        if owner
        else None
    )
    return client.V1ObjectMeta(name=name, owner_references=refs, labels=labels)


def test_owners_table_names_the_controlling_owner() -> None:
    rs = client.V1ReplicaSet(metadata=meta("web-1", owner=("Deployment", "web")))
    deployment = client.V1Deployment(metadata=meta("web"))
    rows = owners_table([("Deployment", deployment), ("ReplicaSet", rs)]).rows
    assert rows[0][:2] == ["Deployment/web", "(nobody: you wrote it)"]
    assert rows[1][:2] == ["ReplicaSet/web-1", "Deployment/web"]


def test_score_objects_are_added_inside_the_namespace_with_their_edges() -> None:
    graph = graphviz.Digraph()
    with graph.subgraph(name="cluster_namespace") as ns:
        ns.node("Deployment/web")
    configmap = client.V1ConfigMap(metadata=meta("greeting"))
    hpa = client.V2HorizontalPodAutoscaler(
        metadata=meta("web"),
        spec=client.V2HorizontalPodAutoscalerSpec(
            max_replicas=3,
            scale_target_ref=client.V2CrossVersionObjectReference(kind="Deployment", name="web", api_version="apps/v1"),
        ),
    )
    reader = client.V1Pod(
        metadata=meta("web-1-a"),
        spec=pod_spec(env_from=[client.V1EnvFromSource(config_map_ref=client.V1ConfigMapEnvSource(name="greeting"))]),
    )
    other = client.V1Pod(metadata=meta("job-a"), spec=pod_spec())
    source = add_score_objects(graph, [configmap], [hpa], [reader, other]).source
    assert '"HorizontalPodAutoscaler/web" -> "Deployment/web"' in source
    assert '"Pod/web-1-a" -> "ConfigMap/greeting"' in source
    assert '"Pod/job-a" ->' not in source
    assert source.count("subgraph cluster_namespace") == 2  # DOT merges subgraphs of the same name
    assert "legend_scales_to" in source and "legend_reads_to" in source


def test_evidence_comes_from_events_slices_and_pod_specs() -> None:
    seen = Observed(
        events=[
            event("Deployment", "web", "ScalingReplicaSet", source="deployment-controller"),
            event("Pod", "web-1-a", "Scheduled", component="default-scheduler"),
        ],
        endpointslices=[
            client.V1EndpointSlice(
                address_type="IPv4",
                endpoints=[],
                metadata=meta(
                    "web-x",
                    labels={
                        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                        "kubernetes.io/service-name": "web",
                    },
                ),
            )
        ],
        pods=[
            client.V1Pod(
                metadata=meta("web-1-a"),
                spec=pod_spec(
                    env_from=[client.V1EnvFromSource(config_map_ref=client.V1ConfigMapEnvSource(name="greeting"))]
                ),
            )
        ],
    )
    found = {role.kind: evidence(role, seen) for role in ROLES}
    assert found["Deployment"] == Evidence("deployment-controller", "event ScalingReplicaSet on Deployment/web")
    assert found["Pod"] == Evidence("default-scheduler", "event Scheduled on Pod/web-1-a")
    assert found["Service"] == Evidence("endpointslice-controller", "EndpointSlice web-x for Service/web")
    assert found["ConfigMap"] == Evidence("declared", "1 pod spec(s) name ConfigMap/greeting; no kubelet event")
    assert found["Job"] is None and found["PersistentVolumeClaim"] is None
    seen.kinds = {"Deployment", "Pod", "ConfigMap", "Job"}
    table = promises_table(seen)
    assert [row[0] for row in table.rows] == [
        "Deployment: pod template and update strategy",
        "resources.requests in the pod template",
        "ConfigMap, read through env",
        "Job",
    ], "one row per kind the namespace holds, none for the others"
    assert table.column("KEPT BY") == ["deployment-controller", "default-scheduler", "declared", "-"]


def test_a_kubelet_event_on_a_reading_pod_keeps_the_configmap_promise() -> None:
    reader = client.V1Pod(
        metadata=meta("web-1-a"),
        spec=pod_spec(env_from=[client.V1EnvFromSource(config_map_ref=client.V1ConfigMapEnvSource(name="greeting"))]),
    )
    started = event("Pod", "web-1-a", "Started", source="kubelet")
    role = next(r for r in ROLES if r.kind == "ConfigMap")
    assert evidence(role, Observed(events=[started], pods=[reader])) == Evidence(
        "kubelet", "event Started on Pod/web-1-a, which reads ConfigMap/greeting"
    )


def test_cron_fields_and_daily_times() -> None:
    assert cron_field("*/15", 0, 59) == {0, 15, 30, 45}
    assert cron_field("1-3,7", 0, 23) == {1, 2, 3, 7}
    assert cron_field("10-20/5", 0, 59) == {10, 15, 20}
    assert cron_field("5/20", 0, 59) == {5, 25, 45}
    assert daily_times("0 2 * * *") == [(2, 0)]
    assert daily_times("@daily") == [(0, 0)]
    assert len(daily_times("0 * * * *")) == 24
    assert len(daily_times("*/30 1 * * *")) == 2
    assert daily_times("0 2 * * 1-5") is None  # not every day
    assert daily_times("0 2 1 * *") is None
    assert daily_times("0 2 * *") is None
    assert daily_times("0 2 * * MON") is None


def test_reported_needs_every_component_and_enough_of_each_reason() -> None:
    events = [
        event("Deployment", "web", "ScalingReplicaSet", source="deployment-controller"),
        event("Pod", "web-1-a", "Scheduled", component="default-scheduler"),
    ]
    assert reported(events, {"deployment-controller", "default-scheduler"}, {"ScalingReplicaSet": 1})
    assert not reported(events, {"deployment-controller"}, {"ScalingReplicaSet": 2})
    assert not reported(events, {"job-controller"}, {})


def test_the_root_ca_configmap_every_pod_mounts_is_not_evidence() -> None:
    root_ca_only = client.V1Pod(metadata=meta("job-a"), spec=pod_spec())
    root_ca_only.spec.volumes = [
        client.V1Volume(
            name="kube-api-access",
            projected=client.V1ProjectedVolumeSource(
                sources=[client.V1VolumeProjection(config_map=client.V1ConfigMapProjection(name="kube-root-ca.crt"))]
            ),
        )
    ]
    configmap_role = next(r for r in ROLES if r.kind == "ConfigMap")
    assert evidence(configmap_role, Observed(pods=[root_ca_only])) is None
