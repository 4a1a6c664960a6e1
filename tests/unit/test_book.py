"""The book's pages executed side by side: what is executed, what the build then finds, how a failure reads."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest
import yaml
from jupyter_cache import get_cache
from myst_nb.core.read import read_myst_markdown_notebook
from myst_parser.config.main import MdParserConfig

from threeplanes import book, cli

ROOT = Path(__file__).resolve().parents[2]
FRONT_MATTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""
ANSWERS = FRONT_MATTER + "# Answers\n\n```{code-cell} ipython3\nprint(6 * 7)\n```\n"
BROKEN = (
    FRONT_MATTER + "# Broken\n\nProse first.\n\n```{code-cell} ipython3\nanswer = 42\n```\n\nMore prose.\n\n"
    '```{code-cell} ipython3\nraise ValueError(f"the cluster said no to {answer}")\n```\n'
)


@pytest.fixture
def small_book(tmp_path) -> Path:
    """A book of three pages (two notebooks, one of them broken, and prose), with the real book's settings."""
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "answers.md").write_text(ANSWERS)
    (tmp_path / "pages" / "broken.md").write_text(BROKEN)
    (tmp_path / "pages" / "prose.md").write_text("# Prose\n\n```python\nnot executed\n```\n")
    toc = {"root": "pages/prose", "chapters": [{"file": "pages/answers"}, {"file": "pages/broken.md"}]}
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc))
    return tmp_path


def as_the_build_reads_it(page: Path):
    """The notebook myst-nb makes of the page in the build, with the book's MyST settings."""
    extensions = yaml.safe_load((ROOT / "_config.yml").read_text())["parse"]["myst_enable_extensions"]
    config = MdParserConfig(enable_extensions=set(extensions))
    return read_myst_markdown_notebook(page.read_text(), config, add_source_map=True, path=str(page))


def test_every_lab_and_every_page_with_code_cells_is_executed() -> None:
    pages = book.notebook_pages(ROOT)
    labs = sorted((ROOT / "labs").glob("*.md"))
    assert set(labs) <= set(pages), "a lab the book build would execute serially"
    with_code = {page for page in (ROOT / "book").glob("*.md") if "```{code-cell}" in page.read_text()}
    assert with_code, "no page of book/ has a code cell any more: this test checks nothing"
    assert set(pages) == set(labs) | with_code
    assert len(pages) == len(set(pages))


def test_only_the_notebooks_of_the_table_of_contents_are_executed(small_book) -> None:
    assert book.notebook_pages(small_book) == [small_book / "pages/answers.md", small_book / "pages/broken.md"]


def test_a_failure_names_the_page_the_cell_and_the_error_and_the_other_pages_still_run(small_book) -> None:
    pages = book.notebook_pages(small_book)
    failures = book.execute_side_by_side(pages, workers=2, root=small_book)

    assert len(failures) == 1
    line = [n for n, text in enumerate(BROKEN.splitlines(), start=1) if text.startswith("```{code-cell}")][1]
    assert failures[0].startswith(f"pages/broken.md, code cell 2 (line {line}): ")
    assert "ValueError" in failures[0] and "the cluster said no to 42" in failures[0]
    cache = get_cache(str(small_book / "_build" / ".jupyter_cache"))
    record = cache.match_cache_notebook(as_the_build_reads_it(small_book / "pages/answers.md"))
    assert record.data["execution_seconds"] > 0
    _, executed = cache.merge_match_into_notebook(as_the_build_reads_it(small_book / "pages/answers.md"))
    assert executed.cells[1].outputs[0]["text"] == "42\n"
    with pytest.raises(KeyError):
        cache.match_cache_notebook(as_the_build_reads_it(small_book / "pages/broken.md"))


def test_a_failure_carries_the_cells_own_exception(small_book) -> None:
    with pytest.raises(book.PageFailed) as failed:
        book.execute(small_book / "pages/broken.md", root=small_book)
    assert (failed.value.ename, failed.value.evalue) == ("ValueError", "the cluster said no to 42")
    assert pickle.loads(pickle.dumps(failed.value)).ename == "ValueError"  # as it comes back from a worker


def test_the_command_exits_non_zero_when_a_page_fails(small_book, capsys) -> None:
    assert book.execute_pages([small_book / "pages/answers.md"], workers=1, root=small_book) == 0
    assert book.execute_pages(workers=2, root=small_book) == 1
    assert "pages/broken.md, code cell 2" in capsys.readouterr().err


def test_workers_must_be_at_least_one(capsys) -> None:
    assert cli.main(["execute", "--workers", "0"]) == 2
    assert "--workers must be at least 1, not 0" in capsys.readouterr().err
