"""Setup of the fix-wrong-ca mission: a control plane of the mission's own, and a CI kubeconfig whose client
certificate another CA signed.

It starts the plane for the reader's namespace (``checker.MissionPlane``), copies its CA into the mission's
folder (``pki/ca.crt``, ``pki/ca.key``), makes the namespace ``shop`` and the RoleBinding ``deployers`` that gives
the group ``shop-deployers`` the ClusterRole ``edit`` there. Then it makes a CA of its own, the one "the cluster
used before", issues with it the CI's certificate (CN ``ci-deployer``, O ``shop-deployers``) into ``ci/``, throws
that CA away, and writes ``ci.kubeconfig`` (the plane's server and CA, the CI's certificate and key). The
ConfigMap ``mission`` in the reader's namespace of the book's cluster names the files. Running the setup again
starts the mission over; mission planes whose namespace is gone are removed first.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from threeplanes.checking import missions
from threeplanes.system.assembly import Pki


def apply(book, namespace: str) -> None:
    m = missions.load_part(Path(__file__).parent)
    missions.clear_gone_mission_planes(book, m.MissionPlane)
    plane = m.MissionPlane(namespace)
    cluster = plane.start()
    cluster.core.create_namespace({"metadata": {"name": m.SHOP}})
    cluster.rbac.create_namespaced_role_binding(
        m.SHOP,
        {
            "metadata": {"name": "deployers"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": m.GROUP}],
        },
    )
    old = Path(tempfile.mkdtemp(prefix="fix-wrong-ca-"))
    try:
        issued = Pki.create(old / "ca", name="shop-cluster-ca-2025").issue("ci", m.USER, organizations=(m.GROUP,))
        plane.ci.mkdir()
        shutil.copyfile(issued.cert, plane.ci / "ci.crt")
        shutil.copyfile(issued.key, plane.ci / "ci.key")
        (plane.ci / "ci.key").chmod(0o600)
    finally:
        shutil.rmtree(old, ignore_errors=True)
    plane.write_ci_kubeconfig()
    data = {
        "folder": str(plane.folder),
        "kubeconfig": str(plane.kubeconfig),
        "ci-kubeconfig": str(plane.ci_kubeconfig),
        "ca": str(plane.pki),
    }
    missions.record_mission(book, namespace, data)
    print(f"The mission's control plane runs; its files are in {plane.folder}.")
