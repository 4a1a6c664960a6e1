"""`threeplanes env`: a terminal pointed at the book's cluster, with the pinned kubectl first on PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from threeplanes import cli
from threeplanes.provision import paths

FAKE_KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: book, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: book, user: {token: fake}}]
contexts: [{name: book-context, context: {cluster: book, user: book}}]
current-context: book-context
"""


def test_env_prints_two_quoted_exports() -> None:
    lines = cli.env_lines(kubeconfig=Path("/home/a reader/.cache/threeplanes/kubeconfig"), bin_dir=Path("/v/bin"))
    assert lines == [
        "export KUBECONFIG='/home/a reader/.cache/threeplanes/kubeconfig'",
        'export PATH=/v/bin:"$PATH"',
    ]


def test_env_points_at_the_cache_and_the_venv(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path))
    assert cli.main(["env"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        f"export KUBECONFIG={tmp_path / 'kubeconfig'}",
        f'export PATH={Path(sys.executable).parent}:"$PATH"',
    ]
    assert "no cluster yet" in out.err  # said on stderr, so eval ignores it


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_eval_in_bash_gives_the_pinned_kubectl_and_the_book_context(tmp_path) -> None:
    (tmp_path / "kubeconfig").write_text(FAKE_KUBECONFIG)
    script = 'eval "$("$PYTHON" -m threeplanes env)" && command -v kubectl && kubectl config current-context'
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        paths.CACHE_ENV: str(tmp_path),
        "KUBECONFIG": "/nonexistent/reader/config",
        "PATH": "/usr/bin:/bin",  # no kubectl here
    }
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    found, context = result.stdout.split()
    assert found == str(Path(sys.executable).parent / "kubectl")
    assert context == "book-context"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_make_shell_keeps_the_pinned_kubectl_first_after_the_readers_bashrc(tmp_path) -> None:
    home, other = tmp_path / "home", tmp_path / "other-bin"
    home.mkdir()
    other.mkdir()
    (other / "kubectl").write_text("#!/bin/sh\necho another kubectl\n")
    (other / "kubectl").chmod(0o755)
    (home / ".bashrc").write_text(f'export PATH="{other}:$PATH"\nexport KUBECONFIG=/reader/own/config\n')
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "SHELL": "/bin/bash",
        "PY": sys.executable,
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        paths.CACHE_ENV: str(tmp_path / "cache"),
    }
    result = subprocess.run(
        ["bash", str(paths.REPO_ROOT / "scripts" / "shell.sh")],
        input='echo "found=$(command -v kubectl)"; echo "config=$KUBECONFIG"; exit\n',
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert f"found={Path(sys.executable).parent / 'kubectl'}" in result.stdout, result.stdout + result.stderr
    assert f"config={tmp_path / 'cache' / 'kubeconfig'}" in result.stdout
