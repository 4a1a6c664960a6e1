"""Right, written another way: Secrets encrypted with aescbc rather than secretbox, and the controller
manager and the scheduler electing a leader through Leases, as they do by default."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {
        "  - secretbox:\\n": "  - aescbc:\\n",
        '        "use-service-account-credentials": "true",\n        "leader-elect": "false",\n': (
            '        "use-service-account-credentials": "true",\n'
        ),
        '        "secure-port": scheduler_port,\n        "leader-elect": "false",\n': (
            '        "secure-port": scheduler_port,\n'
        ),
    }
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_control_plane.py")
