"""The book, built with every lab executed and warnings as errors, then opened in headless Chromium."""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = [pytest.mark.cluster, pytest.mark.site]


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc["parts"]:
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


@pytest.fixture(scope="module")
def built_book(live_cluster) -> Path:
    """Build the whole book, executing every lab; any warning fails the build."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", "--all", "-W", "--keep-going", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, f"book build failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return HTML


@pytest.fixture(scope="module")
def site(built_book: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built_book))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    page.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


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
    results = page.locator("#search-results li")
    results.first.wait_for(timeout=15000)
    assert results.count() >= 1
    assert "meet" in page.locator("#search-results").inner_text().lower()
