"""The labs as notebooks: JupyterLab lists them, and the site's .ipynb of a lab is the lab.

JupyterLab is started headless on a free loopback port with a token of the test's own; no
browser and no cluster are needed. Executing a downloaded notebook needs the cluster: that
is ``tests/labs/test_notebook_download.py``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import nbformat

ROOT = Path(__file__).resolve().parents[2]
LABS = sorted((ROOT / "labs").glob("*.md"))
SHORTEST_LAB = ROOT / "labs" / "00-meet-your-cluster.md"


def extension():
    spec = importlib.util.spec_from_file_location(
        "notebook_downloads", ROOT / "book" / "_ext" / "notebook_downloads.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def first_code_cell(markdown: str) -> str:
    match = re.search(r"^```\{code-cell\}[^\n]*\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)
    assert match, "no code cell"
    body = match.group(1)
    body = re.sub(r"\A(:[\w-]+:[^\n]*\n)+", "", body)  # cell options, if any
    return body.strip("\n")


def test_a_lab_becomes_a_valid_notebook_whose_first_code_cell_is_the_labs() -> None:
    notebook = extension().notebook_for(SHORTEST_LAB)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code[0].source.strip("\n") == first_code_cell(SHORTEST_LAB.read_text())
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert "jupytext" not in notebook.metadata


def test_a_page_that_is_no_notebook_offers_none() -> None:
    assert extension().notebook_for(ROOT / "book" / "intro.md") is None


def test_the_site_offers_the_notebook_where_the_theme_looks(tmp_path) -> None:
    app = SimpleNamespace(env=SimpleNamespace(doc2path=lambda page: str(ROOT / f"{page}.md")), outdir=str(tmp_path))
    context: dict = {}
    extension()._offer_notebook(app, "labs/00-meet-your-cluster", "page.html", context, doctree=object())
    assert context["ipynb_source"] == "labs/00-meet-your-cluster.ipynb"
    offered = nbformat.read(tmp_path / "_sources" / "labs" / "00-meet-your-cluster.ipynb", as_version=4)
    nbformat.validate(offered)
    context = {}
    extension()._offer_notebook(app, "book/intro", "page.html", context, doctree=object())
    assert "ipynb_source" not in context


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_make_lab_serves_on_loopback_with_the_notebook_viewer() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "--ip=127.0.0.1" in makefile and "--LabApp.app_settings_dir=$(CURDIR)/scripts/jupyterlab" in makefile
    assert "\nlab: cluster\n" in makefile  # the cluster is started first


def test_jupyterlab_starts_headless_and_lists_the_labs_as_notebooks(tmp_path) -> None:
    port, token = free_port(), secrets.token_hex(16)
    args = [
        str(Path(sys.executable).parent / "jupyter"),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={ROOT}",
        f"--LabApp.app_settings_dir={ROOT / 'scripts' / 'jupyterlab'}",  # as `make lab` does
    ]
    if os.geteuid() == 0:
        args.append("--allow-root")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = open(tmp_path / "jupyter.log", "w")
    server = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"

    def api(path: str) -> dict:
        request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read())

    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                assert "version" in api("/api")
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "jupyter.log").read_text()
                assert time.monotonic() < deadline, "JupyterLab did not answer within 90 s"
                time.sleep(0.5)
        listed = {item["name"]: item["type"] for item in api("/api/contents/labs")["content"]}
        assert {lab.name: "notebook" for lab in LABS}.items() <= listed.items()
        opened = api(f"/api/contents/labs/{SHORTEST_LAB.name}?content=1")
        assert opened["type"] == "notebook" and opened["content"]["cells"]
        assert api("/api/kernelspecs")["default"] == "python3"
        settings = api("/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
        viewers = settings["schema"]["properties"]["defaultViewers"]["default"]
        assert viewers["markdown"] == "Jupytext Notebook"  # a lab opens as a notebook, not as text
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_the_themes_download_menu_offers_the_ipynb(tmp_path) -> None:
    """A small Sphinx site (myst-nb, sphinx-book-theme, the extension; nothing executed)."""
    source = tmp_path / "site"
    source.mkdir()
    (source / "lab.md").write_text(SHORTEST_LAB.read_text())
    (source / "index.md").write_text("# Home\n\n```{toctree}\nlab\n```\n")
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        'extensions = ["myst_nb", "notebook_downloads"]\nhtml_theme = "sphinx_book_theme"\nnb_execution_mode = "off"\n'
    )
    out = tmp_path / "html"
    build = [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(source), str(out)]
    result = subprocess.run(build, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert 'href="_sources/lab.ipynb"' in (out / "lab.html").read_text()
    nbformat.validate(nbformat.read(out / "_sources" / "lab.ipynb", as_version=4))
    assert "_sources/index.ipynb" not in (out / "index.html").read_text()
