"""Checker: the reader's cloud controller gives the LoadBalancer Services of its class addresses from the pool,
takes them back, leaves every other Service alone, and initialises the nodes that wait for their cloud.

It judges by running the scenario on a control plane of the checker's own (``lab_control_plane``), never
the book's: a controller that initialises every node, or writes addresses into every Service, can do no
harm there. The reader's file (the one the namespace's annotation ``threeplanes.io/program`` names, else
``my_cloud.py`` in the current folder) runs as ``python <file> shop`` with that control plane's kubeconfig,
a managed process with a deadline. In the namespace ``shop`` the checker creates two Services that are not
the controller's (another class, no class) and two of its class, and waits for their addresses; stops the
controller, creates a Service while it is down and starts it again (the new Service must get the one free
address, not a taken one); fills the pool, deletes a Service and changes another to ClusterIP, each time
creating one more and expecting the address that was freed; and reads back the tainted node it registered
at the start. Each step waits for its effect with a deadline; a controller that crashed is one sentence.
The scenario runs once per check; the framework's second look reads the same outcome.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.programs import found, scenario_steps, until_first_failure
from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.effects import poll_until
from threeplanes.kit.lab_planes import LabPlane, lab_control_plane
from threeplanes.kit.programs import ReaderProgram, run_reader_code

DEFAULT_FILE = "my_cloud.py"
LB_CLASS = "threeplanes.io/my-cloud"
OTHER_CLASS = "example.com/another-cloud"
POOL = ("203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.13")
NAMESPACE = "shop"  # on the checker's own control plane
UNINITIALIZED = "node.cloudprovider.kubernetes.io/uninitialized"
KEPT_TAINT = {"key": "example.com/dedicated", "value": "web", "effect": "NoSchedule"}
CLOUD_LABELS = {"node.kubernetes.io/instance-type": "lab.small", "topology.kubernetes.io/region": "lab-1"}
CLOUD_NODE, PLAIN_NODE = "vm-1", "plain-1"
WAIT = 30  # seconds for each effect (the first includes Python starting and the client's import)
HOLD = 3  # seconds the Services of others must stay without an address once the controller has seen them
DEADLINE = 300  # seconds each run of the reader's program may last
REUSE = 120  # seconds an outcome serves the checker's second look
STEPS = ("gives", "leaves", "restart", "deleted", "retyped", "nodes")


def one_line(text: str) -> str:
    return " ".join(text.split())


def address_of(service: Any) -> str | None:
    ingress = (service.status.load_balancer.ingress if service.status and service.status.load_balancer else None) or []
    return ingress[0].ip if ingress else None


def service(name: str, lb_class: str | None) -> dict:
    spec: dict = {"type": "LoadBalancer", "selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}
    if lb_class:
        spec["loadBalancerClass"] = lb_class
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def node(name: str, taints: list[dict]) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": {"taints": taints}}


class Scenario:
    """One run of the reader's cloud controller on the checker's control plane."""

    def __init__(self, path: Path, own: LabPlane, name: str) -> None:
        self.path, self.own, self.name = path, own, name
        self.core = own.cluster.core
        self.program: ReaderProgram | None = None
        self.held: dict[str, str] = {}  # Service name -> the address it was given, as the checker saw it

    # --- the reader's program ---------------------------------------------------------------------------

    def start(self) -> None:
        self.program = run_reader_code(
            self.path, kubeconfig=self.own.cluster.kubeconfig, args=[NAMESPACE], deadline=DEADLINE, name=self.name
        )

    def stop(self) -> None:
        if self.program is not None:
            self.program.stop()

    def crashed(self) -> Failure | None:
        """One sentence on a controller that ended; None while it runs."""
        program = self.program
        assert program is not None
        if program.alive:
            return None
        code, where = program.exit_code, program.where_it_failed()
        ended = f"was ended by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
        if program.printed_traceback:
            ended += " after printing a traceback" + (f" that points at {where}" if where else "")
        if code == 0:
            hint = "a controller runs until it is stopped: loop over a watch of the Services (and the nodes), for ever"
        else:
            tail = " | ".join(line.strip() for line in program.log_tail(2).splitlines())
            hint = f"read its last lines and fix that: {tail or '(it printed nothing)'}"
        return Failure(f"your controller {ended}", hint)

    # --- what the checker reads -------------------------------------------------------------------------

    def read(self, name: str) -> Any | None:
        try:
            return self.core.read_namespaced_service(name, NAMESPACE)
        except client.ApiException as error:
            if error.status == 404:
                return None
            raise

    def create(self, name: str, lb_class: str | None = LB_CLASS) -> None:
        self.core.create_namespaced_service(NAMESPACE, service(name, lb_class))

    def wait_for_address(self, name: str, meaning: str) -> tuple[str | None, Failure | None]:
        """Wait for Service ``name`` to get an address (or for something that says it will not)."""

        def look() -> Any:
            return self.read(name)

        def shows(seen: Any) -> bool:
            return not self.program.alive or bool(seen and (address_of(seen) or seen.spec.external_ips))

        try:
            seen = poll_until(look, shows, what=f"an address for {name}", timeout=WAIT, every=0.3).seen
        except WaitTimeout:
            return None, self.crashed() or Failure(f"Service {name} had no address after {WAIT} s ({meaning})", "")
        failure = self.crashed()
        if failure:
            return None, failure
        if not address_of(seen):
            return None, Failure(
                f"your controller wrote {seen.spec.external_ips} into spec.externalIPs of {name}, and its "
                "status.loadBalancer.ingress is empty",
                "spec.externalIPs is the Service owner's to set (addresses kube-proxy must answer on); a load "
                "balancer's address goes in status.loadBalancer.ingress[0].ip, written through the status "
                "subresource (patch_namespaced_service_status)",
            )
        address = address_of(seen)
        if address not in POOL:
            return None, Failure(
                f"Service {name} got {address}, which is not in the pool", f"give out the pool's addresses only: {POOL}"
            )
        return address, None

    def taken_twice(self, name: str, address: str, hint: str) -> Failure | None:
        """A failure when another Service the checker saw with an address holds ``address`` now."""
        for other in sorted(self.held):
            current = self.read(other)
            if other != name and current is not None and address_of(current) == address:
                return Failure(f"your controller gave {name} the address {address}, which {other} holds", hint)
        return None

    def unchanged(self) -> Failure | None:
        """A failure when a Service that holds an address now holds another."""
        for name, address in sorted(self.held.items()):
            current = self.read(name)
            if current is not None and address_of(current) not in (None, address):
                return Failure(
                    f"Service {name} held {address}, and now holds {address_of(current)}",
                    "a Service keeps the address it was given for as long as it is a LoadBalancer of your class: "
                    "give an address only to a Service whose status has none",
                )
        return None

    def give(self, name: str, meaning: str, missing_hint: str, twice_hint: str, create: bool = True) -> Failure | None:
        """Create Service ``name`` of the class (unless it exists) and expect an address no other Service holds."""
        if create:
            self.create(name)
        address, failure = self.wait_for_address(name, meaning)
        if failure:
            return failure if failure.hint else Failure(failure.saw, missing_hint)
        assert address is not None
        failure = self.taken_twice(name, address, twice_hint) or self.unchanged()
        if failure:
            return failure
        self.held[name] = address
        return None

    def free_addresses(self) -> list[str]:
        return [a for a in POOL if a not in self.held.values()]

    # --- the steps --------------------------------------------------------------------------------------

    def play(self) -> dict[str, Failure | None]:
        self.core.create_namespace({"metadata": {"name": NAMESPACE}})
        self.core.create_node(
            node(CLOUD_NODE, [{"key": UNINITIALIZED, "value": "true", "effect": "NoSchedule"}, KEPT_TAINT])
        )
        self.core.create_node(node(PLAIN_NODE, []))
        self.create("other-class", OTHER_CLASS)
        self.create("no-class", None)
        self.start()
        return until_first_failure((name, getattr(self, name)) for name in STEPS)

    def gives(self) -> Failure | None:
        """Two Services of the class get two addresses of the pool."""
        missing = (
            f"watch the Services of the namespace it is given, and for each of type LoadBalancer whose "
            f"spec.loadBalancerClass is {LB_CLASS} and whose status has no address, write a free address of the "
            "pool into status.loadBalancer.ingress[0].ip (patch_namespaced_service_status)"
        )
        twice = "give each Service an address that no other Service holds"
        for name in ("shop-1", "shop-2"):
            failure = self.give(name, "a new Service of your class, with free addresses in the pool", missing, twice)
            if failure:
                return failure
        return None

    def leaves(self) -> Failure | None:
        """The Services of another class, or of none, stay without an address (they were there before the others)."""

        def touched() -> list[str]:
            said = []
            for name, kind in (("other-class", f"of class {OTHER_CLASS}"), ("no-class", "with no loadBalancerClass")):
                seen = self.read(name)
                if seen is not None and (address_of(seen) or seen.spec.external_ips):
                    said.append(f"{name} ({kind}) got {address_of(seen) or seen.spec.external_ips}")
            return said

        with contextlib.suppress(WaitTimeout):
            poll_until(touched, bool, what="an address on a Service of another class", timeout=HOLD, every=0.5)
        said = touched()
        if said:
            return Failure(
                f"your controller gave addresses to Services that are not its own: {'; '.join(said)}",
                f"take only the Services whose spec.loadBalancerClass is {LB_CLASS}: a Service of another class "
                "belongs to another controller, and one with no class to the cluster's default (a cloud's own)",
            )
        return self.crashed()

    def restart(self) -> None | Failure:
        """Stopped, then started again with a new Service waiting: it gets the free address, not a taken one."""
        self.stop()
        self.create(
            "shop-0"
        )  # before the others by name: a controller that has not read them all yet gives it a taken one
        self.start()
        return self.give(
            "shop-0",
            f"a Service created while your controller was stopped; {' and '.join(self.free_addresses())} were free",
            "after a restart, your controller must still give out the free addresses",
            "after a restart, rebuild what your controller knows from the cluster before it gives out anything: "
            "list the Services and note the addresses their status holds (an informer waits for its cache to "
            "sync for the same reason); a dict in memory starts empty, and events come in the order of names",
            create=False,
        )

    def deleted(self) -> None | Failure:
        """The pool full, a Service deleted: a new one gets the address it held."""
        failure = self.give(
            "shop-3",
            f"{' and '.join(self.free_addresses())} was the pool's last free address",
            "give out every address of the pool",
            "give each Service an address that no other Service holds",
        )
        if failure:
            return failure
        freed = self.held.pop("shop-1")
        self.core.delete_namespaced_service("shop-1", NAMESPACE)
        try:
            poll_until(
                lambda: self.read("shop-1"), lambda seen: seen is None, what="shop-1 gone", timeout=WAIT, every=0.3
            )
        except WaitTimeout:
            left = self.read("shop-1")
            return Failure(
                f"Service shop-1, deleted, is still there {WAIT} s later (finalizers {left.metadata.finalizers})",
                "a finalizer your controller puts on a Service must come off once the address is released",
            )
        return self.give(
            "shop-4",
            f"the pool was full until shop-1, which held {freed}, was deleted",
            "release the address of a deleted Service (the watch's DELETED event) so that the next Service gets it",
            "give each Service an address that no other Service holds",
        )

    def retyped(self) -> None | Failure:
        """A Service changed to ClusterIP gives its address back."""
        freed = self.held.pop("shop-2")
        self.core.patch_namespaced_service("shop-2", NAMESPACE, {"spec": {"type": "ClusterIP"}})
        return self.give(
            "shop-5",
            f"the pool was full until shop-2, which held {freed}, was changed to type ClusterIP",
            "release the address of a Service that stops being a LoadBalancer of your class as you do for a "
            "deleted one: when its type changes, the API server empties its loadBalancerClass and its status, "
            "and your controller sees a MODIFIED event of a Service that is no longer yours",
            "give each Service an address that no other Service holds",
        )

    def nodes(self) -> None | Failure:
        """The tainted node initialised; the plain one left as it was."""

        def look() -> tuple[Any, Any]:
            return self.core.read_node(CLOUD_NODE), self.core.read_node(PLAIN_NODE)

        def initialised(seen: tuple[Any, Any]) -> bool:
            vm = seen[0]
            keys = {t.key for t in vm.spec.taints or []}
            return not self.program.alive or (bool(vm.spec.provider_id) and UNINITIALIZED not in keys)

        try:
            vm, plain = poll_until(look, initialised, what=f"{CLOUD_NODE} initialised", timeout=WAIT, every=0.5).seen
        except WaitTimeout:
            vm, _ = look()
            keys = [t.key for t in vm.spec.taints or []]
            return self.crashed() or Failure(
                f"node {CLOUD_NODE} still has providerID {vm.spec.provider_id!r} and taints {keys} after {WAIT} s",
                f"watch the nodes, and for each that carries the taint {UNINITIALIZED} set spec.providerID to "
                "threeplanes://<node name> and the cloud's labels, and remove that taint (keep the others)",
            )
        failure = self.crashed()
        if failure:
            return failure
        wrong = []
        if vm.spec.provider_id != f"threeplanes://{CLOUD_NODE}":
            wrong.append(f"providerID {vm.spec.provider_id!r}, not 'threeplanes://{CLOUD_NODE}'")
        labels = vm.metadata.labels or {}
        wrong += [f"label {k}={labels.get(k)!r}, not {v!r}" for k, v in CLOUD_LABELS.items() if labels.get(k) != v]
        if KEPT_TAINT["key"] not in {t.key for t in vm.spec.taints or []}:
            wrong.append(f"its other taint, {KEPT_TAINT['key']}, is gone")
        if wrong:
            return Failure(
                f"node {CLOUD_NODE} was initialised with {'; '.join(wrong)}",
                f"set spec.providerID to threeplanes://<node name> and the labels {CLOUD_LABELS}, and remove only "
                f"the taint {UNINITIALIZED}",
            )
        plain_labels = plain.metadata.labels or {}
        if plain.spec.provider_id or any(k in plain_labels for k in CLOUD_LABELS):
            return Failure(
                f"node {PLAIN_NODE}, which has no taint {UNINITIALIZED}, was given providerID "
                f"{plain.spec.provider_id!r} and labels {sorted(k for k in CLOUD_LABELS if k in plain_labels)}",
                f"initialise only the nodes that carry the taint {UNINITIALIZED}: the others are not your cloud's "
                "to describe (or were initialised already)",
            )
        return None


def play(ctx: Context, path: Path) -> dict[str, Failure | None]:
    """The scenario, played against the reader's controller on a control plane of the checker's own."""
    try:
        own = lab_control_plane("exercise-s5-cloud-controller")
    except LabError as error:
        return {
            "gives": Failure(
                f"the checker could not start its own control plane: {one_line(str(error))[:200]}",
                "this is not your program's doing: run the check again",
            )
        }
    scenario = Scenario(path, own, f"cloud-{ctx.namespace}"[:60])
    try:
        return scenario.play()
    finally:
        scenario.stop()
        own.remove()


step = scenario_steps(DEFAULT_FILE, play, reuse=REUSE)

FOUND = Criterion("Your controller's file is found", found(DEFAULT_FILE, "your cloud controller"))
GIVES = Criterion(
    "Each Service of the class gets an address of the pool that no other holds", step("gives"), needs=(FOUND,)
)
LEAVES = Criterion("Services of another class, or of none, stay pending", step("leaves"), needs=(GIVES,))
RESTART = Criterion("Restarted, it gives out no address that is taken", step("restart"), needs=(LEAVES,))
DELETED = Criterion("A deleted Service's address goes to the next one", step("deleted"), needs=(RESTART,))
RETYPED = Criterion("A Service changed to ClusterIP gives its address back", step("retyped"), needs=(DELETED,))
NODES = Criterion(
    "A node that waits for its cloud is initialised, and only such a node", step("nodes"), needs=(RETYPED,)
)

CHECKER = Checker(
    "A cloud controller of your own: addresses for your LoadBalancers, initialised nodes",
    [FOUND, GIVES, LEAVES, RESTART, DELETED, RETYPED, NODES],
)
