"""Half a fix: a certificate signed by the right CA, for the user ci-deployer, without the organisation
shop-deployers. The API server accepts it; the CI is in no group that the namespace's binding names."""

from __future__ import annotations

import subprocess

COMMANDS = """\
set -e
cd "$MISSION"
openssl genrsa -out ci/ci.key 2048
openssl req -new -key ci/ci.key -subj "/CN=ci-deployer" -out ci/ci.csr
openssl x509 -req -in ci/ci.csr -CA pki/ca.crt -CAkey pki/ca.key -CAcreateserial -days 90 -out ci/ci.crt
"""


def apply(book, namespace: str) -> None:
    folder = book.core.read_namespaced_config_map("mission", namespace).data["folder"]
    subprocess.run(
        ["bash", "-c", COMMANDS], env={"MISSION": folder, "PATH": "/usr/bin:/bin"}, check=True, capture_output=True
    )
