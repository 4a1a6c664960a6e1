"""The chapter's decision checklist: a reader describes an application, and each barrier is read for it.

The reading never rules on its own: each row says what the answer means and which lab measured the
effect it rests on, so that the reader can rerun the measurement and weigh it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from threeplanes.errors import LabError
from threeplanes.kit.tables import Table

# What stops a program from running as a replaceable container, and the object that mends each (lab A2).
HABITS = {
    "local-state": "a volume (a PersistentVolumeClaim) for what it writes",
    "fixed-host": "a Service whose name it reaches its peer by",
    "config-file": "a ConfigMap mounted where it reads its configuration",
    "start-order": "an init container or a readiness probe for what it waits on",
}
FITS, WEIGH, FIRST = "fits", "weigh it", "climb this first"


@dataclass(frozen=True)
class Application:
    """What the checklist asks about an application; every field is the reader's own answer.

    ``parts``: pieces released on their own schedule; ``containerised``: it already runs from images;
    ``habits``: which of ``HABITS`` it still has; ``workers``: machines it needs at peak;
    ``control_planes``: control-plane machines the reader would run (3 for a control plane that survives
    the loss of one); ``keeps_state``: it writes data that must outlive a machine; ``shared_storage``: a
    storage Kubernetes can claim from on any node (a CSI driver, a network file system);
    ``self_clustering``: its middlewares that keep their own membership and quorum.
    """

    name: str
    parts: int
    containerised: bool
    workers: int
    habits: Sequence[str] = ()
    control_planes: int = 3
    keeps_state: bool = False
    shared_storage: bool = False
    self_clustering: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.habits) - set(HABITS))
        if unknown:
            raise LabError(f"{self.name}: unknown habit(s) {unknown}; the checklist knows {sorted(HABITS)}.")
        for what in ("parts", "workers", "control_planes"):
            if getattr(self, what) < 1:
                raise LabError(f"{self.name}: {what} must be at least 1, not {getattr(self, what)}.")


def machine_share(control_planes: int, workers: int) -> float:
    """The share of the machines that run the control plane, as the barrier counts it (3 of 10 is 30 %)."""
    return control_planes / (control_planes + workers)


def read(app: Application, threshold: float = 0.2) -> Table:
    """One row per barrier: the reader's answer, what it means for this application, and the lab behind it.

    ``threshold`` is the share of machines the reader accepts to give the control plane (barrier 3)."""
    if not 0 < threshold < 1:
        raise LabError(f"a threshold is a share of the machines between 0 and 1, not {threshold}.")
    rows = [_microservices(app), _containers(app), _control_plane(app, threshold), _state(app), _middleware(app)]
    return Table(["barrier", "your answer", "reading", "what it means", "measured in"], rows)


def _microservices(app: Application) -> list[str]:
    answer = f"{app.parts} part(s) released on their own"
    if app.parts == 1:
        meaning = "every change rolls the whole application; Kubernetes adds objects and requests and little else"
        return ["1 micro-services", answer, WEIGH, meaning, "lab A1"]
    meaning = "each part rolls, scales and heals on its own, which is what the API is built for"
    return ["1 micro-services", answer, FITS, meaning, "lab A1"]


def _containers(app: Application) -> list[str]:
    if not app.containerised:
        meaning = "make it an image and run it as one container first; Kubernetes is the second step, not the first"
        return ["2 containers", "not containerised", FIRST, meaning, "lab A2"]
    if app.habits:
        meaning = "; ".join(HABITS[h] for h in app.habits)
        return ["2 containers", "images, with " + ", ".join(app.habits), WEIGH, meaning, "lab A2"]
    return ["2 containers", "container-ready images", FITS, "nothing to mend before Kubernetes", "lab A2"]


def _control_plane(app: Application, threshold: float) -> list[str]:
    share = machine_share(app.control_planes, app.workers)
    answer = f"{app.control_planes} control plane(s) for {app.workers} worker(s)"
    meaning = f"the control plane takes {share:.0%} of the machines (your threshold: {threshold:.0%})"
    reading = FITS if share <= threshold else WEIGH
    if share > threshold:
        smallest = _smallest_cluster(app.control_planes, threshold)
        meaning += f"; it falls to your threshold from {smallest} workers"
    return ["3 a distributed control plane", answer, reading, meaning, "lab A3"]


def _smallest_cluster(control_planes: int, threshold: float) -> int:
    workers = 1
    while machine_share(control_planes, workers) > threshold:
        workers += 1
    return workers


def _state(app: Application) -> list[str]:
    if not app.keeps_state:
        return ["4 persistence and network", "stateless", FITS, "pods can move freely", "lab A4"]
    if app.shared_storage:
        meaning = "claims follow a pod to any node; the network follows through Services, with a lag to budget for"
        return ["4 persistence and network", "state on shared storage", FITS, meaning, "lab A4"]
    meaning = "a pod whose volume is local to a node stays Pending when that node is lost; bring storage first"
    return ["4 persistence and network", "state on local disks", FIRST, meaning, "lab A4"]


def _middleware(app: Application) -> list[str]:
    if not app.self_clustering:
        return ["5 self-clustering middleware", "none", FITS, "one clustering layer", "lab A5"]
    meaning = (
        "two clustering layers: Kubernetes restarts and places members, the middleware keeps quorum; you need a "
        "disruption budget and an operator, or run it beside the cluster"
    )
    return ["5 self-clustering middleware", ", ".join(app.self_clustering), WEIGH, meaning, "lab A5"]
