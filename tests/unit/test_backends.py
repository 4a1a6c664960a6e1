"""The kind backend through pytest-kind-ng, a cluster of the reader's own, and what each cannot show; every
backend as a value of one interface, and a local control plane's components one by one.

No Docker engine and no cluster: kind and kubectl are fake programs that record how they
were called, the API is a fake that serves discovery and labelled objects.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest
import pytest_kind.cluster
import yaml

from threeplanes.errors import NotOnThisCluster, ProvisioningError
from threeplanes.kit.connect import Cluster
from threeplanes.provision import binaries, cluster, existing, kind, local, paths, processes
from threeplanes.provision.control_plane import ControlPlane
from threeplanes.provision.nodes import KWOK_LABEL
from threeplanes.versions import pinned

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: kind-threeplanes, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: kind-threeplanes, user: {token: fake}}]
contexts: [{name: kind-threeplanes, context: {cluster: kind-threeplanes, user: kind-threeplanes}}]
current-context: kind-threeplanes
"""


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(binaries.BIN_DIR_ENV, raising=False)
    (tmp_path / "cache").mkdir()
    return tmp_path / "cache"


@pytest.fixture
def fake_kind(tmp_path, monkeypatch) -> SimpleNamespace:
    """A kind binary that logs its arguments; `create` writes a kubeconfig, or hangs with HANG=1."""
    calls = tmp_path / "kind-calls"
    program = tmp_path / "fakebin" / "kind"
    program.parent.mkdir()
    program.write_text(
        "#!/bin/bash\n"
        f'echo "$*" >> {calls}\n'
        'case "$1" in\n'
        f"  get) [ -f {tmp_path}/kind-exists ] && echo threeplanes; exit 0;;\n"
        "  create)\n"
        f'    [ "$HANG" = 1 ] && {{ sleep 300 & echo $! > {tmp_path}/hanging.pid; wait; }}\n'
        '    [ "$FAIL" = 1 ] && { echo "ERROR: failed to create cluster" >&2; exit 1; }\n'
        '    for a in "$@"; do case $a in --kubeconfig=*) kc=${a#--kubeconfig=};; esac; done\n'
        f"    cat > \"$kc\" <<'EOF'\n{KUBECONFIG}EOF\n"
        f"    touch {tmp_path}/kind-exists;;\n"
        f"  delete) rm -f {tmp_path}/kind-exists;;\n"
        "esac\n"
    )
    program.chmod(0o755)
    monkeypatch.setattr(kind, "docker_engine_problem", lambda: None)
    monkeypatch.setattr(kind, "kind_binary", lambda: program)
    monkeypatch.setattr(kind, "_wait_for_nodes", lambda timeout, kubeconfig: None)

    def no_downloads(*args, **kwargs):
        pytest.fail("pytest-kind-ng tried to download something")

    monkeypatch.setattr(pytest_kind.cluster.requests, "get", no_downloads)
    return SimpleNamespace(
        program=program,
        calls=lambda: calls.read_text().splitlines() if calls.exists() else [],
        hanging_pid=lambda: int((tmp_path / "hanging.pid").read_text()),
    )


# --- kind, through pytest-kind-ng ----------------------------------------------------------


def test_kind_is_created_with_the_pinned_image_our_config_and_our_binary(cache, fake_kind, monkeypatch) -> None:
    monkeypatch.chdir(cache.parent)
    assert kind.Kind.book().up(timeout=60) == paths.kubeconfig_path()
    create = next(c for c in fake_kind.calls() if c.startswith("create cluster"))
    assert "--name=threeplanes" in create
    assert f"--kubeconfig={paths.kubeconfig_path()}" in create
    assert f"--image={pinned().kind_node_image}" in create
    assert f"--config {paths.CLUSTER_CONFIGS / 'kind.yaml'}" in create
    assert "kind-threeplanes" in paths.kubeconfig_path().read_text()
    assert not (cache.parent / ".pytest-kind").exists()  # pytest-kind-ng's folder went to the cache
    assert (cache / "kind" / ".pytest-kind" / "threeplanes").is_dir()


def test_kind_runs_once_and_goes_down_by_name(cache, fake_kind) -> None:
    kind.Kind.book().up(timeout=60)
    assert kind.Kind.book().is_running()
    kind.Kind.book().down()
    assert any(c.startswith("delete cluster --name=threeplanes") for c in fake_kind.calls())
    assert not kind.Kind.book().is_running() and not paths.kubeconfig_path().exists()


def ended(pid: int) -> bool:
    """The process is gone, or a zombie that only waits for its reaper (an init that never reaps leaves it)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_hanging_kind_create_is_stopped_at_its_deadline(cache, fake_kind, monkeypatch) -> None:
    monkeypatch.setenv("HANG", "1")
    started = time.monotonic()
    with pytest.raises(ProvisioningError, match=r"`kind create cluster` did not finish within 1 s and was stopped"):
        kind.Kind.book().up(timeout=1)
    assert time.monotonic() - started < 45
    assert not [p for p in psutil.Process().children(recursive=True) if str(fake_kind.program) in p.cmdline()]
    assert ended(fake_kind.hanging_pid())  # what kind started is stopped too


def test_a_failing_kind_create_is_one_sentence(cache, fake_kind, monkeypatch) -> None:
    monkeypatch.setenv("FAIL", "1")
    with pytest.raises(ProvisioningError, match="`kind create cluster` failed with exit status 1") as error:
        kind.Kind.book().up(timeout=60)
    assert "\n" not in str(error.value)
    assert not paths.kubeconfig_path().exists()  # not the empty one pytest-kind-ng touched


def test_auto_picks_kind_with_docker_and_local_without_never_existing(monkeypatch) -> None:
    monkeypatch.setattr(kind, "docker_engine_problem", lambda: None)
    assert cluster.choose("auto") == "kind"
    monkeypatch.setattr(kind, "docker_engine_problem", lambda: "the docker command is not installed")
    assert cluster.choose("auto") == "local"


# --- a cluster of the reader's own -----------------------------------------------------------


def test_existing_needs_a_context_named_explicitly(cache, monkeypatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(cache / "somewhere-else"))
    with pytest.raises(ProvisioningError, match="needs the kubeconfig context of your cluster, named explicitly"):
        cluster.up("existing", context=None)
    assert not paths.kubeconfig_path().exists()


def test_existing_copies_only_the_named_context_into_the_cache(cache, tmp_path, monkeypatch) -> None:
    readers = tmp_path / "readers-kubeconfig"
    readers.write_text(
        "apiVersion: v1\nkind: Config\n"
        "clusters: [{name: a, cluster: {server: 'https://127.0.0.1:1'}}, {name: b, cluster: {server: 'https://127.0.0.1:2'}}]\n"
        "users: [{name: ua, user: {token: ta}}, {name: ub, user: {token: tb}}]\n"
        "contexts: [{name: ctx-a, context: {cluster: a, user: ua}}, {name: ctx-b, context: {cluster: b, user: ub}}]\n"
        "current-context: ctx-a\n"
    )
    monkeypatch.setenv("KUBECONFIG", str(readers))  # read only to find the context named
    monkeypatch.setattr(existing, "answers", lambda kubeconfig=None: True)
    monkeypatch.setattr(cluster, "running_backend", lambda: None)
    path, started = cluster.up("existing", context="ctx-b")  # the real, pinned kubectl
    assert started and path == paths.kubeconfig_path()
    copied = json.loads(path.read_text())
    assert copied["current-context"] == "ctx-b"
    assert [c["name"] for c in copied["clusters"]] == ["b"] and [u["name"] for u in copied["users"]] == ["ub"]
    assert path.stat().st_mode & 0o777 == 0o600
    assert paths.backend_file().read_text() == "existing"
    with pytest.raises(ProvisioningError, match="the context 'nope' could not be read from your kubeconfig"):
        existing.Existing.book("nope").up()


class FakeApi:
    """Discovery and a few objects, some labelled as the labs' own."""

    OURS = {"app.kubernetes.io/part-of": "threeplanes"}

    def __init__(self) -> None:
        self.deleted: list[str] = []
        self.objects = {
            ("/api/v1", "namespaces"): [self.obj("lab-ns", None, self.OURS), self.obj("theirs", None, {})],
            ("/api/v1", "pods"): [self.obj("p", "elsewhere", self.OURS), self.obj("q", "elsewhere", {})],
            ("/api/v1", "events"): [self.obj("e", "elsewhere", self.OURS, uid="event-1")],
            ("/apis/events.k8s.io/v1", "events"): [self.obj("e", "elsewhere", self.OURS, uid="event-1")],
            ("/apis/scheduling.k8s.io/v1", "priorityclasses"): [self.obj("lab-high", None, self.OURS)],
            ("/apis/metrics.k8s.io/v1beta1", "pods"): [self.obj("p", "elsewhere", self.OURS, uid="metrics")],
        }

    @staticmethod
    def obj(name: str, namespace: str | None, labels: dict, uid: str | None = None) -> dict:
        meta = {"name": name, "labels": labels, "uid": uid or f"{namespace}/{name}"}
        return {"metadata": meta | ({"namespace": namespace} if namespace else {})}

    def resource(self, name, kind, namespaced, verbs=("list", "delete", "get")) -> dict:
        return {"name": name, "kind": kind, "namespaced": namespaced, "verbs": list(verbs)}

    def get(self, path: str, query: dict | None = None) -> dict:
        if path == "/apis":
            groups = ["events.k8s.io/v1", "scheduling.k8s.io/v1", "metrics.k8s.io/v1beta1"]
            return {"groups": [{"preferredVersion": {"groupVersion": g}} for g in groups]}
        discovery = {
            "/api/v1": [
                self.resource("namespaces", "Namespace", False),
                self.resource("pods", "Pod", True),
                self.resource("pods/log", "Pod", True, ("get",)),
                self.resource("events", "Event", True),
            ],
            "/apis/events.k8s.io/v1": [self.resource("events", "Event", True)],
            "/apis/scheduling.k8s.io/v1": [self.resource("priorityclasses", "PriorityClass", False)],
            "/apis/metrics.k8s.io/v1beta1": [self.resource("pods", "PodMetrics", True, ("get", "list"))],
        }
        if path in discovery:
            return {"resources": discovery[path]}
        base, name = path.rsplit("/", 1)
        assert query == {"labelSelector": "app.kubernetes.io/part-of=threeplanes"}
        items = self.objects.get((base, name), [])
        return {"items": [i for i in items if i["metadata"]["labels"] == self.OURS]}

    def delete(self, path: str) -> None:
        self.deleted.append(path)


def test_down_on_an_existing_cluster_deletes_only_what_the_labs_labelled(cache) -> None:
    paths.kubeconfig_path().write_text("{}")
    api = FakeApi()
    deleted = existing.Existing.book().delete_labelled(api)
    assert api.deleted == [
        "/api/v1/namespaces/elsewhere/pods/p",
        "/api/v1/namespaces/elsewhere/events/e",
        "/apis/scheduling.k8s.io/v1/priorityclasses/lab-high",
        "/api/v1/namespaces/lab-ns",  # namespaces last: they take their contents along
    ]
    assert deleted[-1] == "Namespace lab-ns" and "PriorityClass lab-high" in deleted
    assert not paths.kubeconfig_path().exists()


def test_cluster_down_on_existing_reports_what_it_deleted(cache, monkeypatch, capsys) -> None:
    paths.backend_file().write_text("existing")
    monkeypatch.setattr(existing, "answers", lambda kubeconfig=None: True)
    monkeypatch.setattr(existing.Existing, "delete_labelled", lambda self, api=None: ["Namespace lab-ns"])
    cluster.down()
    assert "deleted 1 object(s) the labs made: Namespace lab-ns" in capsys.readouterr().out
    assert not paths.backend_file().exists()


# --- what a cluster without kwok, or of the reader's own, cannot show -----------------------


def fake_cluster(kubeconfig: Path, simulated: bool) -> Cluster:
    node = SimpleNamespace(metadata=SimpleNamespace(labels={KWOK_LABEL: "fake"} if simulated else {}))
    fake = Cluster.__new__(Cluster)
    fake.kubeconfig = kubeconfig
    fake.core = SimpleNamespace(list_node=lambda: SimpleNamespace(items=[node]))
    return fake


def test_kind_says_in_one_sentence_that_it_cannot_simulate_nodes(cache, capsys) -> None:
    paths.backend_file().write_text("kind")
    on_kind = fake_cluster(paths.kubeconfig_path(), simulated=False)
    assert on_kind.can_simulate_nodes("Starving a node of CPU") is False
    said = capsys.readouterr().out.strip()
    assert said.startswith("Note: Starving a node of CPU needs nodes that the lab creates, starves or stops at will")
    assert "(backend: kind)" in said and said.count("\n") == 0
    with pytest.raises(NotOnThisCluster, match="only kwok's simulated nodes"):
        on_kind.require_simulated_nodes("The exercise's nodes")
    assert fake_cluster(paths.kubeconfig_path(), simulated=True).can_simulate_nodes("anything") is True


@pytest.mark.parametrize("exercise", ["f5-bin-packing", "f6-self-healing", "f8-scaling"])
def test_the_node_exercises_refuse_to_set_up_on_kind(exercise: str, cache) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"setup_{exercise}", paths.REPO_ROOT / "exercises" / exercise / "setup.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    paths.backend_file().write_text("kind")
    with pytest.raises(NotOnThisCluster, match=f"The {exercise} exercise's"):
        module.apply(fake_cluster(paths.kubeconfig_path(), simulated=False), "mine")


def test_cluster_scoped_changes_on_your_own_cluster_need_the_flag(cache, monkeypatch, capsys) -> None:
    paths.backend_file().write_text("existing")
    yours = fake_cluster(paths.kubeconfig_path(), simulated=False)
    monkeypatch.delenv("THREEPLANES_ALLOW_CLUSTER_SCOPED", raising=False)
    assert yours.can_change_cluster_scoped("Draining a node") is False
    assert "THREEPLANES_ALLOW_CLUSTER_SCOPED=1" in capsys.readouterr().out
    monkeypatch.setenv("THREEPLANES_ALLOW_CLUSTER_SCOPED", "1")
    assert yours.can_change_cluster_scoped("Draining a node") is True
    assert yours.can_read_control_plane_files("Reading kube-apiserver's log") is False
    paths.backend_file().write_text("local")
    assert fake_cluster(paths.kubeconfig_path(), simulated=True).can_read_control_plane_files("the log") is True


def test_the_suite_takes_its_backend_as_a_pytest_option() -> None:
    import subprocess
    import sys

    def collect(*options: str) -> subprocess.CompletedProcess:
        args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q", *options]
        return subprocess.run(
            [*args, str(Path(__file__).with_name("test_syllabus.py"))], capture_output=True, text=True, timeout=120
        )

    assert collect("--backend", "kind").returncode == 0
    refused = collect("--backend", "minikube")
    assert refused.returncode != 0 and "invalid choice: 'minikube'" in refused.stderr


def test_a_step_that_needs_kwok_is_skipped_with_its_sentence(tmp_path) -> None:
    import shutil
    import subprocess
    import sys

    shutil.copy(paths.REPO_ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_on_kind.py").write_text(
        "from threeplanes.errors import NotOnThisCluster\n\n"
        "def test_needs_nodes():\n"
        "    raise NotOnThisCluster('Draining a node needs nodes that the lab creates')\n\n"
        "def test_plain_failure():\n"
        "    raise ValueError('a real failure')\n"
    )
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "-q", str(tmp_path)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "1 failed, 1 skipped" in result.stdout, result.stdout
    assert "SKIPPED [1] test_on_kind.py:3: Draining a node needs nodes that the lab creates" in result.stdout


# --- a control plane is a value -----------------------------------------------------------------


def test_every_backend_is_a_value_of_one_interface(cache) -> None:
    assert cluster.BACKENDS == ("auto", "local", "kind", "existing")
    for backend, kind_of_plane in [("local", local.Local), ("kind", kind.Kind), ("existing", existing.Existing)]:
        plane = cluster.plane(backend, context="mine")
        assert isinstance(plane, ControlPlane) and type(plane) is kind_of_plane and plane.backend == backend
        assert plane.kubeconfig == paths.kubeconfig_path()  # the book's kubeconfig, whatever the backend
    with pytest.raises(ProvisioningError, match="unknown backend 'minikube'; choose one of auto, local, kind"):
        cluster.plane("minikube")


def test_the_books_local_cluster_keeps_its_paths(cache) -> None:
    """A book cluster started before the values existed is still found: same folder, kubeconfig and pid files."""
    book = local.Local.book()
    assert (book.name, book.real_node, book.metrics_server, len(book.nodes)) == ("threeplanes", True, True, 3)
    assert book.cluster_dir() == cache / "kwok" / "clusters" / "threeplanes"
    assert book.kubeconfig == cache / "kubeconfig"
    assert book.create_log() == cache / "kwokctl-create.log"
    assert book.second_apiservers_dir() == cache / "second-apiservers"
    assert book.env()["KWOK_WORKDIR"] == str(cache / "kwok")


BINARIES = ("kwokctl", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "etcd", "metrics-server")
FOUND = {name: Path(f"/bin-dir/{name}") for name in BINARIES}


def test_two_local_control_planes_differ_only_in_their_arguments(tmp_path) -> None:
    book = local.Local.book().create_command(FOUND, timeout=120)
    bare = local.Local("bench-bare", tmp_path / "bare")
    flagged = local.Local("lab", tmp_path / "lab", extra_flags={"kube-scheduler": {"v": "4"}})
    assert bare.cluster_dir() == tmp_path / "bare" / "clusters" / "bench-bare"
    assert bare.kubeconfig == tmp_path / "bare" / "bench-bare" / "kubeconfig" != flagged.kubeconfig
    command = bare.create_command(FOUND, timeout=120)
    assert command[:6] == ["/bin-dir/kwokctl", "create", "cluster", "--name", "bench-bare", "--runtime"]
    assert "--config" not in command and "--enable-metrics-server" not in command and "--extra-args" not in command
    assert "--config" in book and "--enable-metrics-server" in book
    assert "kube-apiserver=kubelet-preferred-address-types=InternalIP,Hostname" in book  # for the real node
    assert flagged.create_command(FOUND, timeout=120)[-2:] == ["--extra-args", "kube-scheduler=v=4"]


def test_a_control_plane_without_the_real_node_never_touches_it(tmp_path, monkeypatch) -> None:
    def touched(*args, **kwargs):
        pytest.fail("the real node was touched by a control plane that has none")

    monkeypatch.setattr(local.realnode, "stop_node", touched)
    monkeypatch.setattr(local.realnode, "start_if_possible", touched)
    plane = local.Local("lab", tmp_path)
    plane.complete()
    assert plane.down() == []


@pytest.fixture
def fake_local(tmp_path) -> Iterator[local.Local]:
    """A local control plane as kwokctl records it, whose kube-scheduler is a copy of ``sleep``."""
    plane = local.Local("fake", tmp_path / "work")
    binary = plane.cluster_dir() / "bin" / "kube-scheduler"
    binary.parent.mkdir(parents=True)
    shutil.copy(shutil.which("sleep"), binary)
    records = [
        {"name": "kube-apiserver", "binary": str(binary.with_name("kube-apiserver")), "args": ["--secure-port=6443"]},
        {"name": "kube-scheduler", "binary": str(binary), "args": ["300"]},
    ]
    (plane.cluster_dir() / "kwok.yaml").write_text(
        yaml.safe_dump({"kind": "KwokctlConfiguration", "components": records})
    )
    yield plane
    processes.stop(processes.running_from(plane.cluster_dir()))


def test_one_component_is_stopped_started_and_restarted_by_its_record(fake_local) -> None:
    assert fake_local.components() == ["kube-apiserver", "kube-scheduler"]
    assert fake_local.flags("kube-apiserver") == {"secure-port": "6443"}
    assert fake_local.start_component("kube-scheduler") is True
    assert fake_local.start_component("kube-scheduler") is False  # already running
    first = next(p for p in fake_local.processes() if p.name == "kube-scheduler")
    assert first.running and (fake_local.cluster_dir() / "pids" / "kube-scheduler.pid").read_text() == str(first.pid)
    assert f"$ {fake_local.cluster_dir()}/bin/kube-scheduler 300" in fake_local.log("kube-scheduler")

    fake_local.restart_component("kube-scheduler")
    second = next(p for p in fake_local.processes() if p.name == "kube-scheduler")
    assert second.running and second.pid != first.pid and ended(first.pid)

    assert fake_local.stop_component("kube-scheduler") is True
    assert fake_local.stop_component("kube-scheduler") is False
    assert not fake_local.component_running("kube-scheduler") and fake_local.left_running() == []
    assert fake_local.down() == [] and not fake_local.cluster_dir().exists()


def test_a_component_restarted_with_changed_flags_keeps_them_in_its_record(fake_local) -> None:
    shutil.copy(shutil.which("echo"), fake_local.cluster_dir() / "bin" / "kube-apiserver")  # prints its arguments
    fake_local.restart_component("kube-apiserver", flags={"secure-port": "7443", "v": "2"})
    assert fake_local.flags("kube-apiserver") == {"secure-port": "7443", "v": "2"}
    assert fake_local.flags("kube-scheduler") == {"300": ""}  # the other record is as it was
    deadline = time.monotonic() + 10
    while "--secure-port=7443 --v=2\n" not in fake_local.log("kube-apiserver") and time.monotonic() < deadline:
        time.sleep(0.05)  # echo writes its line once it runs
    assert "--secure-port=7443 --v=2\n" in fake_local.log("kube-apiserver")


def test_a_component_a_control_plane_lacks_is_named_with_those_it_has(fake_local, tmp_path) -> None:
    with pytest.raises(ProvisioningError, match=r"has no component 'kube-schedular'; it has kube-apiserver, kube-sch"):
        fake_local.restart_component("kube-schedular")
    with pytest.raises(ProvisioningError, match="the local control plane never-started is not started"):
        local.Local("never-started", tmp_path).flags("kube-apiserver")


@pytest.mark.parametrize("backend", ["kind", "existing"])
def test_only_the_local_backend_reaches_its_components(backend: str, cache) -> None:
    plane = cluster.plane(backend)
    for action in (plane.components, lambda: plane.restart_component("kube-scheduler")):
        with pytest.raises(ProvisioningError, match=f"the {backend} backend runs its control plane where this machine"):
            action()


def test_a_connection_carries_the_control_plane_it_judges(cache, tmp_path) -> None:
    plane = local.Local("lab", tmp_path)
    carried = fake_cluster(plane.kubeconfig, simulated=True)
    carried.control_plane = plane
    paths.backend_file().write_text("kind")  # the book's cluster is another one
    assert carried.backend == "local" and carried.can_read_control_plane_files("the scheduler's log") is True
