"""Check one exercise from a lab's last section, in place, and point to ``threeplanes assess``.

The namespace is found as ``threeplanes assess`` finds it (labelled
``threeplanes.io/exercise=<id>``, or named after the exercise) unless the cell names it. When
there is none yet, the cell says how to start instead of failing, so a lab still runs to the
end in the book's build.
"""

from __future__ import annotations

from typing import Any

from IPython.display import Markdown, display

from threeplanes.assessment.namespaces import EXERCISE_LABEL, find_attempts, list_namespaces
from threeplanes.checking import Checker, Report
from threeplanes.checking.exercises import find, locate


def load(exercise_id: str) -> Checker:
    """The checker of ``exercise_id``, from the book's exercises folder found from here."""
    return find(locate(), exercise_id).checker()


def check_exercise(cluster: Any, exercise: str, namespace: str | None = None) -> Report | None:
    """Run ``exercise``'s checker on the reader's namespace and show the report; None if not started."""
    namespace = namespace or find_attempts(list_namespaces(cluster), [exercise]).namespace(exercise)
    if namespace is None:
        display(
            Markdown(
                f"You have not started `{exercise}` yet: create a namespace, mark it with "
                f"`kubectl label namespace <yours> {EXERCISE_LABEL}={exercise}`, solve the exercise "
                f"there, and run this cell again. `threeplanes assess` checks every exercise at once."
            )
        )
        return None
    report = load(exercise).run(cluster, namespace)
    display(report)
    display(Markdown("To see where you stand over every exercise, run `threeplanes assess` in a terminal."))
    return report
