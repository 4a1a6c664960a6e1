"""Wrong: an address, once given, is not taken back when its Service goes: a deleted Service's address is lost
to the pool (until the controller's next list, minutes later, rebuilds its table from the cluster)."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    release = (
        "        address = self.given.pop(name, None)\n"
        "        if address:\n"
        '            print(f"service {name}: released {address}")\n'
    )
    change = {release: "        pass  # an address, once given, stays taken\n"}
    hand_in(cluster, namespace, patched(SOLUTION, change), "my_cloud.py")
