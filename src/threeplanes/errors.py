"""Errors a reader can act on: one clear sentence, shown without a traceback.

``LabError`` is the one base class: a notebook shows its message alone (``_render_traceback_``)
and the ``threeplanes`` command prints it as one line and exits non-zero.
"""

from __future__ import annotations


class LabError(Exception):
    """An error whose message tells the reader what went wrong and what to do.

    IPython calls ``_render_traceback_`` instead of printing the traceback, so a lab cell
    that fails this way shows the message alone.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[31m{type(self).__name__}:\x1b[0m {self}"]


class ClusterUnavailable(LabError):
    """No cluster answered, or the kubeconfig could not be used."""


class WaitTimeout(LabError):
    """An object did not reach the awaited state in time."""


class ProvisioningError(LabError):
    """A binary could not be found, downloaded or built, or a cluster not started or stopped."""


class AssessmentError(LabError):
    """Bad input to the assessment: a quiz file with a mistake, a namespace that is not the reader's work."""


class NotOnThisCluster(LabError):
    """A step needs something this cluster does not have (kwok's simulated nodes, the local control plane)."""
