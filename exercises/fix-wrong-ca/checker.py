"""Checker of the fix-wrong-ca mission: the CI's kubeconfig authenticates to the mission's own control plane as
the CI's identity again, with a certificate the plane's CA signed.

The mission's setup starts a control plane of its own for the reader's namespace (``MissionPlane``: kwokctl's
processes in ``<cache>/missions/<namespace>/fix-wrong-ca``, one simulated node), whose CA is in the mission's
folder (``pki/ca.crt`` and ``ca.key``), and gives the group ``shop-deployers`` the ClusterRole ``edit`` in the
namespace ``shop``. The CI's kubeconfig, ``ci.kubeconfig``, presents the client certificate ``ci/ci.crt``
(CN ``ci-deployer``, O ``shop-deployers``), signed by another CA, the one the cluster used before: the API server
cannot verify it and answers 401. The reader issues a proper one. The checker uses the CI's kubeconfig as the CI
would:

1. the plane answers, to the administrator (else: run the setup);
2. the CI's kubeconfig is authenticated: a SelfSubjectReview is answered (not 401);
3. it is the CI's identity: the user ``ci-deployer`` in the group ``shop-deployers``, and not in
   ``system:masters`` (an administrator's certificate hides the symptom, and gives the CI every right);
4. the CI's job works: it creates a ConfigMap in ``shop`` (a dry run) and is refused the Secrets of
   ``kube-system``.

The certificate is read only to explain a failure. The helpers the setup, the teardown and the test cases share
are here (``MissionPlane``), for the rule that an exercise keeps its code in its own folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import urllib3
import yaml
from kubernetes import client, config

from threeplanes.checking import Checker, Context, Criterion, Failure, missions
from threeplanes.errors import LabError
from threeplanes.kit.control_plane import Node

ID = "fix-wrong-ca"
SHOP = "shop"
USER, GROUP = "ci-deployer", "shop-deployers"
NODE = "worker-a"
SETUP = ".venv/bin/threeplanes exercise setup fix-wrong-ca -n {namespace}"


class MissionPlane(missions.MissionPlane):
    """The control plane of one namespace's mission: its folder, the kwokctl cluster in it, its files."""

    exercise_id = ID
    nodes = (Node(NODE, zone="zone-a"),)

    @property
    def ci_kubeconfig(self) -> Path:
        return self.folder / "ci.kubeconfig"

    @property
    def pki(self) -> Path:
        """The plane's CA, as the reader sees it: ``ca.crt`` and ``ca.key``."""
        return self.folder / "pki"

    @property
    def ci(self) -> Path:
        return self.folder / "ci"

    def after_up(self) -> None:
        """The plane's CA, copied where the reader finds it."""
        self.pki.mkdir()
        for name in ("ca.crt", "ca.key"):
            shutil.copyfile(self.local.cluster_dir() / "pki" / name, self.pki / name)
            (self.pki / name).chmod(0o600)

    def server(self) -> str:
        return yaml.safe_load(self.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]

    def write_ci_kubeconfig(self) -> None:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "shop",
                    "cluster": {"server": self.server(), "certificate-authority": str(self.pki / "ca.crt")},
                }
            ],
            "users": [
                {
                    "name": USER,
                    "user": {"client-certificate": str(self.ci / "ci.crt"), "client-key": str(self.ci / "ci.key")},
                }
            ],
            "contexts": [{"name": "ci", "context": {"cluster": "shop", "user": USER, "namespace": SHOP}}],
            "current-context": "ci",
        }
        self.ci_kubeconfig.write_text(yaml.safe_dump(config, sort_keys=False))


# --- the checks -------------------------------------------------------------------------------------


def _plane(ctx: Context) -> MissionPlane:
    return MissionPlane(ctx.namespace)


def plane_answers(ctx: Context) -> Failure | None:
    plane = _plane(ctx)
    setup = "set the mission up first: " + SETUP.format(namespace=ctx.namespace)
    if not plane.exists():
        return Failure(f"no control plane of the mission for the namespace {ctx.namespace}", setup)
    try:
        plane.cluster().core.read_namespace(SHOP)
    except (LabError, client.ApiException, OSError) as error:
        return Failure(f"the mission's API server did not answer ({' '.join(str(error).split())[:160]})", setup)
    return None


def _ci(ctx: Context) -> client.ApiClient | Failure:
    if "ci" not in ctx.notes:
        try:
            ctx.notes["ci"] = config.new_client_from_config(str(_plane(ctx).ci_kubeconfig))
        except (config.ConfigException, OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as error:
            ctx.notes["ci"] = Failure(
                f"the CI's kubeconfig could not be loaded ({' '.join(str(error).split())[:200]})",
                f"kubectl must be able to read it: kubectl --kubeconfig {_plane(ctx).ci_kubeconfig} config view",
            )
    return ctx.notes["ci"]


def _review(ctx: Context):
    ci = _ci(ctx)
    if isinstance(ci, Failure):
        return ci
    if "review" not in ctx.notes:
        try:
            body = client.V1SelfSubjectReview()
            ctx.notes["review"] = client.AuthenticationV1Api(ci).create_self_subject_review(body, _request_timeout=15)
        except client.ApiException as error:
            ctx.notes["review"] = error
        except (OSError, LabError, urllib3.exceptions.HTTPError) as error:  # TLS: the server's certificate refused
            ctx.notes["review"] = error
    return ctx.notes["review"]


def authenticated(ctx: Context) -> Failure | None:
    review = _review(ctx)
    if isinstance(review, Failure):
        return review
    if isinstance(review, client.ApiException):
        return Failure(
            f"the API server answered {review.status} {review.reason} to the CI's kubeconfig "
            f"({_plane(ctx).ci_kubeconfig})",
            "the API server did not accept its client certificate: compare who signed it (openssl x509 -noout "
            "-issuer -in FILE) with the CA the API server trusts for clients",
        )
    if isinstance(review, Exception):
        return Failure(
            f"the CI's kubeconfig did not reach the API server ({' '.join(str(review).split())[:200]})",
            "keep its server and certificate-authority as they were: they are right",
        )
    return None


def identity(ctx: Context) -> Failure | None:
    info = _review(ctx).status.user_info
    groups = list(info.groups or [])
    if "system:masters" in groups:
        return Failure(
            f"the CI's kubeconfig authenticates as {info.username} in the group system:masters, an administrator: "
            "that hides the symptom, and the CI could do anything anywhere",
            f"issue the CI a certificate of its own, for the user {USER} in the group {GROUP}",
        )
    if info.username != USER or GROUP not in groups:
        return Failure(
            f"the CI's kubeconfig authenticates as the user {info.username} in the groups {', '.join(groups)}, not "
            f"{USER} in {GROUP}",
            "the API server reads the user from the certificate's common name (CN) and the groups from its "
            "organisations (O): issue one that says who the CI is",
        )
    return None


def job_works(ctx: Context) -> Failure | None:
    core = client.CoreV1Api(_ci(ctx))
    probe = {"metadata": {"name": "ci-probe"}, "data": {"a": "b"}}
    try:
        core.create_namespaced_config_map(SHOP, probe, dry_run="All")
    except client.ApiException as error:
        return Failure(
            f"as the CI, creating a ConfigMap in {SHOP} was refused ({error.status})",
            f"see to whom the bindings of {SHOP} give rights (kubectl get rolebindings -n {SHOP} -o wide) and what "
            "the certificate says the CI is",
        )
    try:
        core.list_namespaced_secret("kube-system")
    except client.ApiException as error:
        if error.status == 403:
            return None
        raise
    return Failure(
        "as the CI, listing the Secrets of kube-system was allowed: it has more than its job needs",
        f"the CI's rights are those of the group {GROUP} in {SHOP}",
    )


PLANE = Criterion("The mission's control plane answers", plane_answers)
AUTHENTICATED = Criterion("The CI's kubeconfig is authenticated", authenticated, (PLANE,))
IDENTITY = Criterion("As the CI's own identity, ci-deployer in shop-deployers", identity, (AUTHENTICATED,))
JOB = Criterion("The CI's job works in shop, and nothing more", job_works, (IDENTITY,))

CHECKER = Checker("The CI reaches the shop's cluster again, as itself", [PLANE, AUTHENTICATED, IDENTITY, JOB])
