"""A control plane of one's own: certificates, etcd, the API server, the controller manager, the
scheduler and one simulated node, on the ports the checker gives.

Run it as the checker does: python my_control_plane.py FOLDER API_PORT ETCD_PORT
It writes FOLDER/admin.kubeconfig and FOLDER/pki/ca.crt and ca.key, prints "ready" once every
component answers, and runs until it is stopped.
"""

import base64
import os
import signal
import sys
from pathlib import Path

from kubernetes import client, config

from threeplanes.kit.control_plane import component_binary
from threeplanes.system.assembly import Assembly, Pki, free_port, write_kubeconfig

AUTHORIZATION = "Node,RBAC"
STAGES = """\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: node-ready}
spec:
  resourceRef: {apiGroup: v1, kind: Node}
  selector:
    matchExpressions:
    - {key: .status.phase, operator: DoesNotExist}
  next:
    statusTemplate: |
      phase: Running
      conditions:
      - {type: Ready, status: "True", reason: KubeletReady, lastHeartbeatTime: {{ Now | Quote }}}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: pod-running}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - {key: .metadata.deletionTimestamp, operator: DoesNotExist}
    - {key: .status.phase, operator: In, values: [Pending]}
  next:
    statusTemplate: |
      phase: Running
      conditions:
      {{ range list "Initialized" "ContainersReady" "Ready" }}
      - {type: {{ . }}, status: "True", lastTransitionTime: {{ Now | Quote }}}
      {{ end }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: pod-delete}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - {key: .metadata.deletionTimestamp, operator: Exists}
  next:
    delete: true
"""


def encryption_config(folder: Path) -> Path:
    key = base64.b64encode(os.urandom(32)).decode()
    path = folder / "encryption.yaml"
    path.write_text(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
        f"- resources: [secrets]\n  providers:\n  - secretbox:\n      keys: [{{name: k1, secret: {key}}}]\n"
        "  - identity: {}\n"
    )
    return path


def register_node(admin: Path) -> None:
    """One worker, as a kubelet would register it; kwok (the nodes labelled type=kwok) keeps it Ready."""
    core = client.CoreV1Api(config.new_client_from_config(str(admin)))
    size = {"cpu": "8", "memory": "16Gi", "pods": "110"}
    core.create_node(
        {
            "metadata": {"name": "worker", "labels": {"type": "kwok"}},
            "status": {"allocatable": size, "capacity": size},
        }
    )


def main(folder: Path, api_port: int, etcd_port: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    parts = Assembly(folder / "run")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that the components are stopped on the way out
    pki = Pki.create(folder / "pki")
    server = f"https://127.0.0.1:{api_port}"
    serving = pki.issue("apiserver", "kube-apiserver", hosts=("127.0.0.1", "localhost"), server=True)
    tokens = pki.key_pair("service-accounts")
    configs, identities = {}, {}
    for user, groups in [
        ("admin", ("system:masters",)),
        ("system:kube-scheduler", ()),
        ("system:kube-controller-manager", ()),
        ("kwok", ("system:masters",)),
    ]:
        identity = identities[user] = pki.issue(user.rsplit(":", 1)[-1], user, organizations=groups)
        configs[user] = write_kubeconfig(
            folder / f"{user.rsplit(':', 1)[-1]}.kubeconfig", server, pki.ca.cert, identity, user
        )

    etcd = f"http://127.0.0.1:{etcd_port}"
    peer = f"http://127.0.0.1:{free_port()}"
    parts.start(
        "etcd",
        component_binary("etcd"),
        {
            "name": "one",
            "data-dir": folder / "etcd",
            "listen-client-urls": etcd,
            "advertise-client-urls": etcd,
            "listen-peer-urls": peer,
            "initial-advertise-peer-urls": peer,
            "initial-cluster": f"one={peer}",
        },
    )
    parts.wait_until("etcd", f"{etcd}/readyz")
    parts.start(
        "kube-apiserver",
        component_binary("kube-apiserver"),
        {
            "etcd-servers": etcd,
            "bind-address": "127.0.0.1",
            "secure-port": api_port,
            "tls-cert-file": serving.cert,
            "tls-private-key-file": serving.key,
            "client-ca-file": pki.ca.cert,
            "service-account-issuer": "https://kubernetes.default.svc",
            "service-account-key-file": tokens.cert,
            "service-account-signing-key-file": tokens.key,
            "service-cluster-ip-range": "10.96.0.0/16",
            "authorization-mode": AUTHORIZATION,
            "encryption-provider-config": encryption_config(folder),
        },
    )
    parts.wait_until("kube-apiserver", f"{server}/readyz", ca=pki.ca.cert, identity=identities["admin"], timeout=120)
    manager_port, scheduler_port = free_port(), free_port()
    manager = {
        "kubeconfig": configs["system:kube-controller-manager"],
        "bind-address": "127.0.0.1",
        "secure-port": manager_port,
        "root-ca-file": pki.ca.cert,
        "service-account-private-key-file": tokens.key,
        "use-service-account-credentials": "true",
        "leader-elect": "false",
    }
    scheduler = {
        "kubeconfig": configs["system:kube-scheduler"],
        "bind-address": "127.0.0.1",
        "secure-port": scheduler_port,
        "leader-elect": "false",
    }
    (folder / "stages.yaml").write_text(STAGES)
    kwok = {
        "kubeconfig": configs["kwok"],
        "config": folder / "stages.yaml",
        "manage-all-nodes": "false",
        "manage-nodes-with-label-selector": "type=kwok",
        "node-lease-duration-seconds": 40,
        "server-address": f"127.0.0.1:{free_port()}",
    }
    parts.start("kube-controller-manager", component_binary("kube-controller-manager"), manager)
    parts.start("kube-scheduler", component_binary("kube-scheduler"), scheduler)
    parts.start("kwok", component_binary("kwok"), kwok)
    parts.wait_until("kube-controller-manager", f"https://127.0.0.1:{manager_port}/healthz")
    parts.wait_until("kube-scheduler", f"https://127.0.0.1:{scheduler_port}/healthz")
    register_node(configs["admin"])
    (folder / "admin.kubeconfig").write_text(configs["admin"].read_text())
    print("ready", flush=True)
    signal.pause()


def apply(cluster, namespace: str) -> None:
    """For the book's tests: have the checker run this file (a reader annotates the namespace instead)."""
    from threeplanes.checking.programs import hand_in

    hand_in(cluster, namespace, Path(__file__), "my_control_plane.py")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
