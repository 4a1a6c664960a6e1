"""Checker: an HPA that keeps the Deployment ``api`` between 2 and 5 replicas at 60% CPU, and can measure it."""

from __future__ import annotations

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
from threeplanes.functional.scaling import hpa_condition, hpa_utilization
from threeplanes.kit.wait import rollout_complete, rollout_state

NAME = "api"
MIN, MAX, TARGET = 2, 5, 60
SETUP = ".venv/bin/threeplanes exercise setup f8-scaling -n {namespace}"


def autoscale(ctx: Context) -> str:
    return f"kubectl autoscale deployment {NAME} --min={MIN} --max={MAX} --cpu={TARGET}% -n {ctx.namespace}"


def deployment(ctx: Context):
    return criteria.deployment(ctx, NAME)


def hpa(ctx: Context):
    return ctx.get(ctx.cluster.autoscaling.read_namespaced_horizontal_pod_autoscaler, NAME, ctx.namespace)


def said(autoscaler, kind: str) -> str:
    """What the HPA's condition ``kind`` says when it is not True, as a clause; else empty."""
    condition = hpa_condition(autoscaler, kind)
    if condition is None or condition.status == "True":
        return ""
    return f"; the HPA reports {kind}={condition.status}, {condition.reason}: {condition.message}"


def deployment_exists(ctx: Context) -> Failure | None:
    if deployment(ctx) is None:
        return Failure(f"no Deployment named {NAME}", f"run the setup first: {SETUP.format(namespace=ctx.namespace)}")
    return None


def hpa_exists(ctx: Context) -> Failure | None:
    if hpa(ctx) is None:
        items = ctx.cluster.autoscaling.list_namespaced_horizontal_pod_autoscaler(ctx.namespace).items
        others = [h.metadata.name for h in items]
        saw = f"HPAs here: {', '.join(others)}" if others else "no HorizontalPodAutoscaler in the namespace"
        return Failure(saw, f"create one named {NAME}: {autoscale(ctx)}")
    return None


def targets_api(ctx: Context) -> Failure | None:
    ref = hpa(ctx).spec.scale_target_ref
    if (ref.api_version, ref.kind, ref.name) != ("apps/v1", "Deployment", NAME):
        return Failure(
            f"scaleTargetRef is {ref.kind} {ref.name} ({ref.api_version}){said(hpa(ctx), 'AbleToScale')}",
            f"point scaleTargetRef at apiVersion apps/v1, kind Deployment, name {NAME} (kubectl edit hpa {NAME})",
        )
    return None


def keeps_range(ctx: Context) -> Failure | None:
    spec = hpa(ctx).spec
    if (spec.min_replicas, spec.max_replicas) != (MIN, MAX):
        return Failure(
            f"minReplicas {spec.min_replicas}, maxReplicas {spec.max_replicas}",
            f"keep between {MIN} and {MAX} replicas: set minReplicas and maxReplicas (kubectl edit hpa {NAME}), "
            f"or delete the HPA and run {autoscale(ctx)}",
        )
    return None


def describe_metric(metric) -> str:
    if metric.type != "Resource":
        return f"a {metric.type} metric"
    target = metric.resource.target
    value = f"{target.average_utilization}%" if target.type == "Utilization" else target.average_value
    return f"{metric.resource.name} ({target.type} {value})"


def aims_at_cpu(ctx: Context) -> Failure | None:
    metrics = hpa(ctx).spec.metrics or []
    cpu = [m for m in metrics if m.type == "Resource" and m.resource.name == "cpu"]
    if any(m.resource.target.type == "Utilization" and m.resource.target.average_utilization == TARGET for m in cpu):
        return None
    saw = f"it scales on {', '.join(map(describe_metric, metrics))}" if metrics else "it lists no metric"
    return Failure(
        saw,
        f"give it one Resource metric: cpu, target type Utilization, averageUtilization {TARGET} "
        f"(kubectl edit hpa {NAME}, or delete it and run {autoscale(ctx)})",
    )


def requests_cpu(ctx: Context) -> Failure | None:
    """Every container of the running pods requests CPU: read from the pods (what the HPA divides
    by), where a limit alone or a LimitRange may have set the request, else from the template."""
    pods = criteria.deployment_pods(ctx, NAME)
    containers = pods[0].spec.containers if pods else deployment(ctx).spec.template.spec.containers
    bare = [c.name for c in containers if not ((c.resources and c.resources.requests) or {}).get("cpu")]
    if bare:
        autoscaler = hpa(ctx)
        reported = said(autoscaler, "ScalingActive") if autoscaler is not None else ""
        return Failure(
            f"container {', '.join(bare)} of {NAME}'s pods requests no CPU{reported}",
            "utilization is usage divided by request, so every container needs a CPU request: "
            f"kubectl set resources deployment {NAME} --requests=cpu=100m -n {ctx.namespace}",
        )
    return None


def measures(ctx: Context) -> Failure | None:
    autoscaler, target = hpa(ctx), deployment(ctx)
    if not rollout_complete(target):
        return Failure(f"{NAME} is rolling out: {rollout_state(target)}", f"kubectl rollout status deployment {NAME}")
    if (autoscaler.status.observed_generation or 0) < (autoscaler.metadata.generation or 0):
        return Failure("the HPA controller has not seen the latest spec yet", "check again in a few seconds")
    active = hpa_condition(autoscaler, "ScalingActive")
    if active is None or active.status != "True" or hpa_utilization(autoscaler) is None:
        why = f"{active.reason}: {active.message}" if active is not None else "no ScalingActive condition yet"
        return Failure(
            f"the HPA measures no CPU utilization ({why})",
            "a new pod is measured after two of metrics-server's scrapes (20 to 40 s): check again in a "
            f"minute; if it lasts, kubectl describe hpa {NAME} -n {ctx.namespace}",
        )
    return None


DEPLOYMENT = Criterion("The Deployment api from the setup exists", deployment_exists)
HPA = Criterion("An HPA named api exists", hpa_exists)
TARGETS = Criterion("It scales the Deployment api", targets_api, needs=(HPA,))
RANGE = Criterion("It keeps between 2 and 5 replicas", keeps_range, needs=(HPA,))
METRIC = Criterion("It aims at 60% CPU utilization", aims_at_cpu, needs=(HPA,))
REQUESTS = Criterion("The pods of api request CPU", requests_cpu, needs=(DEPLOYMENT,))
MEASURES = Criterion(
    "The HPA measures the pods' CPU utilization",
    measures,
    needs=(DEPLOYMENT, TARGETS, RANGE, METRIC, REQUESTS),
)

CHECKER = Checker("Autoscale a Deployment on CPU", [DEPLOYMENT, HPA, TARGETS, RANGE, METRIC, REQUESTS, MEASURES])
