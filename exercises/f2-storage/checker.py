"""Checker: a claim that binds to the pre-provisioned volume ``archive-<namespace>``, and a pod that mounts it."""

from __future__ import annotations

from kubernetes.utils import parse_quantity

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.functional.storage import claim_names, scheduling_message
from threeplanes.kit.wait import is_ready

CLAIM = "data"
SETUP = ".venv/bin/threeplanes exercise setup f2-storage -n {namespace}"


def volume_name(ctx: Context) -> str:
    return f"archive-{ctx.namespace}"


def volume(ctx: Context):
    return ctx.get(ctx.cluster.core.read_persistent_volume, volume_name(ctx))


def claim(ctx: Context):
    return ctx.get(ctx.cluster.core.read_namespaced_persistent_volume_claim, CLAIM, ctx.namespace)


def volume_waits(ctx: Context) -> Failure | None:
    pv = volume(ctx)
    if pv is None:
        return Failure(
            f"no PersistentVolume named {volume_name(ctx)}",
            f"run the setup first: {SETUP.format(namespace=ctx.namespace)}",
        )
    ref = pv.spec.claim_ref
    if ref and (ref.namespace, ref.name) != (ctx.namespace, CLAIM):
        return Failure(
            f"{pv.metadata.name} is {pv.status.phase}, reserved for claim {ref.namespace}/{ref.name}",
            f"run the setup again to make it available: {SETUP.format(namespace=ctx.namespace)}",
        )
    if pv.status.phase == "Released":
        return Failure(
            f"{pv.metadata.name} is Released: it still remembers a claim {CLAIM} that was deleted",
            f"run the setup again, which clears the old claimRef: {SETUP.format(namespace=ctx.namespace)}",
        )
    return None


def claim_exists(ctx: Context) -> Failure | None:
    if claim(ctx) is None:
        others = [
            c.metadata.name for c in ctx.cluster.core.list_namespaced_persistent_volume_claim(ctx.namespace).items
        ]
        saw = f"claims here: {', '.join(others)}" if others else "no PersistentVolumeClaim in the namespace"
        return Failure(
            saw,
            f"create a PersistentVolumeClaim named {CLAIM}; read what the volume offers with "
            f"kubectl get pv {volume_name(ctx)}",
        )
    return None


def claim_matches(ctx: Context) -> Failure | None:
    """Compare the claim with the volume: class, then access modes, then size."""
    pv, pvc = volume(ctx), claim(ctx)
    offered_class = pv.spec.storage_class_name
    if pvc.spec.storage_class_name != offered_class:
        asked = pvc.spec.storage_class_name
        saw = f"the claim asks for storage class {asked!r}" if asked else "the claim names no storage class"
        return Failure(
            f"{saw}; the volume's class is {offered_class!r}",
            f"set storageClassName: {offered_class} in the claim (a claim's spec cannot be edited: delete it and "
            "create it again)",
        )
    missing = [m for m in pvc.spec.access_modes or [] if m not in (pv.spec.access_modes or [])]
    if missing:
        return Failure(
            f"the claim asks for {', '.join(missing)}; the volume offers only {', '.join(pv.spec.access_modes)}",
            f"ask for accessModes: [{', '.join(pv.spec.access_modes)}] (delete the claim and create it again)",
        )
    asked, holds = pvc.spec.resources.requests.get("storage"), pv.spec.capacity["storage"]
    if parse_quantity(asked) > parse_quantity(holds):
        return Failure(
            f"the claim asks for {asked}; the volume holds {holds}",
            f"ask for {holds} or less: a claim only binds to a volume at least as large as its request "
            "(delete the claim and create it again)",
        )
    return None


def claim_bound(ctx: Context) -> Failure | None:
    pvc, name = claim(ctx), volume_name(ctx)
    if pvc.status.phase == "Bound" and pvc.spec.volume_name == name:
        return None
    if pvc.status.phase == "Bound":
        return Failure(
            f"the claim is bound to {pvc.spec.volume_name}, not to {name}",
            "the cluster provisioned another volume for it: delete the claim and make it ask for the archive class",
        )
    events = ctx.cluster.core.list_namespaced_event(ctx.namespace, field_selector=f"involvedObject.name={CLAIM}")
    last = sorted(events.items, key=lambda e: e.last_timestamp or e.event_time or e.metadata.creation_timestamp)
    why = f" (last event: {last[-1].reason}: {last[-1].message})" if last else ""
    return Failure(f"the claim is {pvc.status.phase}{why}", f"kubectl describe pvc {CLAIM} -n {ctx.namespace}")


def naming_pods(ctx: Context) -> list:
    """Live pods whose volumes name the claim (mounted or not)."""
    pods = ctx.cluster.core.list_namespaced_pod(ctx.namespace).items
    return [p for p in pods if CLAIM in claim_names(p) and not p.metadata.deletion_timestamp]


def mounts_in_a_container(pod) -> bool:
    """True when a container (or an init container) of ``pod`` mounts the volume that holds the claim."""
    volumes = {
        v.name
        for v in pod.spec.volumes or []
        if v.persistent_volume_claim and v.persistent_volume_claim.claim_name == CLAIM
    }
    every = [*(pod.spec.init_containers or []), *pod.spec.containers]
    return any(m.name in volumes for c in every for m in c.volume_mounts or [])


def mounting_pods(ctx: Context) -> list:
    """Live pods in which a container really mounts the claim."""
    return [p for p in naming_pods(ctx) if mounts_in_a_container(p)]


def pod_mounts_claim(ctx: Context) -> Failure | None:
    if mounting_pods(ctx):
        return None
    if naming := naming_pods(ctx):
        return Failure(
            f"pod {naming[0].metadata.name} lists the claim in its volumes, but no container mounts it",
            "add a volumeMounts entry (name of the volume, mountPath) to the container (a pod's containers cannot "
            "be edited: delete the pod and create it again)",
        )
    pods = ctx.cluster.core.list_namespaced_pod(ctx.namespace).items
    if not pods:
        return Failure("no pod in the namespace", f"run a pod whose volumes include persistentVolumeClaim: {CLAIM}")
    seen = "; ".join(f"pod {p.metadata.name} mounts " + (", ".join(claim_names(p)) or "no claim") for p in pods)
    return Failure(
        seen,
        f"add to the pod a volume with persistentVolumeClaim: {{claimName: {CLAIM}}} and mount it in the container "
        "(a pod's volumes cannot be edited: delete the pod and create it again)",
    )


def pod_runs(ctx: Context) -> Failure | None:
    """A pod that mounts the claim is Ready; a pod that only names it does not count."""
    pods = mounting_pods(ctx)
    if any(is_ready(p) for p in pods):
        return None
    pod = pods[0]
    why = scheduling_message(pod)
    others = [p.metadata.name for p in naming_pods(ctx) if p not in pods and is_ready(p)]
    note = f" (pod {others[0]} runs, but does not mount the claim)" if others else ""
    return Failure(
        f"pod {pod.metadata.name}, which mounts the claim, is {pod.status.phase}" + (f": {why}" if why else "") + note,
        f"kubectl describe pod {pod.metadata.name} -n {ctx.namespace} says what it waits for; fix that in the pod's "
        "manifest, delete the pod and create it again",
    )


VOLUME = Criterion("The volume from the setup is waiting", volume_waits)
EXISTS = Criterion("A claim named data exists", claim_exists)
MATCHES = Criterion("The claim asks for what the volume offers", claim_matches, needs=(VOLUME, EXISTS))
BOUND = Criterion("The claim is bound to the volume", claim_bound, needs=(MATCHES,))
MOUNTS = Criterion("A pod mounts the claim", pod_mounts_claim, needs=(EXISTS,))
RUNS = Criterion("A pod that mounts it is running", pod_runs, needs=(BOUND, MOUNTS))

CHECKER = Checker("Claim a pre-provisioned volume", [VOLUME, EXISTS, MATCHES, BOUND, MOUNTS, RUNS])
