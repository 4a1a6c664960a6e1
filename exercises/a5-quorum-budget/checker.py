"""Checker of the a5-quorum-budget exercise: a disruption budget that keeps etcd's quorum through a drain.

The checker drains the members as ``kubectl drain`` does, without cordoning the shared real node: it
asks the Eviction API to evict every member, and asks again every half second after a refusal (429),
for up to 35 s. Meanwhile a client pod, ``writer``, writes to etcd five times a second through the three
members' names, and a watch records which members are Ready. Then it waits for every member to be
back. It judges what happened: a second member refused while one was away, never more than one away,
no stretch of more than 5 s without an acknowledged write, and every member evicted in the end (a
budget that refuses every eviction with all three members Ready stops the drain early: it would wait
forever). It reads the budgets only to explain a failure. The drain is played once per set of budgets
(their names, uids and generations): the framework's second look reads the same outcome.
"""

from __future__ import annotations

from typing import Any

from threeplanes.barriers.middleware import (
    LABELS,
    MEMBERS,
    STATEFULSET,
    budget_terms,
    drain_members,
    ensure_etcd_image,
    members_it_lets_go,
    start_writer,
    stop_writer,
    wait_for_members,
)
from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.framework import remembered
from threeplanes.errors import WaitTimeout
from threeplanes.kit.labels import selector_matches, selector_string
from threeplanes.kit.wait import wait_for

SETUP = ".venv/bin/threeplanes exercise setup a5-quorum-budget -n {namespace}"
DRAIN_S = 35  # how long the drain asks again after refusals
BACK_S = 20  # how long it then waits for the last members to be back
SILENCE_S = 5.0  # the longest stretch without an acknowledged write that still counts as answering
REUSE = 120
OUTCOMES: dict[tuple, tuple[float, Any]] = {}


def budgets(ctx: Context) -> list:
    return ctx.cluster.policy.list_namespaced_pod_disruption_budget(ctx.namespace).items


def covering(ctx: Context) -> list:
    """The budgets of the namespace that select the members."""
    return [b for b in budgets(ctx) if selector_matches(b.spec.selector, LABELS)]


def elsewhere(ctx: Context) -> list:
    """Budgets of other namespaces that would select the members, were they in theirs."""
    found = ctx.cluster.policy.list_pod_disruption_budget_for_all_namespaces().items
    return [b for b in found if b.metadata.namespace != ctx.namespace and selector_matches(b.spec.selector, LABELS)]


def why(ctx: Context) -> str:
    """What the budgets say, read to explain what the drain did."""
    mine = covering(ctx)
    if not mine:
        nothing = f"no PodDisruptionBudget in {ctx.namespace} selects the members"
        if others := budgets(ctx):
            shown = ", ".join(
                f"{b.metadata.name} ({selector_string(b.spec.selector) or 'no selector'})" for b in others
            )
            return f"{nothing}: {shown} match none of the members, which are labelled app=etcd: select that label"
        if far := elsewhere(ctx):
            b = far[0]
            return (
                f"{nothing}; budget {b.metadata.namespace}/{b.metadata.name} selects app=etcd, but a budget covers "
                f"only pods of its own namespace: create it in {ctx.namespace} (kubectl ... -n {ctx.namespace})"
            )
        return f"{nothing}, so nothing stops a drain from evicting them all at once: create one that selects app=etcd"
    if len(mine) > 1:
        names = ", ".join(b.metadata.name for b in mine)
        return f"several budgets select the members ({names}); the Eviction API refuses to evict such a pod: keep one"
    b = mine[0]
    lets = members_it_lets_go(b)
    if lets >= 2:
        return (
            f"budget {b.metadata.name} ({budget_terms(b)}) lets {lets} of the {MEMBERS} members go at once; "
            f"etcd needs a majority, 2 of {MEMBERS}, to elect a leader and commit writes: let at most one go"
        )
    if lets == 0:
        return (
            f"budget {b.metadata.name} ({budget_terms(b)}) lets no member go, ever: a drain would wait forever; "
            f"etcd keeps its quorum with 2 of {MEMBERS}, so one may go"
        )
    return f"budget {b.metadata.name} ({budget_terms(b)}) lets one member go at a time"


def members_up(ctx: Context) -> Failure | None:
    if ctx.get(ctx.cluster.apps.read_namespaced_stateful_set, STATEFULSET, ctx.namespace) is None:
        return Failure(
            f"no StatefulSet {STATEFULSET} in {ctx.namespace}",
            f"run the setup: {SETUP.format(namespace=ctx.namespace)}",
        )
    try:
        wait_for_members(ctx.cluster, ctx.namespace, timeout=60)
    except WaitTimeout as error:
        return Failure(
            str(error), f"kubectl get pods -l app=etcd -n {ctx.namespace}; kubectl logs etcd-0 -n {ctx.namespace}"
        )
    return None


def budgets_settled(ctx: Context) -> None:
    """Wait (15 s at most) until the disruption controller has read every budget of the namespace: until
    then the Eviction API refuses every eviction, whatever the budget says."""
    try:
        wait_for(
            ctx.cluster.policy.list_namespaced_pod_disruption_budget,
            lambda found: all((b.status.observed_generation or 0) >= b.metadata.generation for b in found),
            what=f"the budgets of {ctx.namespace} to be processed",
            describe=lambda found: f"{len(found)} budget(s)",
            timeout=15,
            namespace=ctx.namespace,
        )
    except WaitTimeout:
        pass  # the drain then sees the refusals, and says so


def play(ctx: Context):
    """Drain the members with the writer running, once per set of budgets."""
    key = (ctx.namespace, tuple(sorted((b.metadata.uid, b.metadata.generation) for b in budgets(ctx))))

    def drain():
        budgets_settled(ctx)
        image, _ = ensure_etcd_image()
        stop_writer(ctx.cluster, ctx.namespace)  # one left by an earlier check
        start_writer(ctx.cluster, ctx.namespace, image)
        outcome = drain_members(ctx.cluster, ctx.namespace, timeout=DRAIN_S, back_within=BACK_S)
        outcome.writes = stop_writer(ctx.cluster, ctx.namespace)
        return outcome

    return remembered(OUTCOMES, key, REUSE, drain)


def seconds(attempts) -> str:
    return ", ".join(f"{a.member} at {a.at:.1f} s" for a in attempts)


def refuses_a_second(ctx: Context) -> Failure | None:
    drain = play(ctx)
    if drain.refused_while_away:
        return None
    if drain.failed:
        first = drain.failed[0]
        return Failure(f"the eviction of {first.member} failed: {first.status} {first.cause}", why(ctx))
    if not drain.evicted:
        return Failure(f"no member was evicted: every eviction was refused for {len(drain.attempts)} tries", why(ctx))
    accepted = [a for a in drain.attempts if a.accepted]
    return Failure(f"the drain evicted {seconds(accepted)}, and was refused nothing while a member was away", why(ctx))


def one_away_at_most(ctx: Context) -> Failure | None:
    drain = play(ctx)
    if drain.fewest_ready >= MEMBERS - 1:
        return None
    return Failure(
        f"{MEMBERS - drain.fewest_ready} members were away at once: at one moment only {drain.fewest_ready} of "
        f"{MEMBERS} were Ready",
        why(ctx),
    )


def writes_answered(ctx: Context) -> Failure | None:
    drain = play(ctx)
    writes = drain.writes_during
    if not drain.attempts or (writes and drain.silence <= SILENCE_S):
        return None
    failed = sum(not w.ok for w in writes)
    return Failure(
        f"etcd acknowledged no write for {drain.silence:.1f} s during the drain ({failed} of {len(writes)} writes "
        "failed): it had lost its quorum",
        why(ctx),
    )


def drain_finishes(ctx: Context) -> Failure | None:
    drain = play(ctx)
    if drain.finished:
        return None
    left = sorted({a.member for a in drain.attempts} - set(drain.evicted))
    if drain.stuck:
        saw = (
            f"with all {MEMBERS} members Ready, the budget still refused to evict {', '.join(left)}: the drain "
            "would never end"
        )
    else:
        saw = f"after {DRAIN_S} s, {', '.join(left)} still not evicted"
    return Failure(saw, why(ctx))


UP = Criterion("The three etcd members of the setup are Ready", members_up)
REFUSES = Criterion("The drain is refused a second member while one is away", refuses_a_second, needs=(UP,))
ONE_AWAY = Criterion("At most one member is away at any moment", one_away_at_most, needs=(UP,))
WRITES = Criterion("etcd answers writes throughout the drain", writes_answered, needs=(UP,))
FINISHES = Criterion("The drain evicts every member in the end", drain_finishes, needs=(UP,))

CHECKER = Checker("Keep etcd's quorum through a drain", [UP, REFUSES, ONE_AWAY, WRITES, FINISHES])
