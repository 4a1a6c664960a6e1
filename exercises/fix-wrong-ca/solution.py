"""The reference fix of fix-wrong-ca: a new key and certificate for the CI, signed by the plane's CA, with the
same identity (CN ci-deployer, O shop-deployers), written where the CI's kubeconfig looks. The shell commands
the page gives, run as a reader runs them."""

from __future__ import annotations

import subprocess

COMMANDS = """\
set -e
cd "$MISSION"
openssl genrsa -out ci/ci.key 2048
openssl req -new -key ci/ci.key -subj "/CN=ci-deployer/O=shop-deployers" -out ci/ci.csr
openssl x509 -req -in ci/ci.csr -CA pki/ca.crt -CAkey pki/ca.key -CAcreateserial -days 90 -out ci/ci.crt
"""


def apply(book, namespace: str) -> None:
    """For the book's tests: the reader's commands, in the folder the ConfigMap ``mission`` names."""
    folder = book.core.read_namespaced_config_map("mission", namespace).data["folder"]
    subprocess.run(
        ["bash", "-c", COMMANDS], env={"MISSION": folder, "PATH": "/usr/bin:/bin"}, check=True, capture_output=True
    )
