"""What every control plane does, whatever runs it: the seam between the book and its backends.

A control plane is a value. ``Local`` (processes on this machine, started by kwokctl),
``Kind`` (containers, through kind) and ``Existing`` (a cluster of the reader's own) each
implement this one interface; ``threeplanes.provision.cluster`` picks the book's value for the
backend asked for and never asks which backend it holds. Only the local backend reaches its
components one by one (stop, start, restart, flags, log); the others say so in one sentence.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from threeplanes.errors import ProvisioningError


class ControlPlane(ABC):
    """One cluster's control plane: started, stopped, asked whether it runs, reached by its kubeconfig."""

    backend: ClassVar[str]  # "local", "kind" or "existing": what `make cluster BACKEND=...` names
    name: str

    @classmethod
    @abstractmethod
    def book(cls, context: str | None = None) -> ControlPlane:
        """The book's own cluster on this backend (``context`` names the reader's cluster for ``existing``)."""

    @classmethod
    def problem(cls) -> str | None:
        """Why this backend cannot run on this machine, in a few words; None when it can."""
        return None

    @property
    @abstractmethod
    def kubeconfig(self) -> Path:
        """The kubeconfig that reaches this control plane (written by ``up``)."""

    @abstractmethod
    def up(self) -> Path:
        """Start the control plane unless it runs; return its kubeconfig."""

    @abstractmethod
    def down(self) -> list[str]:
        """Stop it (or, for a cluster of the reader's own, remove what the labs made); return what was
        stopped or deleted, one phrase each ("stopped kube-apiserver (pid 4242)")."""

    @abstractmethod
    def is_running(self) -> bool:
        """True when its API server answers."""

    def left_running(self) -> list[str]:
        """What still runs after ``down`` (one phrase each); nothing, on a backend that stops as a whole."""
        return []

    def outdated(self) -> str | None:
        """Why a running control plane no longer matches the book and must be started afresh; None when it does."""
        return None

    def complete(self) -> None:
        """Found running by ``up``: start what belongs to it and is missing (the local cluster's real node)."""
        return None

    # --- one component at a time: only where the components are processes on this machine ---------

    def _no_components(self) -> ProvisioningError:
        return ProvisioningError(
            f"the {self.backend} backend runs its control plane where this machine cannot start, stop or read "
            "its components one by one; only the local backend can (make cluster BACKEND=local)."
        )

    def components(self) -> list[str]:
        """The names of its components, as they can be stopped and started."""
        raise self._no_components()

    def stop_component(self, name: str) -> bool:
        """Stop one component; True when it was running."""
        raise self._no_components()

    def start_component(self, name: str) -> bool:
        """Start one stopped component with the command line it had; True when it was not running."""
        raise self._no_components()

    def restart_component(self, name: str, flags: Mapping[str, str] | None = None) -> None:
        """Stop one component and start it again, with the same command line but for ``flags`` changed."""
        raise self._no_components()

    def flags(self, name: str) -> dict[str, str]:
        """``{flag: value}`` of one component's command line."""
        raise self._no_components()

    def log(self, name: str) -> str:
        """What one component has written to its log."""
        raise self._no_components()
