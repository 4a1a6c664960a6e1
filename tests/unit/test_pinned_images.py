"""Every container image a lab or an exercise names is one that versions.toml pins.

The real node has no registry to pull from: it runs only the images built on the machine under
the pinned names, so an image named anywhere else would never start there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from threeplanes.versions import pinned

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    p
    for folder in ("labs", "exercises", "book")
    for p in (ROOT / folder).rglob("*")
    if p.suffix in (".md", ".yaml", ".py", ".sh")
)
IMAGE = re.compile(
    r"\b(?:registry\.k8s\.io|docker\.io|quay\.io|ghcr\.io)/[\w./-]+(?::[\w.-]+)?(?:@sha256:[0-9a-f]{64})?"
)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_image_named_is_pinned(path: Path) -> None:
    named = set(IMAGE.findall(path.read_text()))
    unpinned = named - set(pinned().images.values())
    assert not unpinned, f"{path.name} names images that versions.toml does not pin: {sorted(unpinned)}"
