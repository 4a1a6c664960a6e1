"""Checker: the reader's own control plane does what a control plane must, judged by what it does.

It runs the reader's program itself (``python <file> FOLDER API_PORT ETCD_PORT``, the file the
namespace's annotation ``threeplanes.io/program`` names, else ``my_control_plane.py`` in
the current folder) on free loopback ports of its choosing, waits for it to print ``ready``, then
uses that control plane as a stranger, a user and an admin would: it asks for ``/readyz`` trusting
the reader's CA, presents a certificate from another CA (refused), a certificate of the reader's CA
for a user with no binding (authenticated, then forbidden, then allowed once bound to a Role), runs a
Deployment (a ReplicaSet, pods placed on a node and Ready, a deleted pod replaced), and stores a
Secret, which it reads back from the reader's etcd to see it encrypted. Each step waits for its
effect with a deadline; the program's crash is one sentence. The scenario runs once per check; the
framework's second look reads the same outcome.
"""

from __future__ import annotations

import http.client
import shutil
import ssl
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import urllib3
from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.programs import found, scenario_steps
from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.connect import connect
from threeplanes.kit.control_plane import etcd_tool, run_program
from threeplanes.kit.effects import poll_until
from threeplanes.kit.programs import ProgramFailed, ReaderProgram, run_reader_code
from threeplanes.system.assembly import Issued, Pki, free_port

DEFAULT_FILE = "my_control_plane.py"
START = 180  # seconds for the program to say "ready" (it starts five programs on a busy machine)
WAIT = 45  # seconds for each effect (pods are Ready on a simulated node within seconds)
REUSE = 120  # seconds an outcome serves the checker's second look
STEPS = ("serves", "authenticates", "authorizes", "reconciles", "schedules", "encrypts")


class Scenario:
    """One run of the reader's control plane, used as its users would use it."""

    def __init__(self, folder: Path, api_port: int, etcd_port: int, program: ReaderProgram) -> None:
        self.folder, self.program, self.etcd_port = folder, program, etcd_port
        self.server = f"https://127.0.0.1:{api_port}"
        self.ca = folder / "pki" / "ca.crt"

    def crashed(self) -> Failure | None:
        if self.program.alive:
            return None
        code = self.program.exit_code
        tail = self.program.log_tail(2).replace("\n", " | ")
        return Failure(
            f"your program ended (exit code {code}) while the checker was using its control plane",
            f"it must keep every component running until it is stopped; its last lines: {tail or '(none)'}",
        )

    def wait(self, look, shows, what: str, hint: str) -> Failure | None:
        try:
            poll_until(look, lambda seen: not self.program.alive or shows(seen), what=what, timeout=WAIT, every=0.5)
        except WaitTimeout as error:
            return self.crashed() or Failure(str(error), hint)
        return self.crashed()

    def play(self) -> dict[str, Failure | None]:
        results: dict[str, Failure | None] = {}
        for name in STEPS:
            try:
                results[name] = self.crashed() or getattr(self, name)()
            except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError) as error:
                results[name] = self.lost(error)
            if results[name] is not None:
                break
        return results

    def lost(self, error: Exception) -> Failure:
        """A request the control plane dropped: most often, the program is ending and its components with it."""
        try:
            poll_until(lambda: self.program.alive, lambda alive: not alive, what="the program's end", timeout=5)
        except WaitTimeout:
            pass
        return self.crashed() or Failure(
            f"your control plane stopped answering while the checker was using it ({type(error).__name__}: {error})",
            "it must keep every component running until it is stopped; read its log",
        )

    def serves(self) -> Failure | None:
        required = [self.ca, self.folder / "pki" / "ca.key", self.folder / "admin.kubeconfig"]
        missing = [str(p.relative_to(self.folder)) for p in required if not p.exists()]
        if missing:
            return Failure(
                f"your program said ready, and {', '.join(missing)} is missing from FOLDER ({self.folder})",
                "write the CA as FOLDER/pki/ca.crt and ca.key, and the admin's kubeconfig as FOLDER/admin.kubeconfig",
            )

        def readyz() -> str:
            """/readyz asked as the admin of FOLDER/admin.kubeconfig (anonymous requests may be refused)."""
            try:
                self.admin = connect(self.folder / "admin.kubeconfig", timeout=10)
                reply = self.admin.api_client.call_api(
                    "/readyz", "GET", auth_settings=["BearerToken"], _preload_content=False, _request_timeout=5
                )
                return reply.data.decode().strip()
            except (LabError, client.ApiException, OSError) as error:
                return " ".join(str(error).split())[:200]

        return self.wait(
            readyz,
            lambda answer: answer == "ok",
            f"{self.server}/readyz answering ok to your admin, trusting your CA",
            "the API server must listen on 127.0.0.1:API_PORT with a serving certificate your CA signed for "
            "127.0.0.1, FOLDER/admin.kubeconfig must reach it, and every check of its /readyz must pass",
        )

    def status_as(self, identity: Issued, path: str) -> int:
        """The HTTP status of ``GET path`` sent with ``identity``'s client certificate, trusting the reader's CA."""
        context = ssl.create_default_context(cafile=str(self.ca))
        context.load_cert_chain(str(identity.cert), str(identity.key))
        try:
            with urllib.request.urlopen(f"{self.server}{path}", timeout=10, context=context) as reply:
                return reply.status
        except urllib.error.HTTPError as error:
            return error.code

    def authenticates(self) -> Failure | None:
        stranger_ca = Pki.create(self.folder / "checker-stranger", name="not-your-ca")
        stranger = stranger_ca.issue("stranger", "stranger", organizations=("system:masters",))
        status = self.status_as(stranger, "/api/v1/namespaces")
        if status == 401:
            return None
        return Failure(
            f"a certificate signed by another CA, claiming the group system:masters, got {status}, not 401",
            "the API server must trust client certificates from your CA alone: --client-ca-file=FOLDER/pki/ca.crt",
        )

    def authorizes(self) -> Failure | None:
        probe = Pki.load(self.folder / "pki").issue("checker-probe", "checker-probe")
        pods = "/api/v1/namespaces/default/pods"
        status = self.status_as(probe, pods)
        if status == 200:
            return Failure(
                "the user checker-probe, with no role binding, listed the pods of default",
                "authorize with RBAC: --authorization-mode=Node,RBAC (AlwaysAllow lets every user do everything)",
            )
        if status != 403:
            return Failure(f"the user checker-probe, signed by your CA, got {status}, not 403", "authorize with RBAC")
        # A Role of the checker's own: the built-in `view` gets its rules from a controller (aggregation).
        rules = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]
        self.admin.rbac.create_namespaced_role("default", {"metadata": {"name": "checker-probe"}, "rules": rules})
        self.admin.rbac.create_namespaced_role_binding(
            "default",
            {
                "metadata": {"name": "checker-probe"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "checker-probe"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "checker-probe"}],
            },
        )
        return self.wait(
            lambda: self.status_as(probe, pods),
            lambda status: status == 200,
            "checker-probe allowed to list pods once bound to a Role that allows it",
            "authorize with RBAC",
        )

    def reconciles(self) -> Failure | None:
        labels = {"app": "checker"}
        body = {
            "metadata": {"name": "checker"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "web"}]}},
            },
        }
        self.admin.apps.create_namespaced_deployment("default", body)
        return self.wait(
            lambda: len(self.admin.core.list_namespaced_pod("default", label_selector="app=checker").items),
            lambda count: count == 2,
            "2 pods made for the checker's Deployment of 2 replicas",
            "nothing makes ReplicaSets and pods: start kube-controller-manager, with a kubeconfig of its own",
        )

    def pods(self) -> list:
        return self.admin.core.list_namespaced_pod("default", label_selector="app=checker").items

    def schedules(self) -> Failure | None:
        def ready(pods: list) -> bool:
            return len(pods) == 2 and all(
                p.spec.node_name and any(c.type == "Ready" and c.status == "True" for c in (p.status.conditions or []))
                for p in pods
            )

        failure = self.wait(
            self.pods,
            ready,
            "the checker's 2 pods placed on a node and Ready",
            "start kube-scheduler, and register a node that something keeps Ready and whose pods it runs (kwok, "
            "with stages for nodes and pods)",
        )
        if failure:
            placed = [p.spec.node_name for p in self.pods()]
            if not any(placed):
                failure = Failure(
                    f"{failure.saw} (no pod has a node)",
                    "start kube-scheduler (and give it a node): pods wait Pending until something binds them",
                )
            return failure
        victim = self.pods()[0].metadata.name
        self.admin.core.delete_namespaced_pod(victim, "default", grace_period_seconds=0)
        return self.wait(
            self.pods,
            lambda pods: ready(pods) and victim not in {p.metadata.name for p in pods},
            f"a new Ready pod in place of {victim}, deleted",
            "a deleted pod must be replaced and placed again: keep the controller manager, the scheduler and the "
            "node running",
        )

    def encrypts(self) -> Failure | None:
        secret = {"metadata": {"name": "checker"}, "stringData": {"word": "swordfish"}}
        self.admin.core.create_namespaced_secret("default", secret)
        try:
            stored = run_program(
                [
                    str(etcd_tool("etcdctl")),
                    f"--endpoints=http://127.0.0.1:{self.etcd_port}",
                    "get",
                    "/registry/secrets/default/checker",
                    "--print-value-only",
                ],
                capture_output=True,
                text=False,
                timeout=30,
                check=True,
            ).stdout
        except LabError as error:
            return Failure(
                f"etcd on 127.0.0.1:{self.etcd_port} could not be read ({error})",
                "run etcd with --listen-client-urls=http://127.0.0.1:ETCD_PORT, and the API server on it",
            )
        if not stored:
            return Failure(
                f"the Secret is not under /registry/secrets/default/checker in the etcd on {self.etcd_port}",
                "the API server must store its objects in the etcd on ETCD_PORT",
            )
        if b"swordfish" in stored or not stored.startswith(b"k8s:enc:"):
            return Failure(
                f"the Secret is stored in etcd in the clear (it begins {stored[:12]!r})",
                "give the API server an EncryptionConfiguration for secrets (--encryption-provider-config) whose "
                "first provider encrypts (secretbox, aesgcm or aescbc)",
            )
        return None


def play(ctx: Context, path: Path) -> dict[str, Failure | None]:
    """The scenario, played against the reader's control plane: its result per step, or ``{"starts": failure}``."""
    folder = Path(tempfile.mkdtemp(prefix="m3-check-"))
    api_port, etcd_port = free_port(), free_port()
    name = f"control-plane-{ctx.namespace}"[:60]
    try:
        with run_reader_code(
            path, kubeconfig=ctx.cluster.kubeconfig, args=[folder, api_port, etcd_port], deadline=600, name=name
        ) as program:
            try:
                program.wait_for_line("ready", timeout=START)
            except ProgramFailed as error:
                results = {"starts": Failure(str(error).split("\n")[0], "read its log and fix what it says")}
            else:
                results = {"starts": None, **Scenario(folder, api_port, etcd_port, program).play()}
            finally:
                program.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


step = scenario_steps(DEFAULT_FILE, play, reuse=REUSE)


FOUND = Criterion("Your program's file is found", found(DEFAULT_FILE, "your control plane"))
STARTS = Criterion("It starts and says ready", step("starts"), needs=(FOUND,))
SERVES = Criterion("The API server answers /readyz over TLS your CA vouches for", step("serves"), needs=(STARTS,))
AUTHENTICATES = Criterion("A certificate from another CA is refused", step("authenticates"), needs=(SERVES,))
AUTHORIZES = Criterion("A user is forbidden, then allowed once bound", step("authorizes"), needs=(AUTHENTICATES,))
RECONCILES = Criterion("A Deployment gets its pods", step("reconciles"), needs=(AUTHORIZES,))
SCHEDULES = Criterion("Its pods are placed, Ready, and replaced when deleted", step("schedules"), needs=(RECONCILES,))
ENCRYPTS = Criterion("Secrets are encrypted in etcd", step("encrypts"), needs=(SCHEDULES,))

CHECKER = Checker(
    "A control plane of your own that serves, authenticates, authorizes, reconciles, schedules and encrypts",
    [FOUND, STARTS, SERVES, AUTHENTICATES, AUTHORIZES, RECONCILES, SCHEDULES, ENCRYPTS],
)
