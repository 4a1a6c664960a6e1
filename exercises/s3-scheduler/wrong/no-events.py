"""A typical wrong answer: places every pod right, and tells nobody, not even why a pod stays Pending."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "my_scheduler.py"


def apply(cluster, namespace: str) -> None:
    old = '''    """An event about ``pod``, written as this scheduler."""
'''
    new = '''    """Events are for humans; the scheduler does not need them."""
    return
'''
    hand_in(cluster, namespace, patched(ANSWER, {old: new}), "my_scheduler.py")
