"""The assessment without a cluster: front matter, namespaces, scorecard, progress, report and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from kubernetes import client

from threeplanes import cli
from threeplanes.assessment import cli as assessment_cli
from threeplanes.assessment import notebook, progress, report
from threeplanes.assessment.namespaces import EXERCISE_LABEL, check_owner, find_attempts
from threeplanes.assessment.order import study_order, syllabus_order
from threeplanes.assessment.scorecard import FAIL, NOT_ATTEMPTED, OUTSIDE, PASS, run_checks
from threeplanes.checking import Checker, Criterion, Failure
from threeplanes.checking.exercises import Exercise, ExerciseError, UnknownExercise, all_exercises, find, locate
from threeplanes.errors import AssessmentError
from threeplanes.provision import paths

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ROOT / "exercises"
ORDER = syllabus_order(ROOT / "syllabus.yml")


# --- fakes -----------------------------------------------------------------------------------


def namespace(name: str, labels: dict | None = None, created: int = 0, phase: str = "Active"):
    return SimpleNamespace(
        metadata=SimpleNamespace(name=name, labels=labels, creation_timestamp=datetime.fromtimestamp(created, UTC)),
        status=SimpleNamespace(phase=phase),
    )


class FakeCore:
    """Namespaces only, with equality label selectors (``a=b,c=d``)."""

    def __init__(self, namespaces: list) -> None:
        self.namespaces = {ns.metadata.name: ns for ns in namespaces}

    def read_namespace(self, name: str):
        if name not in self.namespaces:
            raise client.ApiException(status=404, reason="Not Found")
        return self.namespaces[name]

    def list_namespace(self, label_selector: str = ""):
        wanted = dict(part.split("=", 1) for part in label_selector.split(",") if part)
        items = [
            ns
            for ns in self.namespaces.values()
            if all((ns.metadata.labels or {}).get(k) == v for k, v in wanted.items())
        ]
        return SimpleNamespace(items=items)


def fake_cluster(*namespaces):
    return SimpleNamespace(core=FakeCore(list(namespaces)), server="https://127.0.0.1:6443")


def passing(ctx):
    return None


def fake_loader(failing: dict[str, str]):
    """Checkers that pass, except for the exercises in ``failing``, whose second criterion fails with the hint."""

    def load(exercise_id: str, *_: object) -> Checker:
        def second(ctx):
            hint = failing.get(exercise_id)
            return Failure(f"saw nothing for {exercise_id}", hint) if hint else None

        return Checker(exercise_id, [Criterion("first", passing), Criterion("second", second)], settle=0)

    return load


@pytest.fixture(scope="module")
def exercises():
    return all_exercises(EXERCISES)


# --- front matter ----------------------------------------------------------------------------


def test_every_exercise_page_has_a_level_a_plane_and_items(exercises) -> None:
    assert len(exercises) == len(list(EXERCISES.glob("*/checker.py")))
    for exercise in exercises:
        assert exercise.level in (1, 2, 3) and exercise.trains and exercise.title


def test_functional_exercises_are_level_1_unless_the_page_says_why(exercises) -> None:
    for exercise in exercises:
        if exercise.plane == "functional" and exercise.level != 1:
            assert len(exercise.level_reason) > 40, f"{exercise.id} must say why it is not level 1"


def write_page(folder: Path, front_matter: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "exercise.md").write_text(f"{front_matter}\n# Exercise: do a thing\n")
    return folder


@pytest.mark.parametrize(
    "front_matter,words",
    [
        ("# no front matter", "has no front matter"),
        ("---\nlevel: 4\nplane: functional\ntrains: [F1]\n---", "level must be 1, 2 or 3"),
        ("---\nlevel: 1\nplane: magic\ntrains: [F1]\n---", "plane must be one of"),
        ("---\nlevel: 1\nplane: functional\ntrains: F1\n---", "trains must be a list"),
        ("---\nlevel: 3\nplane: functional\ntrains: [F1]\n---", "needs a level_reason"),
        ("---\nlevel: [1\n---", "not valid YAML"),
    ],
)
def test_a_bad_front_matter_is_one_clear_sentence(tmp_path: Path, front_matter: str, words: str) -> None:
    folder = write_page(tmp_path / "broken", front_matter)
    with pytest.raises(ExerciseError, match=words):
        Exercise(folder.name, folder).front_matter  # noqa: B018 - reading it is the test


def test_the_title_comes_from_the_heading(tmp_path: Path) -> None:
    folder = write_page(tmp_path / "x", "---\nlevel: 1\nplane: functional\ntrains: [F1]\n---")
    assert Exercise(folder.name, folder).title == "Do a thing"


def test_the_exercises_folder_is_found_from_a_subfolder() -> None:
    assert locate(ROOT / "book" / "quizzes") == EXERCISES


def test_no_exercises_folder_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ExerciseError, match="--exercises"):
        locate(tmp_path)


def test_an_unknown_exercise_suggests_the_closest(exercises) -> None:
    with pytest.raises(UnknownExercise, match="Did you mean f5-bin-packing"):
        find(EXERCISES, "f5-bin-pakcing")


def test_study_order_is_level_first_then_syllabus_order(exercises) -> None:
    ordered = [e.id for e in study_order(exercises, ORDER)]
    level_1 = [e.id for e in study_order(exercises, ORDER) if e.level == 1]
    assert ordered[: len(level_1)] == level_1
    assert level_1[0] == "f1-service-discovery" and level_1[-1] == "f9-compose"
    assert ordered.index("f6-self-healing") > ordered.index("f9-compose")


# --- namespaces --------------------------------------------------------------------------------


def test_a_label_wins_over_a_name_and_the_newest_namespace_is_checked() -> None:
    ids = ["f4-batch", "f3-rollouts"]
    found = find_attempts(
        [
            namespace("f4-batch", {EXERCISE_LABEL: "f3-rollouts"}, created=10),
            namespace("mine", {EXERCISE_LABEL: "f3-rollouts"}, created=20),
            namespace("old-try", {EXERCISE_LABEL: "f3-rollouts"}, created=5, phase="Terminating"),
            namespace("unrelated", created=30),
        ],
        ids,
    )
    assert found.namespace("f3-rollouts") == "mine"
    assert found.others("f3-rollouts") == ["f4-batch"]
    assert found.namespace("f4-batch") is None


def test_a_label_for_no_exercise_is_reported_with_the_closest() -> None:
    found = find_attempts([namespace("x", {EXERCISE_LABEL: "f4-bach"})], ["f4-batch"])
    assert found.unknown_labels == [
        f"namespace x is labelled {EXERCISE_LABEL}=f4-bach, an exercise that does not exist (did you mean f4-batch?)"
    ]


def test_reset_refuses_a_namespace_of_another_exercise(exercises) -> None:
    f5 = find(EXERCISES, "f5-bin-packing")
    with pytest.raises(AssessmentError, match="belongs to the exercise f6-self-healing"):
        check_owner(namespace("my-ns", {EXERCISE_LABEL: "f6-self-healing"}), f5)
    with pytest.raises(AssessmentError, match="not marked as your work"):
        check_owner(namespace("kube-system"), f5)
    check_owner(namespace("f5-bin-packing"), f5)
    check_owner(namespace("mine", {EXERCISE_LABEL: "f5-bin-packing"}), f5)


# --- scorecard -------------------------------------------------------------------------------


def mixed_scorecard(exercises, check_all: bool = False):
    """f4 passes, f1 fails with a hint, spread-over-zones passes, everything else not attempted."""
    cluster = fake_cluster(
        namespace("f4-batch"),
        namespace("my-frontend", {EXERCISE_LABEL: "f1-service-discovery"}),
        namespace("my-spread", {EXERCISE_LABEL: "spread-over-zones"}),
    )
    attempts = find_attempts(cluster.core.list_namespace().items, [e.id for e in exercises])
    load = fake_loader({"f1-service-discovery": "select app: frontend"})
    return run_checks(cluster, exercises, attempts, load, check_all=check_all, order=ORDER)


def test_the_scorecard_tallies_levels_and_planes_and_names_the_next_exercise(exercises) -> None:
    card = mixed_scorecard(exercises)
    assert card.status("f4-batch") == PASS and card.status("spread-over-zones") == PASS
    assert card.status("f1-service-discovery") == FAIL
    assert card.status("f2-storage") == NOT_ATTEMPTED
    level_1, level_2, level_3 = card.by_level().values()
    at_level = {level: sum(e.level == level for e in exercises) for level in (1, 2, 3)}
    assert (level_1.passed, level_1.failed, level_1.not_attempted) == (1, 1, at_level[1] - 2)
    assert (level_2.passed, level_2.not_attempted) == (1, at_level[2] - 1)
    assert (level_3.passed, level_3.not_attempted) == (0, at_level[3]) and at_level[3] >= 3
    assert card.by_plane()["system"].passed == 1
    assert card.next_outcome.exercise.id == "f1-service-discovery"
    failing = next(o for o in card.outcomes if o.exercise.id == "f1-service-discovery")
    assert (failing.hint, failing.met, failing.criteria, failing.namespace) == (
        "select app: frontend",
        2,
        3,
        "my-frontend",
    )
    text = str(card)
    assert "in my-frontend: select app: frontend" in text and "Next: f1-service-discovery" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "no exercise yet" not in text


def test_without_all_no_checker_runs_for_an_unattempted_exercise(exercises) -> None:
    card = mixed_scorecard(exercises)
    unattempted = next(o for o in card.outcomes if o.exercise.id == "f2-storage")
    assert unattempted.criteria == 0
    assert f"{EXERCISE_LABEL}=f2-storage" in unattempted.hint and "exercises/f2-storage/exercise.md" in unattempted.hint


def test_with_all_every_checker_runs_and_unattempted_ones_stay_not_attempted(exercises) -> None:
    card = mixed_scorecard(exercises, check_all=True)
    unattempted = next(o for o in card.outcomes if o.exercise.id == "f2-storage")
    assert unattempted.status == NOT_ATTEMPTED and unattempted.criteria == 3 and unattempted.met == 0
    assert f"{EXERCISE_LABEL}=f2-storage" in unattempted.hint


def test_every_exercise_passing_has_no_next(exercises) -> None:
    cluster = fake_cluster(*(namespace(e.id) for e in exercises))
    attempts = find_attempts(cluster.core.list_namespace().items, [e.id for e in exercises])
    card = run_checks(cluster, exercises, attempts, fake_loader({}), order=ORDER)
    assert card.next_outcome is None and "Every exercise passes." in str(card)


def scorecard_of(exercises, passing_levels: tuple[int, ...], selector: str | None = None):
    """Every exercise of ``passing_levels`` attempted and passing, every other level's first one failing."""
    attempted = [e for e in exercises if e.level in passing_levels and not e.is_mission]
    firsts = {level: next(e for e in exercises if e.level == level and not e.is_mission) for level in (1, 2, 3)}
    failing = [firsts[level] for level in (1, 2, 3) if level not in passing_levels]
    labels = {"run": "r"} if selector else {}
    cluster = fake_cluster(*(namespace(e.id, labels) for e in attempted + failing))
    attempts = find_attempts(cluster.core.list_namespace(selector or "").items, [e.id for e in exercises])
    load = fake_loader({e.id: "not yet" for e in failing})
    return run_checks(cluster, exercises, attempts, load, order=ORDER, selector=selector)


@pytest.mark.parametrize(
    ("passing_levels", "reached", "words"),
    [
        ((), 0, "Level reached: none yet. Level 1: 0 of"),
        ((1,), 1, "Level reached: 1. Level 2: "),
        ((1, 2), 2, "Level reached: 2. Level 3: "),
        ((2, 3), 0, "Level reached: none yet."),  # level 1 gates the others
        ((1, 2, 3), 3, "Level reached: 3. Every exercise of every level passes."),
    ],
)
def test_a_level_is_reached_when_its_exercises_and_those_below_pass(exercises, passing_levels, reached, words) -> None:
    card = scorecard_of(exercises, passing_levels)
    assert card.level_reached() == reached
    assert card.verdict().startswith(words) and words in str(card)


def test_missions_train_but_do_not_gate_a_level(exercises) -> None:
    card = scorecard_of(exercises, (1, 2, 3))
    assert any(o.exercise.is_mission and o.status == NOT_ATTEMPTED for o in card.outcomes)
    assert card.level_reached() == 3


def test_a_selector_leaves_the_exercises_it_did_not_look_for_outside(exercises) -> None:
    card = scorecard_of(exercises, (1,), selector="run=r")  # level 1 solved; one exercise tried at levels 2 and 3
    assert card.outside and not any(o.status == NOT_ATTEMPTED for o in card.outcomes), str(card)
    assert card.status("s6-kubelet") == OUTSIDE
    assert card.level_reached() == 1
    unjudged = sum(e.level == 2 and not e.is_mission for e in exercises) - 1
    assert card.verdict() == (
        f"Level reached: 1. Level 2: 0 of 1 checked exercises pass; {unjudged} more are outside the selector run=r."
    )
    assert "were not looked for" in str(card) and "not attempted" not in str(card)


def test_progress_keeps_what_a_selector_did_not_look_at(tmp_path: Path, exercises) -> None:
    path = tmp_path / "progress.json"
    progress.save_progress(path, scorecard_of(exercises, (1, 2, 3)))
    before, _ = progress.load_progress(path)
    progress.save_progress(path, scorecard_of(exercises, (1,), selector="run=r"), before)
    after, _ = progress.load_progress(path)
    assert after.statuses["s6-kubelet"] == PASS  # outside the second run: kept from the first


@pytest.mark.parametrize(("required", "code"), [(1, 0), (2, 1)])
def test_cli_require_level_gates_on_the_level_reached(capsys, tmp_path, monkeypatch, exercises, required, code) -> None:
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path))
    level_1 = [e for e in exercises if e.level == 1 and not e.is_mission]
    monkeypatch.setattr(assessment_cli, "connect", lambda: fake_cluster(*(namespace(e.id) for e in level_1)))
    monkeypatch.setattr(Exercise, "checker", lambda exercise: fake_loader({})(exercise.id))
    got, out, err = run_cli(capsys, "assess", "--exercises", str(EXERCISES), "--require-level", str(required))
    assert got == code and "Level reached: 1." in out
    assert ("Level 2 is required; Level reached: 1. Level 2: 0 of" in err) == bool(code)


# --- progress --------------------------------------------------------------------------------


def test_a_second_run_says_what_changed(tmp_path: Path, exercises) -> None:
    path = tmp_path / "progress.json"
    first = mixed_scorecard(exercises)
    previous, note = progress.load_progress(path)
    assert note is None and str(progress.compare(previous, first)).startswith("First assessment")
    progress.save_progress(path, first)
    assert json.loads(path.read_text())["version"] == progress.VERSION

    cluster = fake_cluster(namespace("f1-service-discovery"), namespace("my-spread", {EXERCISE_LABEL: "f4-batch"}))
    attempts = find_attempts(cluster.core.list_namespace().items, [e.id for e in exercises])
    second = run_checks(cluster, exercises, attempts, fake_loader({"f4-batch": "six parts"}), order=ORDER)
    changes = progress.compare(progress.load_progress(path)[0], second)
    assert changes.newly_passing == ["f1-service-discovery"]
    assert changes.newly_failing == ["f4-batch", "spread-over-zones"]
    assert "newly passing: f1-service-discovery" in str(changes)


@pytest.mark.parametrize(
    "content,words",
    [
        ("{not json", "could not be read as JSON"),
        (json.dumps({"version": 0, "exercises": {}}), "written by version 0"),
        (json.dumps([1, 2]), "is not a progress file"),
    ],
)
def test_a_bad_progress_file_is_set_aside_not_lost(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "progress.json"
    path.write_text(content)
    loaded, note = progress.load_progress(path, now=datetime(2026, 11, 27, 7, 30, tzinfo=UTC))
    aside = tmp_path / "progress.json.bad-20261127T073000"
    assert loaded == progress.Progress() and not path.exists()
    assert aside.read_text() == content
    assert words in note and str(aside) in note


# --- report ----------------------------------------------------------------------------------


def test_the_html_report_is_self_contained_with_a_bar_per_level_and_plane(tmp_path: Path, exercises) -> None:
    card = mixed_scorecard(exercises)
    page = report.write(tmp_path / "scorecard.html", card).read_text()
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")
    assert page.count('class="bar"') == 3 + len(card.by_plane())  # a bar per level, then per plane
    assert 'data-passed="1" data-total="8"' in page
    assert "select app: frontend" in page


# --- the command line: one sentence, no traceback, nothing lost --------------------------------


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_cli_unknown_exercise(capsys) -> None:
    code, _, err = run_cli(capsys, "exercise", "reset", "f5-bin-pakcing", "--exercises", str(EXERCISES))
    assert code == 2 and "No exercise named 'f5-bin-pakcing'. Did you mean f5-bin-packing" in err


def test_cli_no_cluster(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path))
    monkeypatch.setenv("THREEPLANES_KUBECONFIG", str(tmp_path / "absent"))
    code, _, err = run_cli(capsys, "assess", "--exercises", str(EXERCISES))
    assert code == 2 and f"No kubeconfig found at {tmp_path / 'absent'}" in err and "make cluster" in err
    assert not (tmp_path / "progress.json").exists()


def test_cli_namespace_of_another_exercise(capsys, monkeypatch) -> None:
    cluster = fake_cluster(namespace("my-ns", {EXERCISE_LABEL: "f6-self-healing"}))
    monkeypatch.setattr(assessment_cli, "connect", lambda: cluster)
    code, _, err = run_cli(capsys, "exercise", "reset", "f5-bin-packing", "-n", "my-ns", "--exercises", str(EXERCISES))
    assert code == 2 and "Namespace my-ns belongs to the exercise f6-self-healing" in err


@pytest.mark.parametrize("content", ["{not json", json.dumps({"version": 0, "exercises": {"f4-batch": "pass"}})])
def test_cli_corrupt_or_old_progress_starts_afresh_and_says_so(capsys, tmp_path: Path, monkeypatch, content) -> None:
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(assessment_cli, "connect", lambda: fake_cluster(namespace("f4-batch")))
    monkeypatch.setattr(Exercise, "checker", lambda exercise: fake_loader({})(exercise.id))
    (tmp_path / "progress.json").write_text(content)
    code, out, _ = run_cli(capsys, "assess", "--exercises", str(EXERCISES))
    assert code == 0
    assert "it was kept as" in out and "progress starts afresh" in out
    kept = list(tmp_path.glob("progress.json.bad-*"))
    assert len(kept) == 1 and kept[0].read_text() == content
    assert json.loads((tmp_path / "progress.json").read_text())["exercises"]["f4-batch"] == PASS
    assert f"HTML report: {tmp_path / 'scorecard.html'}" in out
    code, out, _ = run_cli(capsys, "assess", "--exercises", str(EXERCISES))
    assert "Nothing changed since the last run" in out and "kept as" not in out


# --- the lab helper ----------------------------------------------------------------------------


def test_the_lab_helper_says_how_to_start_when_there_is_no_attempt(monkeypatch) -> None:
    shown = []
    monkeypatch.setattr(notebook, "display", shown.append)
    assert notebook.check_exercise(fake_cluster(namespace("other")), "f5-bin-packing") is None
    assert f"{EXERCISE_LABEL}=f5-bin-packing" in shown[0].data


def test_the_lab_helper_checks_the_readers_namespace_and_points_to_assess(monkeypatch) -> None:
    shown = []
    monkeypatch.setattr(notebook, "display", shown.append)
    monkeypatch.setattr(notebook, "load", fake_loader({"f5-bin-packing": "request 600m"}))
    cluster = fake_cluster(namespace("my-packing", {EXERCISE_LABEL: "f5-bin-packing"}))
    report = notebook.check_exercise(cluster, "f5-bin-packing")
    assert report.namespace == "my-packing" and report.first_failure.failure.hint == "request 600m"
    assert shown[0] is report and "threeplanes assess" in shown[1].data
