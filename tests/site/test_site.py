"""The book, built with every lab executed and warnings as errors, then opened in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.cluster, pytest.mark.site]


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc["parts"]:
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def test_every_page_of_the_table_of_contents_loads(site: str, page) -> None:
    for file in toc_files():
        response = page.goto(f"{site}/{file}.html")
        assert response and response.ok, f"{file}.html: {response and response.status}"
        assert page.locator("main h1").count() >= 1, f"{file}.html has no title"


def test_the_home_page_names_the_three_planes(site: str, page) -> None:
    page.goto(f"{site}/book/intro.html")
    text = page.locator("main").inner_text()
    for plane in ("functional plane", "conceptual plane", "system plane"):
        assert plane in text


def test_a_lab_page_shows_its_executed_output_and_diagram(site: str, page) -> None:
    page.goto(f"{site}/labs/00-meet-your-cluster.html")
    outputs = page.locator(".cell_output").all_inner_texts()
    assert any("Kubernetes v1.36" in text for text in outputs), "the connect cell's output is missing"
    assert any("worker-" in text or "READY" in text for text in outputs), "the node table is missing"
    diagrams = page.locator('.cell_output img[src$=".svg"]')
    assert diagrams.count() >= 1, "the object graph was not drawn"
    assert diagrams.first.evaluate("img => img.complete && img.naturalWidth > 0"), "the diagram did not load"
    svg = page.request.get(diagrams.first.evaluate("img => img.src")).text()
    assert "Deployment" in svg and "ReplicaSet" in svg and "legend" in svg


def test_search_finds_a_term(site: str, page) -> None:
    page.goto(f"{site}/search.html?q=etcd")
    # Sphinx adds the results one by one: wait for the one expected, not only the first.
    lab = page.locator("#search-results li", has_text="Meet your cluster")
    lab.first.wait_for(timeout=15000)
    assert page.locator("#search-results li").count() >= 2
