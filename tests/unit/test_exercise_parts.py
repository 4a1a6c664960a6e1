"""An exercise's parts as a learner writes them: a manifest with ``<namespace>`` filled in, a kubectl script."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from threeplanes.checking import exercises
from threeplanes.checking.exercises import Exercise
from threeplanes.provision import paths
from threeplanes.provision.processes import CommandFailed

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "exercises").glob("*/*/*.sh")) + sorted((ROOT / "exercises").glob("*/*.sh"))


def exercise_with(tmp_path: Path, name: str, text: str) -> Exercise:
    folder = tmp_path / "demo"
    (folder / "right").mkdir(parents=True)
    (folder / "right" / name).write_text(text)
    return Exercise("demo", folder)


def test_a_manifest_gets_the_namespace_and_nothing_else(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[list[str], str]] = []
    monkeypatch.setattr(exercises.kubectl, "run_kubectl", lambda args, **kw: sent.append((args, kw["input"])))
    manifest = "kind: ConfigMap\nmetadata: {name: c, labels: {pool: <namespace>}}\ndata: {k: '<namespace>s'}\n"
    exercise = exercise_with(tmp_path, "one.yaml", manifest)
    exercise.apply(SimpleNamespace(kubeconfig=tmp_path / "kc"), "ns-1", "right/one")
    ((args, text),) = sent
    assert args == ["apply", "-n", "ns-1", "-f", "-"]
    assert text == manifest.replace("<namespace>", "ns-1")


def test_a_script_runs_with_the_namespace_the_kubeconfig_and_the_pinned_kubectl(tmp_path: Path) -> None:
    out = tmp_path / "seen"
    script = f'echo "$NAMESPACE $KUBECONFIG $(command -v kubectl)" > {out}\n'
    exercise = exercise_with(tmp_path, "imperative.sh", script)
    assert exercise.part("right/imperative") == exercise.folder / "right" / "imperative.sh"
    exercise.apply(SimpleNamespace(kubeconfig=tmp_path / "kc"), "ns-2", "right/imperative")
    namespace, kubeconfig, kubectl = out.read_text().split()
    assert (namespace, kubeconfig) == ("ns-2", str(tmp_path / "kc"))
    pinned = paths.kubectl_binary()
    assert kubectl == pinned or not Path(pinned).is_absolute()


def test_a_script_that_fails_says_which_and_why(tmp_path: Path) -> None:
    exercise = exercise_with(tmp_path, "broken.sh", "echo 'error: no such resource' >&2\nfalse\necho never\n")
    with pytest.raises(CommandFailed, match="broken.sh") as raised:
        exercise.apply(SimpleNamespace(kubeconfig=tmp_path / "kc"), "ns-3", "right/broken")
    assert "no such resource" in str(raised.value)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT / "exercises")))
def test_every_answer_script_is_valid_bash_and_names_its_namespace(script: Path) -> None:
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text()
    assert "$NAMESPACE" in text or "${NAMESPACE}" in text, f"{script.name} works in no namespace of the reader's"
