"""Resource quantities as numbers: ``250m`` CPU in millicores, ``512Mi`` of memory in bytes."""

from __future__ import annotations

from decimal import Decimal

from kubernetes.utils import parse_quantity


def millicores(quantity: str | Decimal | int | float) -> int:
    """A CPU quantity (``250m``, ``1``, ``499990914n``) in whole millicores."""
    return int(parse_quantity(quantity) * 1000)


def cpu(quantity: str | Decimal) -> str:
    """A CPU quantity written in millicores, as ``kubectl describe`` shows it: ``250m``."""
    return f"{millicores(quantity)}m"


def memory(quantity: str | Decimal) -> str:
    """A memory quantity written in mebibytes: ``512Mi``."""
    return f"{int(parse_quantity(quantity) / 2**20)}Mi"
