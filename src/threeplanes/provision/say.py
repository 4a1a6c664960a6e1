"""What provisioning tells the reader while it works: one line per step on stderr, named after who speaks."""

from __future__ import annotations

import sys


def log(component: str, message: str) -> None:
    """Print ``[component] message`` on stderr at once (``cluster``, ``real-node``, ``binaries``)."""
    print(f"[{component}] {message}", file=sys.stderr, flush=True)
