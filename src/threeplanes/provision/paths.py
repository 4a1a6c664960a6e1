"""Where provisioning keeps its files: outside the repository, under the user's home."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "THREEPLANES_CACHE"


def cache_root() -> Path:
    """The cache for binaries, builds and cluster state (``$THREEPLANES_CACHE`` or ``~/.cache/threeplanes``)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "threeplanes")
