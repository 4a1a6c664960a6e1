"""Wrong: the addresses given out live in a dict of the program's memory only, filled as events come (as in
the lab); after a restart, a Service whose event comes before those of the Services holding addresses gets a
taken one."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    rebuild = (
        "            # Rebuild from the cluster before giving anything out: the addresses its Services hold.\n"
        "            self.given = addresses_held(listed.items)\n"
    )
    hand_in(cluster, namespace, patched(SOLUTION, {rebuild: ""}), "my_cloud.py")
