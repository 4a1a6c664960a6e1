"""Teardown of the a4-keep-the-data exercise: delete the namespace's two volumes, and the real node's directories.

The volumes are directories of the real node, which runs on this machine, named
``/tmp/threeplanes/keep-<namespace>-<claim>``: once the volumes are gone, the teardown removes them, and
any other directory of that prefix (a hostPath an answer made there), with what the app wrote.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from threeplanes.kit.cleanup import delete_owned
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL

OWNER = "exercise-a4-keep-the-data"
FOLDER = Path("/tmp/threeplanes")


def apply(cluster: Any, namespace: str) -> None:
    delete_owned(cluster, f"{LAB_LABEL}={OWNER},{FOR_NAMESPACE}={namespace}")
    for directory in FOLDER.glob(f"keep-{namespace}-*"):
        shutil.rmtree(directory, ignore_errors=True)
