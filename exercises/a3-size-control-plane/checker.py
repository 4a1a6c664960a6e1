"""Checker of a3-size-control-plane: the reader's sizing of a control plane, worked out again and compared.

The answer is the ConfigMap ``sizing``. The checker counts what etcd's quorum survives for each number
of members and takes the fewest that survive ``LOSSES`` loss; it looks for the fewest workers at which
those control-plane machines are at most ``THRESHOLD`` of all the machines; and it runs the lab's
calculator (``threeplanes.barriers.cost.overhead``) on the figures recorded on this machine for that
cluster, whose memory share the reader's ``overheadPercent`` must match within ``TOLERANCE``. Nothing
is hard-coded but the team's conditions. A wrong number is explained from what it matches: a share of
machines where memory was asked, a fraction where percent was, every machine where workers were.
"""

from __future__ import annotations

from typing import Any

from threeplanes.barriers.cost import Machine, load_figures, overhead, record_path, smallest_cluster
from threeplanes.checking import Checker, Context, Criterion, Failure

NAME = "sizing"
KEYS = ("controlPlaneNodes", "workerNodes", "overheadPercent")
WORKER = Machine(cpu=4, memory_gib=16)
THRESHOLD = 0.08  # the share of the machines the team accepts for the control plane
LOSSES = 1  # control-plane machines the team must be able to lose
TOLERANCE = 0.15  # relative: two runs of the lab differ by a few percent
CREATE = (
    "kubectl create configmap sizing -n {namespace} --from-literal=controlPlaneNodes=<machines> "
    "--from-literal=workerNodes=<workers> --from-literal=overheadPercent=<percent>"
)
SETUP = ".venv/bin/threeplanes exercise setup a3-size-control-plane -n {namespace}"


def survives(members: int) -> int:
    """How many of ``members`` etcd members may be lost while a majority, ``members // 2 + 1``, is left."""
    return members - (members // 2 + 1)


def fewest_members(losses: int = LOSSES) -> int:
    return next(n for n in range(1, 100) if survives(n) >= losses)


def number(text: Any) -> float | None:
    try:
        return float(str(text).strip().removesuffix("%").strip())
    except ValueError:
        return None


def answer(ctx: Context) -> dict[str, float | None] | None:
    if "answer" not in ctx.notes:
        found = ctx.get(ctx.cluster.core.read_namespaced_config_map, NAME, ctx.namespace)
        ctx.notes["answer"] = None if found is None else {k: number((found.data or {}).get(k, "")) for k in KEYS}
    return ctx.notes["answer"]


def answered(ctx: Context) -> Failure | None:
    found = answer(ctx)
    if found is None:
        return Failure(f"no ConfigMap named {NAME} in {ctx.namespace}", CREATE.format(namespace=ctx.namespace))
    missing = [k for k, v in found.items() if v is None]
    if missing:
        return Failure(
            f"the ConfigMap {NAME} has no number under {', '.join(missing)}",
            "each of the three keys holds one number, such as 3, 12 or 0.42; " + CREATE.format(namespace=ctx.namespace),
        )
    return None


def control_plane(ctx: Context) -> Failure | None:
    members, fewest = answer(ctx)["controlPlaneNodes"], fewest_members()
    if members == fewest:
        return None
    quorum = "etcd commits a write once a majority of its members has it: n members survive the loss of n - (n//2 + 1)"
    if members < 1 or members != int(members):
        return Failure(f"controlPlaneNodes is {members:g}", "a number of machines: a whole number, at least 1")
    members = int(members)
    lost = survives(members)
    if lost < LOSSES:
        return Failure(
            f"with {members} control-plane machine(s), a majority of etcd's members is {members // 2 + 1}: losing one "
            f"machine leaves {members - 1}, which stops every write, and the control plane with it",
            f"the team must survive the loss of any one machine; {quorum}",
        )
    return Failure(
        f"{members} control-plane machines survive the loss of {lost}, and fewer machines survive the loss of one",
        f"the team asks for the fewest that survive one loss; {quorum} (an even number adds nothing)",
    )


def worker_nodes(ctx: Context) -> Failure | None:
    measured = load_figures()
    replicas, workers = int(answer(ctx)["controlPlaneNodes"]), answer(ctx)["workerNodes"]
    if measured is None:
        return Failure(f"no figures recorded on this machine ({record_path()})", SETUP.format(namespace=ctx.namespace))
    fewest = smallest_cluster(measured, replicas, WORKER, THRESHOLD, "machines")
    if workers == fewest:
        return None
    share = f"{replicas} / ({replicas} + workers)"
    if workers == fewest + replicas:
        return Failure(
            f"workerNodes is {workers:g}: that is every machine of the cluster, the {replicas} control-plane ones "
            "included",
            f"workerNodes counts the workers alone; the control plane's share is {share}",
        )
    if workers < 1 or workers != int(workers):
        return Failure(f"workerNodes is {workers:g}", "a number of machines: a whole number, at least 1")
    workers = int(workers)
    at = replicas / (replicas + workers)
    if at > THRESHOLD:
        return Failure(
            f"with {workers} workers, {replicas} control-plane machines of {replicas + workers} are {at:.1%}, "
            f"above {THRESHOLD:.0%}",
            f"the share is {share}: find the fewest workers that bring it to {THRESHOLD:.0%} or less",
        )
    fewer = replicas / (replicas + workers - 1)
    return Failure(
        f"{workers} workers meet the condition, but so do {workers - 1} ({fewer:.1%} of the machines)",
        f"the team asks for the fewest workers at which {share} is at most {THRESHOLD:.0%}",
    )


def within(value: float, expected: float) -> bool:
    return abs(value - expected) <= TOLERANCE * abs(expected)


def memory_share(ctx: Context) -> Failure | None:
    measured = load_figures()
    if measured is None:
        return Failure(f"no figures recorded on this machine ({record_path()})", SETUP.format(namespace=ctx.namespace))
    given = answer(ctx)
    replicas, workers = int(given["controlPlaneNodes"]), int(given["workerNodes"])
    share = overhead(measured, replicas, WORKER, workers)
    expected, value = 100 * share.memory, given["overheadPercent"]
    if within(value, expected):
        return None
    use = measured.per_replica(workers)
    worked = (
        f"{replicas} × {use.memory:.0f} MiB against {replicas} × {use.memory:.0f} MiB + {workers} × "
        f"{WORKER.memory_gib:g} GiB, by the figures of {measured.source} ({measured.when})"
    )
    if within(100 * value, expected):
        return Failure(
            f"overheadPercent is {value:g}, the calculator's {expected:.3g} divided by 100",
            "that is a fraction; the key asks for percent (0.003 is 0.3 %)",
        )
    if within(value, 100 * share.machines):
        return Failure(
            f"overheadPercent is {value:g}: the share of the machines ({share.machines:.1%}), not of the memory",
            f"the question is about the memory the control plane's processes use: {worked}",
        )
    if within(value, 100 * share.cpu):
        return Failure(
            f"overheadPercent is {value:g}: the share of the CPUs the processes use ({share.cpu:.2%})",
            f"the question is about the memory: {worked}",
        )
    return Failure(
        f"overheadPercent is {value:g}; the calculator gives {expected:.3g} % for {replicas} control-plane machines "
        f"and {workers} workers",
        f"the memory share is {worked}; read one copy's memory at {workers} nodes with measured.per_replica({workers})",
    )


ANSWERED = Criterion(
    "A ConfigMap sizing holds controlPlaneNodes, workerNodes and overheadPercent, as numbers", answered
)
CONTROL_PLANE = Criterion(
    "controlPlaneNodes: the fewest control-plane machines that survive the loss of one", control_plane, (ANSWERED,)
)
WORKERS = Criterion(
    f"workerNodes: the fewest workers at which the control plane is at most {THRESHOLD:.0%} of the machines",
    worker_nodes,
    (CONTROL_PLANE,),
)
OVERHEAD = Criterion(
    "overheadPercent: the control plane's share of the cluster's memory, by the lab's figures, in percent",
    memory_share,
    (WORKERS,),
)

CHECKER = Checker("Size a control plane for a team's cluster", [ANSWERED, CONTROL_PLANE, WORKERS, OVERHEAD])
