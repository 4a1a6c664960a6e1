"""The book's notebooks, executed side by side into the execution cache that ``jupyter-book build`` reads.

Run by ``make book`` before the build (``threeplanes execute [--workers N] [--list] [page ...]``): every
page of ``_toc.yml`` that is a notebook (each lab, and each page of the book with code cells) is executed
against the book's cluster, ``--workers`` at a time (each lab works in a namespace of its own), and its
outputs are stored in the cache named by ``_config.yml``, where the build finds them and executes nothing
again. The lab tests execute each lab through :func:`execute` too, so the book built after a test run
shows the outputs of that run.

A page that fails does not stop the others; once every page has run, each failure is printed with its
page, its cell and the traceback, and the command exits non-zero so that no book is built without it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from filelock import FileLock
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution
from myst_nb.core.read import is_myst_markdown_notebook, read_myst_markdown_notebook
from myst_parser.config.main import MdParserConfig
from nbformat import NotebookNode

from threeplanes.provision.paths import REPO_ROOT
from threeplanes.provision.processes import WORKERS

MYST_NOTEBOOK_READER = {"type": "plugin", "name": "myst_nb_md"}  # what myst-nb records for a MyST notebook
CACHE_LOCK_WAIT_S = 120  # writers of the cache's database take turns (tests run labs side by side too)
# Kernels started at the same moment can be handed the same free TCP port (each picks one, lets it go, and
# binds it again later): the loser dies before its first reply, having run no cell, and is started again.
KERNEL_STARTS = 3
KERNEL_DIED = "Kernel died before replying to kernel_info"


class PageFailed(Exception):
    """A page of the book raised (or timed out) in one of its cells; the message names both.

    ``ename`` and ``evalue`` are the cell's own exception, as on nbclient's ``CellExecutionError``, so a
    report that shows a failure in one line (the soak's) shows the cell's exception rather than this one."""

    def __init__(self, message: str, ename: str = "", evalue: str = "") -> None:
        super().__init__(message)
        self.ename = ename
        self.evalue = evalue


@dataclass(frozen=True)
class ExecutionSettings:
    """The ``execute`` section of ``_config.yml``, which the build applies to the pages it executes itself."""

    cache: Path
    timeout: int
    allow_errors: bool


def execution_settings(root: Path = REPO_ROOT) -> ExecutionSettings:
    execute = yaml.safe_load((root / "_config.yml").read_text())["execute"]
    if execute.get("execute_notebooks") != "cache":
        raise ValueError(
            f"_config.yml: execute_notebooks must be 'cache' for the build to read the cache; it is "
            f"{execute.get('execute_notebooks')!r}"
        )
    return ExecutionSettings(root / execute["cache"], int(execute["timeout"]), bool(execute["allow_errors"]))


def toc_files(entry: Any) -> Iterator[str]:
    """Every ``root`` and ``file`` named anywhere in ``_toc.yml``, in the order of the book."""
    if isinstance(entry, dict):
        for key, value in entry.items():
            if key in ("root", "file"):
                yield value
            else:
                yield from toc_files(value)
    elif isinstance(entry, list):
        for item in entry:
            yield from toc_files(item)


def notebook_pages(root: Path = REPO_ROOT) -> list[Path]:
    """The pages of the book that the build executes: MyST notebooks with at least one code cell."""
    pages = []
    for name in toc_files(yaml.safe_load((root / "_toc.yml").read_text())):
        page = root / (name if name.endswith(".md") else f"{name}.md")
        if not page.is_file():
            continue  # an .ipynb or .rst page; the book has none, and the build reports a missing file
        text = page.read_text()
        if is_myst_markdown_notebook(text) and "```{code-cell}" in text:
            pages.append(page)
    return pages


def display_path(page: Path, root: Path) -> Path:
    """The page as the reader names it: relative to the repository, where it is in it."""
    return page.relative_to(root) if page.is_relative_to(root) else page


def failing_cell(notebook: NotebookNode) -> str:
    """``cell N (line L)`` of the first code cell with an error in its outputs, as the reader counts them."""
    lines = notebook.metadata.get("source_map", [])
    code_cells = 0
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        code_cells += 1
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            line = f" (line {lines[index]})" if index < len(lines) else ""
            return f"code cell {code_cells}{line}"
    return "a code cell that timed out"


def run_in_a_kernel(notebook: NotebookNode, page: Path, settings: ExecutionSettings) -> Any:
    """Execute ``notebook`` in a new kernel; a kernel that died before its first reply is started again."""
    attempt = 1
    while True:
        try:
            return single_nb_execution(
                notebook, cwd=str(page.parent), timeout=settings.timeout, allow_errors=settings.allow_errors
            )
        except RuntimeError as error:
            if KERNEL_DIED not in str(error) or attempt == KERNEL_STARTS:
                raise
        print(f"{page.name}: its kernel died before its first reply; starting another", file=sys.stderr)
        attempt += 1


def execute(page: Path, root: Path = REPO_ROOT) -> float:
    """Execute one page as the book build would, and store its outputs where the build finds them.

    Returns the seconds it took; raises :class:`PageFailed` naming the page, the cell and the traceback."""
    settings = execution_settings(root)
    notebook = read_myst_markdown_notebook(page.read_text(), MdParserConfig(), add_source_map=True, path=str(page))
    result = run_in_a_kernel(notebook, page, settings)
    if result.err is not None:
        message = f"{display_path(page, root)}, {failing_cell(notebook)}: {result.err}"
        raise PageFailed(message, getattr(result.err, "ename", ""), getattr(result.err, "evalue", "")) from None
    settings.cache.mkdir(parents=True, exist_ok=True)
    with FileLock(settings.cache.parent / "jupyter_cache.lock", timeout=CACHE_LOCK_WAIT_S):
        cache = get_cache(str(settings.cache))
        record = cache.add_nb_to_project(str(page), read_data=MYST_NOTEBOOK_READER)
        bundle = CacheBundleIn(notebook, record.uri, data={"execution_seconds": result.time})
        cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
    return result.time


def execute_side_by_side(pages: list[Path], workers: int = WORKERS, root: Path = REPO_ROOT) -> list[str]:
    """Execute the pages, ``workers`` at a time, printing each as it ends; returns one message per failure."""
    print(f"Executing {len(pages)} pages, {workers} at a time", flush=True)
    failures = []
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        running = {pool.submit(execute, page, root): page for page in pages}
        for done, future in enumerate(as_completed(running), start=1):
            name = display_path(running[future], root)
            try:
                seconds = future.result()
            except PageFailed as error:
                failures.append(str(error))
                print(f"[{done}/{len(pages)}] {name} FAILED", flush=True)
            except Exception as error:  # a kernel that died, a cache that could not be written: reported the same
                failures.append(f"{name}: {error!r}")
                print(f"[{done}/{len(pages)}] {name} FAILED", flush=True)
            else:
                print(f"[{done}/{len(pages)}] {name} executed in {seconds:.0f} s", flush=True)
    print(f"{len(pages) - len(failures)} of {len(pages)} pages executed in {time.monotonic() - started:.0f} s")
    return failures


def execute_pages(pages: list[Path] | None = None, workers: int = WORKERS, root: Path = REPO_ROOT) -> int:
    """Execute the pages (default: every notebook of ``_toc.yml``) side by side, then print each failure with its
    cell and traceback; 1 when any page failed. ``threeplanes execute`` runs it."""
    pages = pages or notebook_pages(root)
    failures = execute_side_by_side(pages, workers, root)
    for failure in failures:
        print(f"\n{'=' * 100}\n{failure}", file=sys.stderr)
    if failures:
        print(f"\n{len(failures)} of {len(pages)} pages failed (above).", file=sys.stderr)
    return 1 if failures else 0
