"""Checker: the reader's scheduler places the pods of its namespace by the page's rule, and says why it does not.

It judges by running the program: the file the namespace's annotation names is started with
``run_reader_code`` (``python <file> <namespace>``, a deadline, its output in a log), and the
checker creates pods for it one at a time, each time computing from the cluster's state where
the rule sends the pod, and waiting for the binding. First a pod whose nodeSelector no node
matches and a pod that names another scheduler, which must both stay without a node; then seven
pods the rule places. The program is stopped and the pods deleted afterwards.

The trial runs once per version of the file in a checker's life: the framework's two looks read
the same result, and the program is not run twice for one check.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.programs import found, program_of
from threeplanes.errors import WaitTimeout
from threeplanes.kit.deleting import ignore_missing
from threeplanes.kit.effects import poll_until
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL
from threeplanes.kit.programs import ProgramFailed, run_reader_code
from threeplanes.system.scheduling import FAILED_SCHEDULING, SCHEDULED, events_about, pod

SCHEDULER = "my-scheduler"
OWNER = "exercise-s3-scheduler"
TRIAL = "threeplanes.io/trial"
NODES = 4
SETUP = ".venv/bin/threeplanes exercise setup s3-scheduler -n {namespace}"
PROGRAM = "my_scheduler.py"
FIRST_BIND_S = 30  # the program starts: Python, the client, its first list
NEXT_BIND_S = 10
EVENT_S = 10
DEADLINE_S = 180
NO_FIT = ("no-fit", {"disk": "nvme"})
OTHER = "other-scheduler"
SEQUENCE = [
    ("ssd-1", {"disk": "ssd"}),
    ("ssd-2", {"disk": "ssd"}),
    ("ssd-3", {"disk": "ssd"}),
    ("any-1", {}),
    ("any-2", {}),
    ("hdd-1", {"disk": "hdd"}),
    ("any-3", {}),
]


@dataclass
class Placement:
    pod: str
    selector: dict[str, str]
    node: str | None  # where the program bound it; None if it did not in time
    fitting: list[str]  # the nodes whose labels match the selector
    expected: str | None  # the node the rule names


@dataclass
class Trial:
    """What the reader's program did with the trial's pods."""

    ended: str | None = None  # how the program ended during the trial, in the kit's words
    log_tail: str = ""
    placements: list[Placement] = field(default_factory=list)
    no_fit_node: str | None = None
    no_fit_event: str | None = None  # the message of its FailedScheduling event
    other_node: str | None = None
    unannounced: list[str] = field(default_factory=list)  # bound pods without a Scheduled event


_trials: dict[tuple, Trial] = {}


def describe(selector: dict[str, str]) -> str:
    return "nodeSelector " + (", ".join(f"{k}={v}" for k, v in selector.items()) if selector else "(none)")


def node_labels(ctx: Context) -> dict[str, dict[str, str]]:
    nodes = ctx.cluster.core.list_node(label_selector=f"{FOR_NAMESPACE}={ctx.namespace},{LAB_LABEL}={OWNER}").items
    return {n.metadata.name: n.metadata.labels or {} for n in nodes}


def where_the_rule_sends(ctx: Context, labels: dict[str, dict[str, str]], selector: dict[str, str]) -> tuple:
    """The nodes that fit ``selector``, and the one of them holding the fewest pods of the namespace."""
    fitting = sorted(n for n, ls in labels.items() if all(ls.get(k) == v for k, v in selector.items()))
    load: dict[str, int] = {}
    for p in ctx.cluster.core.list_namespaced_pod(ctx.namespace).items:
        if p.spec.node_name and not p.metadata.deletion_timestamp:
            load[p.spec.node_name] = load.get(p.spec.node_name, 0) + 1
    expected = min(fitting, key=lambda n: (load.get(n, 0), n)) if fitting else None
    return fitting, expected


def trial_pod(name: str, selector: dict[str, str], scheduler: str = SCHEDULER) -> dict:
    spec = {"nodeSelector": selector} if selector else {}
    return pod(name, {TRIAL: "s3-scheduler"}, cpu="10m", scheduler=scheduler, **spec)


def clear_trial_pods(ctx: Context) -> None:
    ctx.cluster.core.delete_collection_namespaced_pod(ctx.namespace, label_selector=TRIAL, grace_period_seconds=0)
    poll_until(
        lambda: ctx.cluster.core.list_namespaced_pod(ctx.namespace, label_selector=TRIAL).items,
        lambda pods: not pods,
        what=f"the trial's pods in {ctx.namespace} to be deleted",
        describe=lambda pods: f"{len(pods)} left",
        timeout=30,
        every=0.3,
    )


def node_of(ctx: Context, name: str) -> str | None:
    with ignore_missing():
        return ctx.cluster.core.read_namespaced_pod(name, ctx.namespace).spec.node_name
    return None


def wait_for_binding(ctx: Context, program: Any, name: str, timeout: float) -> str | None:
    """The node ``name`` was bound to, or None when the program ended or ``timeout`` passed first."""
    try:
        seen = poll_until(
            lambda: (node_of(ctx, name), program.alive),
            lambda seen: bool(seen[0]) or not seen[1],
            what=f"pod {name} to be bound",
            timeout=timeout,
            every=0.2,
        )
    except WaitTimeout:
        return None
    return seen.seen[0]


def how_it_ended(program: Any) -> str:
    try:
        code = program.wait(timeout=2)
    except ProgramFailed as failed:
        return str(failed)
    return f"{program.name} ({program.path}) exited with code {code} while pods still waited for it"


def run_trial(ctx: Context, path: Path) -> Trial:
    trial = Trial()
    labels = node_labels(ctx)
    clear_trial_pods(ctx)
    program = run_reader_code(
        path, kubeconfig=ctx.cluster.kubeconfig, args=[ctx.namespace], deadline=DEADLINE_S, name=f"s3-{ctx.namespace}"
    )
    try:
        create = ctx.cluster.core.create_namespaced_pod
        create(ctx.namespace, trial_pod(*NO_FIT))
        create(ctx.namespace, trial_pod(OTHER, {}, scheduler="someone-else"))
        timeout = FIRST_BIND_S
        for name, selector in SEQUENCE:
            fitting, expected = where_the_rule_sends(ctx, labels, selector)
            create(ctx.namespace, trial_pod(name, selector))
            node = wait_for_binding(ctx, program, name, timeout)
            trial.placements.append(Placement(name, selector, node, fitting, expected))
            if node is None or node != expected:
                break  # what the rule says next depends on this placement
            timeout = NEXT_BIND_S
        if program.alive:
            try:
                event = poll_until(
                    lambda: events_about(ctx.cluster, ctx.namespace, NO_FIT[0], FAILED_SCHEDULING),
                    bool,
                    what=f"a FailedScheduling event about {NO_FIT[0]}",
                    timeout=EVENT_S,
                    every=0.3,
                )
                trial.no_fit_event = event.seen[-1].message or ""
            except WaitTimeout:
                pass
        trial.no_fit_node = node_of(ctx, NO_FIT[0])
        trial.other_node = node_of(ctx, OTHER)
        bound = [p.pod for p in trial.placements if p.node]
        trial.unannounced = [n for n in bound if not events_about(ctx.cluster, ctx.namespace, n, SCHEDULED)]
        if not program.alive:
            trial.ended = how_it_ended(program)
    finally:
        program.stop()
        trial.log_tail = program.log_tail()
        clear_trial_pods(ctx)
    return trial


def trial(ctx: Context) -> Trial:
    """The trial of the file handed in, run once per version of the file."""
    path = program_of(ctx, PROGRAM)
    assert path is not None
    stat = path.stat()
    key = (ctx.cluster.server, ctx.namespace, str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _trials:
        _trials[key] = run_trial(ctx, path)
    return _trials[key]


def its_log(result: Trial) -> str:
    return f" Its last lines: {result.log_tail.splitlines()[-3:]}" if result.log_tail else " It printed nothing."


# --- the criteria ------------------------------------------------------------------------------------


def setup_done(ctx: Context) -> Failure | None:
    found = node_labels(ctx)
    if len(found) != NODES:
        return Failure(
            f"{len(found)} node(s) labelled {FOR_NAMESPACE}={ctx.namespace}, not {NODES}",
            f"make the exercise's nodes first: {SETUP.format(namespace=ctx.namespace)}",
        )
    return None


def keeps_running(ctx: Context) -> Failure | None:
    result = trial(ctx)
    if result.ended is None:
        return None
    if "may not change fields" in result.ended:
        hint = (
            "a pod's spec.nodeName cannot be changed by an update or a patch: create a Binding "
            "(POST pods/<name>/binding, core.create_namespaced_binding) naming the node"
        )
    else:
        hint = (
            "a scheduler runs until it is stopped: whatever one pod brings (a nodeSelector no node "
            "matches, an API error), handle it and go on with the next; run it yourself and read its traceback"
        )
    return Failure(result.ended, hint)


def binds_in_time(ctx: Context) -> Failure | None:
    result = trial(ctx)
    late = next((p for p in result.placements if p.node is None), None)
    if late is None:
        return None
    return Failure(
        f"pod {late.pod} ({describe(late.selector)}, schedulerName: {SCHEDULER}) had no node after "
        f"{FIRST_BIND_S if late is result.placements[0] else NEXT_BIND_S} s.{its_log(result)}",
        "watch the pods of your namespace whose spec.schedulerName is my-scheduler and whose spec.nodeName is "
        "empty, and bind each with a Binding (POST pods/<name>/binding)",
    )


def selector_respected(ctx: Context) -> Failure | None:
    result = trial(ctx)
    if result.no_fit_node:
        return Failure(
            f"pod {NO_FIT[0]} ({describe(NO_FIT[1])}) was bound to {result.no_fit_node}, which has no such label",
            "filter first: a pod may only go to a node whose labels include every pair of its nodeSelector; "
            "a pod that no node matches stays without a node",
        )
    wrong = next((p for p in result.placements if p.node and p.node not in p.fitting), None)
    if wrong is None:
        return None
    return Failure(
        f"pod {wrong.pod} ({describe(wrong.selector)}) was bound to {wrong.node}; the nodes that match: "
        f"{', '.join(wrong.fitting)}",
        "filter first: a pod may only go to a node whose labels include every pair of its nodeSelector",
    )


def fewest_pods(ctx: Context) -> Failure | None:
    result = trial(ctx)
    wrong = next((p for p in result.placements if p.node and p.node in p.fitting and p.node != p.expected), None)
    if wrong is None:
        return None
    return Failure(
        f"pod {wrong.pod} ({describe(wrong.selector)}) went to {wrong.node}; by the rule it goes to {wrong.expected}",
        "of the nodes that fit, choose the one holding the fewest pods of the namespace now (count them when "
        "the pod comes, bound pods only), the first by name when several tie",
    )


def no_fit_explained(ctx: Context) -> Failure | None:
    result = trial(ctx)
    if result.no_fit_event:
        return None
    return Failure(
        f"pod {NO_FIT[0]} ({describe(NO_FIT[1])}) stayed Pending, and no FailedScheduling event says why",
        "when no node fits, create an Event about the pod (involvedObject: the pod), reason FailedScheduling, "
        "type Warning, whose message says why; kubectl describe pod shows it",
    )


def others_left_alone(ctx: Context) -> Failure | None:
    result = trial(ctx)
    if result.other_node is None:
        return None
    return Failure(
        f"pod {OTHER}, whose schedulerName is someone-else, was bound to {result.other_node}",
        "take only the pods that name your scheduler: spec.schedulerName=my-scheduler (a field selector on "
        "the list and the watch)",
    )


def placements_announced(ctx: Context) -> Failure | None:
    result = trial(ctx)
    if not result.unannounced:
        return None
    return Failure(
        f"no Scheduled event about {', '.join(result.unannounced)}",
        "after each binding, create an Event about the pod, reason Scheduled, type Normal, naming the node "
        "(Successfully assigned <namespace>/<pod> to <node>)",
    )


SETUP_OK = Criterion("The exercise's four nodes exist", setup_done)
HANDED_IN = Criterion("Your scheduler's file is found", found(PROGRAM, "your scheduler"), needs=(SETUP_OK,))
RUNS = Criterion("Your scheduler runs through the trial without ending", keeps_running, needs=(HANDED_IN,))
BINDS = Criterion("It binds each pod that fits within seconds", binds_in_time, needs=(RUNS,))
SELECTOR = Criterion("Every pod lands on a node that matches its nodeSelector", selector_respected, needs=(RUNS,))
FEWEST = Criterion("Each pod goes to the fitting node with the fewest pods", fewest_pods, needs=(BINDS, SELECTOR))
NO_FIT_EVENT = Criterion("A pod that fits nowhere gets a FailedScheduling event", no_fit_explained, needs=(RUNS,))
OTHERS = Criterion("Pods of another scheduler are left alone", others_left_alone, needs=(RUNS,))
ANNOUNCED = Criterion("Each binding is announced by a Scheduled event", placements_announced, needs=(BINDS,))

CHECKER = Checker(
    "Place pods with a scheduler of your own",
    [SETUP_OK, HANDED_IN, RUNS, BINDS, SELECTOR, FEWEST, NO_FIT_EVENT, OTHERS, ANNOUNCED],
)
