"""Checker: the reader's grant lets the dashboard render every panel live, and lets its token do nothing else.

A ClusterRoleBinding is cluster-wide, and a wrong answer may bind ``cluster-admin``, so the reader's file
(``dashboard-rbac.yaml``, or the file the namespace's annotation ``threeplanes.io/program`` names) is never
applied to the book's cluster: the checker starts a control plane of its own (``lab_control_plane``) with
one simulated node, makes the namespaces ``dashboard`` (with the ServiceAccount ``dashboard``), ``shop`` (a
Deployment ``web`` and a Secret) and ``other`` (a Deployment too), applies the file with kubectl, and then
judges by running the scenario:

1. the dashboard of the lab S10 (``threeplanes.system.dashboard``), given a token of ``dashboard`` from the
   TokenRequest API and nothing else, renders every panel (nodes, the Deployments and the events of
   ``shop``) live: listed, then watched;
2. it follows a change: ``web`` scaled to 3 shows as 3/3 on the page;
3. the same token is refused (403) every request the page never needs: writes as server-side dry runs
   (create a pod, delete or scale ``web``, delete the namespace, cordon the node, bind ``cluster-admin``)
   and reads beyond the page (Secrets of ``shop``, Deployments and events of ``other``).

It reads the roles and bindings back only to word a hint. The scenario runs once per check; the framework's
second look reads the same outcome. The control plane is removed at the end.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.programs import found, played_on_own_plane, scenario_steps, until_first_failure
from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.control_plane import Node
from threeplanes.kit.effects import poll_until
from threeplanes.kit.identity import api_as, request_token
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.lab_planes import LabPlane
from threeplanes.kit.wait import wait_for_rollout
from threeplanes.system.dashboard import (
    Dashboard,
    ShownPage,
    shown,
    try_requests,
)

DEFAULT_FILE = "dashboard-rbac.yaml"
HOME, SHOWN, OTHER = "dashboard", "shop", "other"  # the account's namespace, the page's, one it must not read
ACCOUNT = "dashboard"
NODE = "node-a"
LIVE_SECONDS = 12  # for every panel to be live (RBAC's cache takes a moment to hold new bindings)
REUSE = 120  # seconds an outcome serves the checker's second look
STEPS = ("applies", "renders", "follows", "confined")
SUBJECT = f"the ServiceAccount {ACCOUNT} in the namespace {HOME}"
READ = "verbs: [get, list, watch]"


def deployment(name: str, replicas: int) -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": name, "image": "web"}]}},
        },
    }


def one_line(text: str, limit: int = 400) -> str:
    return " ".join(text.split())[:limit]


class Scenario:
    """The reader's grant on the checker's own control plane, and the dashboard run with it."""

    def __init__(self, own: LabPlane, path: Path) -> None:
        self.own, self.path, self.cluster = own, path, own.cluster
        self.rbac = client.RbacAuthorizationV1Api(self.cluster.api_client)
        self.board: Dashboard | None = None
        self.as_dashboard: client.ApiClient | None = None

    def play(self) -> dict[str, Failure | None]:
        try:
            results = until_first_failure((name, getattr(self, name)) for name in STEPS)
        finally:
            if self.board is not None:
                self.board.stop()
        return results

    # --- the steps --------------------------------------------------------------------------------------

    def applies(self) -> Failure | None:
        for namespace in (HOME, SHOWN, OTHER):
            self.cluster.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
        self.cluster.core.create_namespaced_service_account(HOME, {"metadata": {"name": ACCOUNT}})
        self.cluster.core.create_namespaced_secret(
            SHOWN, {"metadata": {"name": "db-password"}, "stringData": {"password": "not-for-the-page"}}
        )
        for namespace, name in ((SHOWN, "web"), (OTHER, "billing")):
            poll_until(  # a namespace takes pods once the controller manager made its ServiceAccount default
                lambda ns=namespace: self.cluster.core.list_namespaced_service_account(ns).items,
                lambda accounts: any(a.metadata.name == "default" for a in accounts),
                what=f"the ServiceAccount default in {namespace}",
                timeout=60,
                every=0.3,
            )
            self.cluster.apps.create_namespaced_deployment(namespace, deployment(name, 2))
        wait_for_rollout(self.cluster, SHOWN, "web", timeout=60)
        try:
            kubectl(f"apply -f {shlex.quote(str(self.path))}", self.cluster, show=False)
        except LabError as error:
            said = one_line(str(getattr(error, "stderr", None) or getattr(error, "stdout", None) or error))
            return Failure(
                f"kubectl apply -f {self.path.name} on the checker's control plane answered: {said}",
                "fix what kubectl says; each object needs its apiVersion rbac.authorization.k8s.io/v1, and the "
                f"namespaced ones their namespace ({SHOWN} for what the page reads there); kubectl apply "
                f"--dry-run=server -f {self.path.name} shows the same answer and stores nothing",
            )
        return None

    def renders(self) -> Failure | None:
        self.as_dashboard = api_as(self.cluster, request_token(self.cluster, HOME, ACCOUNT, seconds=600))
        self.board = Dashboard(self.as_dashboard, SHOWN)
        url = self.board.start()
        try:
            page = poll_until(
                lambda: shown(url),
                lambda page: set(page.states().values()) == {"live"},
                what="every panel of the dashboard live",
                describe=lambda page: str(page.states()),
                timeout=LIVE_SECONDS,
                every=0.5,
            ).seen
        except WaitTimeout:
            return self.why_not_live(shown(url))
        nodes, web = page.panels["nodes"].column("NAME"), page.panels["deployments"].row("web")
        if NODE not in nodes or web is None or web["READY"] != "2/2" or not page.panels["events"].rows:
            return Failure(
                f"every panel was live, yet the page showed nodes {nodes}, the Deployment web as {web} and "
                f"{len(page.panels['events'].rows)} events",
                f"grant reading in the namespace {SHOWN}, where web and its events are, and of every node",
            )
        return None

    def why_not_live(self, page: ShownPage) -> Failure:
        waiting = [(k, p) for k, p in page.panels.items() if p.state != "live"]
        if not waiting:  # live a moment after the deadline: a busy machine, not the reader's grant
            return Failure(f"the panels took more than {LIVE_SECONDS} s to be live", "check again")
        key, panel = waiting[0]
        saw = f"for {LIVE_SECONDS} s the dashboard's {key} panel was {panel.state}: {one_line(panel.message)}"
        if panel.state == "stale":
            return Failure(
                saw,
                "the page lists each kind once, then follows it with a watch: a read-only dashboard needs "
                f"{READ}, watch included",
            )
        if key == "nodes":
            return Failure(
                saw,
                "nodes belong to no namespace, so only a ClusterRoleBinding can grant them (a RoleBinding grants "
                f"in its own namespace only): bind a ClusterRole with {READ} on nodes to {SUBJECT}",
            )
        roles = self.rbac.list_namespaced_role(SHOWN).items
        elsewhere = [
            f"{r.metadata.name} in {r.metadata.namespace}"
            for r in self.rbac.list_role_for_all_namespaces().items
            if r.metadata.namespace != SHOWN and any(key in (rule.resources or []) for rule in r.rules or [])
        ]
        if elsewhere and not roles:
            return Failure(
                saw,
                f"your Role ({', '.join(elsewhere)}) is in the wrong namespace: a Role and its RoleBinding grant in "
                f"their own namespace, and the page reads {key} in {SHOWN}: put both in the namespace {SHOWN}",
            )
        if key == "events":
            return Failure(
                saw,
                f'the page reads core events (apiGroups: [""], resources: [events]; not the group events.k8s.io): '
                f"add them, with {READ}, to the rules bound in {SHOWN}",
            )
        return Failure(
            saw,
            f"grant {READ} on deployments (apiGroups: [apps]) in the namespace {SHOWN} to {SUBJECT}, "
            "with a Role and a RoleBinding there",
        )

    def follows(self) -> Failure | None:
        assert self.board is not None
        self.cluster.apps.patch_namespaced_deployment_scale("web", SHOWN, {"spec": {"replicas": 3}})
        try:
            poll_until(
                lambda: shown(self.board.url).panels["deployments"].row("web"),
                lambda row: row is not None and row["READY"] == "3/3",
                what="the page to show web 3/3",
                describe=str,
                timeout=60,
                every=0.5,
            )
        except WaitTimeout as error:
            return Failure(
                f"web was scaled to 3, and the page did not follow: {error}",
                f"the page keeps its panels current with a watch: keep {READ} on deployments in {SHOWN}",
            )
        return None

    def confined(self) -> Failure | None:
        assert self.as_dashboard is not None
        attempts = try_requests(self.as_dashboard, SHOWN, elsewhere=OTHER, deployment="web", node=NODE)
        allowed = [a.what for a in attempts if not a.refused]
        if not allowed:
            return None
        saw = f"the dashboard's token was not refused (403) when it tried to: {'; '.join(allowed)}"
        if any("cluster-admin" in what for what in allowed):
            return Failure(
                saw,
                "cluster-admin (or any rule on RBAC objects or '*') lets whoever holds the page's token give "
                f"itself everything: bind only ClusterRoles and Roles of your own, with {READ}",
            )
        if any(what.startswith(("create", "delete", "scale", "cordon")) for what in allowed):
            return Failure(
                saw,
                f"the page never writes: list the read verbs only, {READ}, not '*' or create, update, patch, delete",
            )
        if any("Secrets" in what for what in allowed):
            return Failure(saw, "the page shows no Secrets: grant nothing on secrets (and no resources: ['*'])")
        return Failure(
            saw,
            f"a ClusterRoleBinding grants in every namespace: bind the rules for deployments and events with a "
            f"RoleBinding in {SHOWN}, and keep the ClusterRoleBinding for nodes",
        )


def play(ctx: Context, path: Path) -> dict[str, Failure | None]:
    """The scenario's result per step, or ``{"applies": failure}`` when the checker's control plane fails it."""
    return played_on_own_plane(
        "exercise-s10-dashboard-rbac",
        lambda own: Scenario(own, path).play(),
        "applies",
        nodes=(Node(NODE, zone="zone-a"),),
    )


step = scenario_steps(DEFAULT_FILE, play, reuse=REUSE)

FOUND = Criterion("Your grant's file is found", found(DEFAULT_FILE, "your roles and bindings"))
APPLIES = Criterion("It applies to a control plane of the checker's own", step("applies"), needs=(FOUND,))
RENDERS = Criterion(
    "The dashboard, with the account's token, shows every panel live: nodes, Deployments, events",
    step("renders"),
    needs=(APPLIES,),
)
FOLLOWS = Criterion("The page follows a change (web scaled to 3)", step("follows"), needs=(RENDERS,))
CONFINED = Criterion("The token is refused everything the page does not need", step("confined"), needs=(FOLLOWS,))

CHECKER = Checker(
    "A dashboard's identity with exactly the rights its panels need",
    [FOUND, APPLIES, RENDERS, FOLLOWS, CONFINED],
)
