"""syllabus.yml names every syllabus item, and every path and anchor it names exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MAP = yaml.safe_load((ROOT / "syllabus.yml").read_text())
SYLLABUS = ROOT.parent / "shared" / "SYLLABUS.md"
# The items of the syllabus, as its headings group them; kept here so the test runs without shared/.
IDS = [f"F{i}" for i in range(1, 10)] + [f"C{i}" for i in range(1, 7)] + [f"S{i}" for i in range(1, 13)]
IDS += ["M1", "M2", "M3"] + [f"A{i}" for i in range(1, 6)] + [f"U{i}" for i in range(1, 5)]
COVERED = [f"F{i}" for i in range(1, 10)]  # items that must have a chapter, a lab and an exercise


def test_every_syllabus_item_is_mapped() -> None:
    assert not set(IDS) - set(MAP), f"missing from syllabus.yml: {sorted(set(IDS) - set(MAP))}"
    assert not set(MAP) - set(IDS), f"unknown IDs in syllabus.yml: {sorted(set(MAP) - set(IDS))}"


@pytest.mark.skipif(not SYLLABUS.exists(), reason="shared/SYLLABUS.md is not beside the repository")
def test_the_id_list_matches_the_syllabus_document() -> None:
    found = re.findall(r"^- ([FCSMAU]\d+) ", SYLLABUS.read_text(), flags=re.MULTILINE)
    assert sorted(found) == sorted(IDS)


@pytest.mark.parametrize("item", COVERED)
def test_covered_items_have_chapter_lab_and_exercise(item: str) -> None:
    assert {"chapter", "lab", "exercise"} <= set(MAP[item]), f"{item} lacks one of chapter, lab, exercise"


@pytest.mark.parametrize("item", sorted(MAP))
def test_paths_and_anchors_exist(item: str) -> None:
    for key in ("chapter", "lab", "exercise"):
        if key not in MAP[item]:
            continue
        path, _, anchor = MAP[item][key].partition("#")
        assert (ROOT / path).is_file(), f"{item} {key}: {path} does not exist"
        if anchor:
            assert f"({anchor})=" in (ROOT / path).read_text(), f"{item} {key}: no label ({anchor})= in {path}"
        toc = (ROOT / "_toc.yml").read_text()
        assert str(Path(path).with_suffix("")) in toc, f"{item} {key}: {path} is not in _toc.yml"
