"""A fix that stops half way: m1 started again, not m2. Two members of three are a quorum, so writes work again;
but the cluster now tolerates no further loss, and etcdctl endpoint health still names m2."""

from __future__ import annotations

from pathlib import Path

from threeplanes.checking import missions

solution = missions.load_part(Path(__file__).resolve().parents[1], "solution")


def apply(book, namespace: str) -> None:
    folder = Path(book.core.read_namespaced_config_map("mission", namespace).data["etcd-folder"])
    solution.start(folder, "m1")
