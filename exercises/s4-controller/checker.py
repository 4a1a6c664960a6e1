"""Checker: the reader's controller keeps a ConfigMap and a Deployment in step with each Greeting.

It runs the reader's program itself (``python <file> <namespace>``, the file the namespace's
annotation ``threeplanes.io/program`` names, else ``my_controller.py`` in the current folder)
and plays a scenario against it, in the reader's namespace: it creates a Greeting, waits for
the children and the status, changes the Greeting, changes it ten times in a row (so that some
of the controller's writes meet a 409 Conflict), deletes a child, and deletes the Greeting. Each
step waits for the effect with a deadline; a controller that crashed, or that did nothing, is
said in one sentence. The scenario runs once per check; the framework's second look reads the
same outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.programs import found, scenario_steps, until_first_failure
from threeplanes.errors import WaitTimeout
from threeplanes.kit.effects import poll_until
from threeplanes.kit.programs import ReaderProgram, run_reader_code

GROUP, VERSION, PLURAL = "threeplanes.io", "v1", "greetings"
NAME = "greeting-check"  # the Greeting the checker plays with
DEFAULT_FILE = "my_controller.py"
SETUP = ".venv/bin/threeplanes exercise setup s4-controller -n {namespace}"
WAIT = 40  # seconds for each effect (pods become Ready on simulated nodes within seconds)
REUSE = 60  # seconds an outcome serves the checker's second look
BURSTS, BURST = 3, 10  # rounds of quick changes, and changes per round

STEPS = ("made", "status", "change", "burst", "child", "deleted")


def type_installed(ctx: Context) -> Failure | None:
    api = client.ApiextensionsV1Api(ctx.cluster.api_client)
    if ctx.get(api.read_custom_resource_definition, f"{PLURAL}.{GROUP}") is None:
        return Failure("the Greeting type is not installed", f"run the setup: {SETUP.format(namespace=ctx.namespace)}")
    return None


# --- the scenario ------------------------------------------------------------------------------------------


class Scenario:
    """One run of the reader's controller against the checker's Greeting."""

    def __init__(self, ctx: Context, program: ReaderProgram | None = None) -> None:
        self.ctx, self.program = ctx, program
        self.custom, self.core, self.apps = ctx.cluster.custom, ctx.cluster.core, ctx.cluster.apps
        self.where = dict(group=GROUP, version=VERSION, namespace=ctx.namespace, plural=PLURAL)

    def greeting(self) -> dict | None:
        try:
            return self.custom.get_namespaced_custom_object(**self.where, name=NAME)
        except client.ApiException as error:
            if error.status == 404:
                return None
            raise

    def children(self) -> tuple[Any, Any]:
        config_map = self.ctx.get(self.core.read_namespaced_config_map, NAME, self.ctx.namespace)
        deployment = self.ctx.get(self.apps.read_namespaced_deployment, NAME, self.ctx.namespace)
        return config_map, deployment

    def seen(self) -> dict:
        config_map, deployment = self.children()
        greeting = self.greeting() or {}
        return {
            "message": (config_map.data or {}).get("message") if config_map else None,
            "replicas": deployment.spec.replicas if deployment else None,
            "ready": greeting.get("status", {}).get("ready"),
            "config_map": config_map,
            "deployment": deployment,
        }

    def crashed(self) -> Failure | None:
        """One sentence on a controller that ended; None while it runs."""
        program = self.program
        if program.alive:
            return None
        code, where, output = program.exit_code, program.where_it_failed(), program.output()
        ended = f"was ended by signal {-code}" if code < 0 else f"exited with code {code}"
        if program.printed_traceback:
            ended += " after printing a traceback" + (f" that points at {where}" if where else "")
        saw = f"your controller {ended}"
        if code == 0:
            hint = "a controller runs until it is stopped: loop over a watch of the Greetings, for ever"
        elif "409" in output or "Conflict" in output:
            hint = (
                "a write was refused with 409 Conflict (the Greeting changed since your controller read it): "
                "catch it, read the Greeting again and retry, instead of letting the exception end the program"
            )
        else:
            tail = " | ".join(line.strip() for line in program.log_tail(2).splitlines())
            hint = f"read its last lines and fix that: {tail or '(it printed nothing)'}"
        return Failure(saw, hint)

    def wait(self, wanted: dict, what: str, hint: str) -> Failure | None:
        """Wait until the children and status show ``wanted``; a crash or a timeout is a Failure."""

        def shows(seen: dict) -> bool:
            return not self.program.alive or all(seen[k] == v for k, v in wanted.items())

        try:
            poll_until(self.seen, shows, what=what, timeout=WAIT, every=0.5)
        except WaitTimeout:
            last = self.seen()
            differs = ", ".join(f"{k} {last[k]!r} (wanted {v!r})" for k, v in wanted.items() if last[k] != v)
            return self.crashed() or Failure(f"{what}: after {WAIT} s, {differs}", hint)
        return self.crashed()

    def patch(self, spec: dict) -> None:
        self.custom.patch_namespaced_custom_object(**self.where, name=NAME, body={"spec": spec})

    def play(self) -> dict[str, Failure | None]:
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "Greeting",
            "metadata": {"name": NAME},
            "spec": {"message": "hello", "replicas": 2},
        }
        self.custom.create_namespaced_custom_object(**self.where, body=body)
        steps = [
            ("made", self.made),
            ("status", self.status),
            ("change", self.change),
            ("burst", self.burst),
            ("child", self.child),
            ("deleted", self.deleted),
        ]
        return until_first_failure(steps)

    def made(self) -> Failure | None:
        return self.wait(
            {"message": "hello", "replicas": 2},
            f"a ConfigMap {NAME} with message 'hello' and a Deployment {NAME} of 2 replicas",
            "for each Greeting, create a ConfigMap named after it with data.message = spec.message, and a "
            "Deployment named after it with spec.replicas replicas",
        )

    def status(self) -> Failure | None:
        return self.wait(
            {"ready": 2},
            f"status.ready of Greeting {NAME} to be 2",
            "write status.ready (the Deployment's status.readyReplicas) through the status subresource "
            "(replace_ or patch_namespaced_custom_object_status), and again as the pods become ready",
        )

    def change(self) -> Failure | None:
        self.patch({"message": "bonjour", "replicas": 3})
        return self.wait(
            {"message": "bonjour", "replicas": 3, "ready": 3},
            "the children and status to follow a change to message 'bonjour' and 3 replicas",
            "your controller made the children but does not follow changes: on every event (MODIFIED too) "
            "compare what the Greeting asks for with what is there, and fix the children that differ",
        )

    def burst(self) -> Failure | None:
        for round_ in range(BURSTS):
            for i in range(BURST):
                self.patch({"message": f"burst {round_}.{i}"})
            failure = self.wait(
                {"message": f"burst {round_}.{BURST - 1}"},
                f"the ConfigMap to hold the last of {BURST} quick changes",
                "after a burst of changes, act on the Greeting as it is now (read it again), not on an old event",
            )
            if failure:
                return failure
        return None

    def child(self) -> Failure | None:
        config_map, _ = self.children()
        self.core.delete_namespaced_config_map(NAME, self.ctx.namespace)

        def back(seen: dict) -> bool:
            made = seen["config_map"]
            return not self.program.alive or (made is not None and made.metadata.uid != config_map.metadata.uid)

        try:
            poll_until(self.seen, back, what=f"ConfigMap {NAME} to be made again", timeout=WAIT, every=0.5)
        except WaitTimeout:
            return self.crashed() or Failure(
                f"the ConfigMap {NAME}, deleted, was not made again within {WAIT} s",
                "list every Greeting again now and then (a watch that ends and starts again does it) and "
                "recreate the children that are missing: a controller acts on what is there, not only on events",
            )
        return self.crashed()

    def deleted(self) -> Failure | None:
        self.custom.delete_namespaced_custom_object(**self.where, name=NAME)

        def gone(seen: dict) -> bool:
            return seen["config_map"] is None and seen["deployment"] is None

        try:
            poll_until(self.seen, gone, what=f"the children of Greeting {NAME} to go", timeout=WAIT, every=0.5)
        except WaitTimeout:
            left = [k.replace("_", " ") for k in ("config_map", "deployment") if self.seen()[k] is not None]
            return Failure(
                f"the Greeting was deleted and its {' and '.join(left)} survived it",
                "give each child an owner reference to its Greeting (metadata.ownerReferences with the "
                "Greeting's apiVersion, kind, name and uid): the garbage collector then deletes them with it",
            )
        return None

    def clear(self) -> None:
        """Delete the checker's Greeting and whatever children an earlier run left."""
        for delete in (
            lambda: self.custom.delete_namespaced_custom_object(**self.where, name=NAME),
            lambda: self.core.delete_namespaced_config_map(NAME, self.ctx.namespace),
            lambda: self.apps.delete_namespaced_deployment(NAME, self.ctx.namespace),
        ):
            try:
                delete()
            except client.ApiException as error:
                if error.status != 404:
                    raise
        poll_until(
            lambda: (self.greeting(), *self.children()),
            lambda seen: seen == (None, None, None),
            what=f"the checker's Greeting {NAME} of an earlier check to go",
            timeout=WAIT,
        )


def play(ctx: Context, path: Path) -> dict[str, Failure | None]:
    """The scenario, played against the reader's controller: its result per step."""
    name = f"controller-{ctx.namespace}"[:60]
    scenario = Scenario(ctx)
    scenario.clear()
    with run_reader_code(path, kubeconfig=ctx.cluster.kubeconfig, args=[ctx.namespace], deadline=300, name=name) as p:
        scenario.program = p
        try:
            results = scenario.play()
        finally:
            p.stop()
            scenario.clear()
    return results


step = scenario_steps(DEFAULT_FILE, play, reuse=REUSE)


FOUND = Criterion("Your controller's file is found", found(DEFAULT_FILE, "your controller"))
TYPE = Criterion("The Greeting type is installed", type_installed)
MADE = Criterion("A new Greeting gets its ConfigMap and Deployment", step("made"), needs=(FOUND, TYPE))
STATUS = Criterion("Its status.ready counts the ready pods", step("status"), needs=(MADE,))
CHANGE = Criterion("A change of message and replicas is followed", step("change"), needs=(STATUS,))
BURST_ = Criterion(
    "A burst of changes (and the conflicts it causes) ends on the last one", step("burst"), needs=(CHANGE,)
)
CHILD = Criterion("A child deleted behind its back is made again", step("child"), needs=(BURST_,))
DELETED = Criterion("The children go with their Greeting", step("deleted"), needs=(CHILD,))

CHECKER = Checker(
    "Keep a ConfigMap and a Deployment in step with each Greeting",
    [FOUND, TYPE, MADE, STATUS, CHANGE, BURST_, CHILD, DELETED],
)
