"""Setup of the s4-controller exercise: the Greeting type (a CustomResourceDefinition), installed once.

The type is cluster-wide and shared by every namespace that does the exercise: the setup creates
it when it is missing and waits until it is served, and no teardown deletes it, so a namespace
that finishes never takes it away from one still at work. The Greetings themselves live in the
reader's namespace and go with it.
"""

from __future__ import annotations

from threeplanes.system.controllers import apply_crd, crd

GREETING = crd(
    "threeplanes.io",
    "Greeting",
    spec={"message": {"type": "string"}, "replicas": {"type": "integer", "minimum": 0, "maximum": 10}},
    status={"ready": {"type": "integer"}},
)


def apply(cluster, namespace: str) -> None:
    apply_crd(cluster, GREETING)
