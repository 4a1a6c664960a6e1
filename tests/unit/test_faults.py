"""Ordinary faults reach the reader as one sentence, never a traceback (fakes only: nothing is
downloaded, built or started for real)."""

from __future__ import annotations

import ast
import concurrent.futures
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest

from threeplanes import cli
from threeplanes.errors import LabError, ProvisioningError, WaitTimeout
from threeplanes.kit import graph
from threeplanes.kit.wait import wait_for_rollout
from threeplanes.provision import binaries, cluster, doctor, local, paths, processes
from threeplanes.versions import pinned


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(binaries.BIN_DIR_ENV, raising=False)
    return tmp_path / "cache"


def one_sentence_on_stderr(capsys, argv: list[str]) -> str:
    """Run the CLI; assert it failed with one line on stderr and no traceback; return that line."""
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code != 0
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# --- the CLI catches one base class, and programs that fail or hang ------------------------


def test_provisioning_errors_are_lab_errors() -> None:
    assert issubclass(ProvisioningError, LabError) and binaries.ProvisioningError is ProvisioningError


def test_a_process_surviving_cluster_down_is_one_sentence(cache, monkeypatch, capsys) -> None:
    monkeypatch.setattr(cluster, "running_backend", lambda: "local")
    monkeypatch.setattr(local.Local, "down", lambda self: [])
    monkeypatch.setattr(local.Local, "processes", lambda self: [local.ProcessInfo("kube-apiserver", 4242, True)])
    line = one_sentence_on_stderr(capsys, ["cluster", "down"])
    assert "still running after cluster down: kube-apiserver (pid 4242)" in line


def test_a_failing_kind_is_one_sentence(cache, tmp_path, monkeypatch, capsys) -> None:
    script = 'echo "Creating cluster ..."\necho "ERROR: failed to create cluster" >&2\nexit 1\n'
    kind = fake_program(tmp_path, "kind", script)

    def fails(requested, context=None):
        processes.run([str(kind), "create", "cluster"], timeout=30, what="`kind create cluster`", capture_output=True)

    monkeypatch.setattr(cluster, "up", fails)
    line = one_sentence_on_stderr(capsys, ["cluster", "up", "--backend", "kind"])
    assert line == "error: `kind create cluster` failed with exit status 1: ERROR: failed to create cluster"


def test_a_hanging_kwokctl_is_one_sentence(cache, tmp_path, monkeypatch, capsys) -> None:
    kwokctl = fake_program(tmp_path, "kwokctl", "sleep 300\n")

    def hangs(requested, context=None):
        processes.run([str(kwokctl), "create", "cluster"], timeout=1, what="`kwokctl create cluster`")

    monkeypatch.setattr(cluster, "up", hangs)
    line = one_sentence_on_stderr(capsys, ["cluster", "up"])
    assert line == "error: `kwokctl create cluster` did not finish within 1 s; it and what it started were stopped."


def test_the_start_hint_names_no_notebook_cell() -> None:
    from threeplanes.kit.connect import START_HINT

    assert "cell" not in START_HINT and "make cluster" in START_HINT


def test_kind_asked_for_while_the_local_cluster_runs_is_refused(cache, monkeypatch, capsys) -> None:
    monkeypatch.setattr(cluster, "running_backend", lambda: "local")
    monkeypatch.setattr(local.Local, "started_with_this_config", lambda self: True)
    line = one_sentence_on_stderr(capsys, ["cluster", "up", "--backend", "kind"])
    assert "a local cluster is already running, so the kind cluster was not started" in line


def test_auto_reuses_the_running_cluster(cache, monkeypatch, capsys) -> None:
    monkeypatch.setattr(cluster, "running_backend", lambda: "local")
    monkeypatch.setattr(local.Local, "started_with_this_config", lambda self: True)
    monkeypatch.setattr(local.Local, "start_real_node", lambda self: None)
    assert cli.main(["cluster", "up"]) == 0
    assert "a local cluster is already running" in capsys.readouterr().out


# --- processes: deadlines, and never a stranger signalled ----------------------------------


def fake_program(directory: Path, name: str, script: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/bash\n" + script)
    path.chmod(0o755)
    return path


def test_a_timeout_stops_the_program_and_what_it_started(tmp_path) -> None:
    child_pid = tmp_path / "child.pid"
    program = fake_program(tmp_path, "slow", f"sleep 300 &\necho $! > {child_pid}\nsleep 300\n")
    started = time.monotonic()
    with pytest.raises(ProvisioningError, match=r"did not finish within 1 s; it and what it started were stopped"):
        processes.run([str(program)], timeout=1)
    assert time.monotonic() - started < 20
    pid = int(child_pid.read_text())
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_a_missing_program_is_one_sentence() -> None:
    with pytest.raises(ProvisioningError, match="no-such-program-here is not installed"):
        processes.run(["no-such-program-here"], timeout=5)


def test_a_failing_program_is_named_with_its_status_and_last_words(tmp_path) -> None:
    said = "".join(f"echo 'complaint {n}' >&2\n" for n in range(1, 13))
    program = fake_program(tmp_path, "grumpy", f"echo 'on stdout'\n{said}exit 3\n")
    with pytest.raises(processes.CommandFailed) as raised:
        processes.run([str(program), "--flag"], timeout=10, capture_output=True)
    failure = raised.value
    assert isinstance(failure, ProvisioningError) and isinstance(failure, LabError)
    assert (failure.command, failure.returncode, failure.stdout) == ([str(program), "--flag"], 3, "on stdout\n")
    head, *lines = str(failure).splitlines()
    assert head == f"`{program} --flag` failed with exit status 3:"
    assert lines == [f"complaint {n}" for n in range(3, 13)]  # the last ten lines of stderr


def test_a_failing_program_silent_on_stderr_is_quoted_from_stdout(tmp_path) -> None:
    program = fake_program(tmp_path, "quiet", "echo 'Error: no such thing'\nexit 2\n")
    with pytest.raises(processes.CommandFailed, match=r"^the probe failed with exit status 2: Error: no such thing$"):
        processes.run([str(program)], timeout=10, capture_output=True, what="the probe")
    with pytest.raises(processes.CommandFailed, match=r"^the probe failed with exit status 2\.$"):
        processes.run([str(program)], timeout=10, what="the probe", stdout=processes.DEVNULL)


def test_check_false_leaves_the_exit_status_to_the_caller(tmp_path) -> None:
    program = fake_program(tmp_path, "no", "echo 'not there' >&2\nexit 1\n")
    result = processes.run([str(program)], timeout=10, capture_output=True, check=False)
    assert (result.returncode, result.stderr) == (1, "not there\n")


def test_a_program_ended_by_a_signal_says_which(tmp_path) -> None:
    program = fake_program(tmp_path, "killed", "kill -9 $$\n")
    with pytest.raises(processes.CommandFailed, match=r"^the program was stopped by SIGKILL\.$"):
        processes.run([str(program)], timeout=10, what="the program")


def test_kubectl_failures_name_the_command_without_the_kubeconfig(tmp_path) -> None:
    from threeplanes.provision import kubectl

    missing = tmp_path / "no-kubeconfig"
    with pytest.raises(processes.CommandFailed) as raised:
        kubectl.run_kubectl(["get", "--raw", "/version"], kubeconfig=missing, timeout=60)
    assert str(raised.value).startswith("`kubectl get --raw /version` failed with exit status 1: ")
    assert str(missing) in str(raised.value) and "--kubeconfig" not in str(raised.value)
    assert raised.value.command[1:3] == ["--kubeconfig", str(missing)]


def test_only_processes_runs_programs() -> None:
    """Every other module runs a program through ``processes`` (``run``, ``start``) or ``kubectl.run_kubectl``."""
    package = Path(processes.__file__).parents[1]
    importers = []
    for module in sorted(package.rglob("*.py")):
        tree = ast.parse(module.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        if "subprocess" in imported and module != Path(processes.__file__):
            importers.append(str(module.relative_to(package)))
    assert importers == []


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_a_certificate_openssl_cannot_sign_names_the_step_and_the_certificate(tmp_path) -> None:
    from threeplanes.provision.realnode import pki

    with pytest.raises(ProvisioningError, match=r"^`openssl x509` for the kubelet certificate failed with exit status"):
        pki.issue(tmp_path / "no-ca", tmp_path / "out", "kubelet", "/CN=system:node:x", "serverAuth")


def test_a_pid_file_older_than_its_process_is_not_trusted(tmp_path) -> None:
    """A pid file written before the process named in it started names a reused PID."""
    program = tmp_path / "bin" / "component"
    program.parent.mkdir()
    shutil.copy(shutil.which("sleep"), program)
    process = subprocess.Popen([str(program), "60"])
    try:
        pid_file = tmp_path / "component.pid"
        pid_file.write_text(str(process.pid))
        found = processes.from_pid_file(pid_file, tmp_path / "bin")
        assert found is not None and found.pid == process.pid
        os.utime(pid_file, (time.time() - 3600, time.time() - 3600))
        assert processes.from_pid_file(pid_file, tmp_path / "bin") is None
        assert processes.from_pid_file(pid_file.with_name("other.pid"), tmp_path / "bin") is None
        pid_file.touch()
        assert processes.from_pid_file(pid_file, tmp_path / "elsewhere") is None
    finally:
        process.kill()
        process.wait(timeout=10)


def test_stop_terminates_then_reports_nothing_left(tmp_path) -> None:
    process = subprocess.Popen(["sleep", "60"])
    handle = psutil.Process(process.pid)
    assert processes.stop([handle], grace=5) == []
    assert process.wait(timeout=10) is not None


def test_a_kwokctl_create_that_times_out_leaves_nothing_running(cache, tmp_path, monkeypatch) -> None:
    """kwokctl starts a component (detached, as its binary runtime does) and then hangs."""
    bin_dir = tmp_path / "named"
    fake_program(
        bin_dir,
        "kwokctl",
        'if [ "$1" = "--config" ]; then shift 2; fi\n'
        'if [ "$1" = "delete" ]; then exit 0; fi\n'
        'dir="$KWOK_WORKDIR/clusters/threeplanes"\n'
        'mkdir -p "$dir/bin" "$dir/pids"\n'
        f'cp {shutil.which("sleep")} "$dir/bin/kube-apiserver"\n'
        'setsid "$dir/bin/kube-apiserver" 300 &\n'
        'echo $! > "$dir/pids/kube-apiserver.pid"\n'
        "sleep 300\n",
    )
    monkeypatch.setenv(binaries.BIN_DIR_ENV, str(bin_dir))
    monkeypatch.setattr(local, "KWOKCTL_MARGIN_S", 0)
    cache.mkdir(parents=True)
    found = {name: bin_dir / "kwokctl" for name in ["kwokctl", "kube-apiserver", "kube-controller-manager"]}
    found |= {name: bin_dir / "kwokctl" for name in ["kube-scheduler", "kwok", "etcd", "metrics-server"]}
    with pytest.raises(ProvisioningError, match="`kwokctl create cluster` .* did not finish within 2 s"):
        local.Local.book()._start(found, timeout=2)
    assert processes.running_from(local.Local.book().cluster_dir()) == []
    assert not local.Local.book().cluster_dir().exists()


# --- downloads: verified, atomic, and a 404 is not a reason to build -----------------------


class FakeReleases:
    """urlopen over a dict of URL -> bytes; any other URL answers 404."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.asked: list[str] = []

    def __call__(self, url: str, timeout: float = 0):
        self.asked.append(url)
        if url not in self.files:
            raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)
        return io.BytesIO(self.files[url])


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def kubernetes_release(corrupt: str | None = None) -> dict[str, bytes]:
    files = {}
    for binary, url in binaries.release_urls(binaries.component_named("kubernetes")).items():
        body = f"#!/bin/sh\necho {binary}\n".encode()
        files[url] = body + (b"truncated" if binary == corrupt else b"")
        files[f"{url}.sha256"] = sha(body).encode()
    return files


def test_a_verified_download_lands_in_the_cache(cache, monkeypatch) -> None:
    monkeypatch.setattr(binaries.urllib.request, "urlopen", FakeReleases(kubernetes_release()))
    monkeypatch.setattr(binaries, "build", lambda c: pytest.fail("built despite a good download"))
    found = binaries.ensure(binaries.component_named("kubernetes"))
    assert set(found) == {"kube-apiserver", "kube-controller-manager", "kube-scheduler"}
    assert all(os.access(p, os.X_OK) for p in found.values())
    component = binaries.component_named("kubernetes")
    assert [p.name for p in component.cache_dir.parent.iterdir()] == [component.cache_dir.name]  # no temp left


def test_two_processes_asking_for_a_component_at_once_provision_it_once(cache, monkeypatch) -> None:
    """Tests side by side may ask for the same missing binaries: one provisions, the other waits and finds them."""
    component = binaries.component_named("kubeadm")
    calls: list[str] = []

    def slow_build(c) -> None:
        calls.append(threading.current_thread().name)
        time.sleep(0.5)
        c.cache_dir.mkdir(parents=True, exist_ok=True)
        (c.cache_dir / "kubeadm").write_bytes(b"#!/bin/sh\n")
        (c.cache_dir / "kubeadm").chmod(0o755)

    monkeypatch.setattr(binaries, "download", lambda c: (_ for _ in ()).throw(binaries.NoReleaseDownload("none")))
    monkeypatch.setattr(binaries, "build", slow_build)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        found = list(pool.map(lambda _: binaries.ensure(component), range(2)))
    assert len(calls) == 1 and found[0] == found[1]


def test_a_corrupt_download_is_refused_and_leaves_nothing(cache, monkeypatch) -> None:
    monkeypatch.setattr(binaries.urllib.request, "urlopen", FakeReleases(kubernetes_release(corrupt="kube-scheduler")))
    with pytest.raises(ProvisioningError, match="did not match its published sha256") as error:
        binaries.ensure(binaries.component_named("kubernetes"))
    assert "\n" not in str(error.value)
    component = binaries.component_named("kubernetes")
    assert list(component.cache_dir.iterdir()) == []  # not even the two binaries that were fine
    assert [p.name for p in component.cache_dir.parent.iterdir()] == [component.cache_dir.name]


def test_a_404_from_a_wrong_pin_is_one_sentence_and_no_build(cache, monkeypatch, capsys) -> None:
    monkeypatch.setattr(binaries.urllib.request, "urlopen", FakeReleases({}))
    monkeypatch.setattr(binaries, "build", lambda c: pytest.fail("built after a 404"))
    line = one_sentence_on_stderr(capsys, ["binaries"])
    assert "does not exist (HTTP 404): the version pinned in versions.toml has no such release file" in line


def test_only_an_unreachable_network_falls_back_to_the_build(cache, monkeypatch) -> None:
    def unreachable(url, timeout=0):
        raise urllib.error.URLError(OSError("Name or service not known"))

    built = []
    monkeypatch.setattr(binaries.urllib.request, "urlopen", unreachable)
    monkeypatch.setattr(binaries, "build", built.append)
    with pytest.raises(ProvisioningError, match="missing from"):  # the fake build made nothing
        binaries.ensure(binaries.component_named("etcd"))
    assert [c.name for c in built] == ["etcd"]


def test_etcd_is_verified_against_its_sha256sums(cache, monkeypatch) -> None:
    url = binaries.release_urls(binaries.component_named("etcd"))["etcd"]
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        body = b"#!/bin/sh\necho etcd\n"
        member = tarfile.TarInfo(f"etcd-v{pinned().etcd}-linux-{binaries.GOARCH}/etcd")
        member.size = len(body)
        tar.addfile(member, io.BytesIO(body))
    data = archive.getvalue()
    sums = f"{'0' * 64}  other.zip\n{sha(data)}  {url.rsplit('/', 1)[1]}\n".encode()
    files = {url: data, url.rsplit("/", 1)[0] + "/SHA256SUMS": sums}
    monkeypatch.setattr(binaries.urllib.request, "urlopen", FakeReleases(files))
    found = binaries.ensure(binaries.component_named("etcd"))
    assert found["etcd"].read_bytes() == body


def test_kwok_is_verified_against_the_digest_github_publishes(cache, monkeypatch) -> None:
    kwok = binaries.component_named("kwok")
    urls = binaries.release_urls(kwok)
    bodies = {u: f"#!/bin/sh\necho {b}\n".encode() for b, u in urls.items()}
    assets = [{"name": u.rsplit("/", 1)[1], "digest": f"sha256:{sha(body)}"} for u, body in bodies.items()]
    api = f"https://api.github.com/repos/kubernetes-sigs/kwok/releases/tags/v{kwok.version}"
    monkeypatch.setattr(
        binaries.urllib.request, "urlopen", FakeReleases({**bodies, api: json.dumps({"assets": assets}).encode()})
    )
    assert set(binaries.ensure(kwok)) == {"kwok", "kwokctl"}


def test_a_release_without_any_checksum_is_built_instead(cache, monkeypatch) -> None:
    metrics = binaries.component_named("metrics-server")
    url = binaries.release_urls(metrics)["metrics-server"]
    api = f"https://api.github.com/repos/kubernetes-sigs/metrics-server/releases/tags/v{metrics.version}"
    release = {"assets": [{"name": url.rsplit("/", 1)[1], "digest": None}]}
    monkeypatch.setattr(
        binaries.urllib.request, "urlopen", FakeReleases({url: b"x", api: json.dumps(release).encode()})
    )
    built = []
    monkeypatch.setattr(binaries, "build", lambda c: built.append(c) or fake_program(c.cache_dir, "metrics-server", ""))
    binaries.ensure(metrics)
    assert built == [metrics]


def test_no_go_and_no_downloads_is_one_sentence(cache, monkeypatch) -> None:
    monkeypatch.setattr(binaries.shutil, "which", lambda name: None)
    with pytest.raises(ProvisioningError, match="Go is not installed") as error:
        binaries.build(binaries.component_named("etcd"))
    assert "\n" not in str(error.value)


def test_too_little_disk_for_a_build_is_one_sentence(cache, monkeypatch) -> None:
    monkeypatch.setattr(binaries.shutil, "which", lambda name: "/usr/bin/go")
    monkeypatch.setattr(binaries.shutil, "disk_usage", lambda path: SimpleNamespace(free=2 * 2**30))
    with pytest.raises(ProvisioningError, match=r"needs about 8 GiB free .* only 2.0 GiB is free"):
        binaries.build(binaries.component_named("kubernetes"))


def test_every_go_step_has_a_deadline(cache, monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(binaries.processes, "run", lambda args, **kw: seen.append(kw) or SimpleNamespace(returncode=0))
    with open(cache.parent / "log", "w") as log_file:
        binaries._step(
            "compile etcd", ["build"], cache.parent, log_file, cache.parent / "log", binaries.BUILD_TIMEOUT_S
        )
    assert seen and seen[0]["timeout"] == 40 * 60


# --- lookups by name, one pin each ---------------------------------------------------------


def test_components_are_found_by_name() -> None:
    assert binaries.component_named("metrics-server").binaries == ("metrics-server",)
    assert binaries.component_named("kind").version == pinned().kind
    with pytest.raises(ProvisioningError, match="no component is called 'kubelet'"):
        binaries.component_named("kubelet")


def test_metrics_server_is_pinned_once(monkeypatch) -> None:
    assert "metricsServerVersion" not in (paths.CLUSTER_CONFIGS / "kwokctl.yaml").read_text().replace(
        "# metrics-server's version comes from versions.toml", ""
    )
    assert local.Local.book().env()["KWOK_METRICS_SERVER_VERSION"] == f"v{pinned().metrics_server}"


# --- the lab kit's small faults ------------------------------------------------------------


def test_every_diagram_without_dot_is_one_sentence(monkeypatch, tmp_path) -> None:
    from threeplanes.functional.configuration import wiring_graph
    from threeplanes.functional.storage import storage_graph

    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on it
    nothing = SimpleNamespace(items=[])
    core = SimpleNamespace(
        list_namespaced_pod=lambda ns: nothing, list_namespaced_persistent_volume_claim=lambda ns: nothing
    )
    deployment = SimpleNamespace(
        metadata=SimpleNamespace(name="web"),
        spec=SimpleNamespace(template=SimpleNamespace(spec=SimpleNamespace(containers=[], volumes=[]))),
    )
    for diagram in [
        graph.build_graph(graph.NamespaceObjects("ns")),
        storage_graph(SimpleNamespace(core=core), "ns", []),
    ]:
        assert isinstance(diagram, graph.Diagram)
        with pytest.raises(LabError, match="graphviz's `dot` program is not installed"):
            diagram._repr_mimebundle_()
    with pytest.raises(LabError, match="graphviz's `dot` program is not installed"):
        wiring_graph(deployment)


def test_exercise_help_names_a_real_exercise_and_a_wrong_id_gets_a_suggestion(capsys) -> None:
    exercises = Path(__file__).resolve().parents[2] / "exercises"
    help_text = cli.parser()._subparsers._group_actions[0].choices["exercise"].format_help()
    example = help_text.split("e.g. ")[1].split()[0]
    assert (exercises / example / "checker.py").exists()
    line = one_sentence_on_stderr(
        capsys, ["exercise", "check", "f1-service", "-n", "mine", "--exercises", str(exercises)]
    )
    assert line.startswith("error: No exercise named 'f1-service'. Did you mean f1-service-discovery")


def test_a_stuck_rollout_says_the_pods_are_pending_and_why() -> None:
    deployment = SimpleNamespace(
        metadata=SimpleNamespace(name="web", namespace="ns", generation=1, resource_version="1"),
        spec=SimpleNamespace(replicas=2, selector=SimpleNamespace(match_labels={"app": "web"})),
        status=SimpleNamespace(
            observed_generation=1, replicas=2, ready_replicas=0, updated_replicas=2, available_replicas=0, conditions=[]
        ),
    )
    said = "0/3 nodes are available: 3 Insufficient cpu."
    pending = SimpleNamespace(
        metadata=SimpleNamespace(deletion_timestamp=None),
        status=SimpleNamespace(
            phase="Pending", conditions=[SimpleNamespace(type="PodScheduled", status="False", message=said)]
        ),
    )
    asked = []
    fake = SimpleNamespace(
        apps=SimpleNamespace(
            list_namespaced_deployment=lambda **kw: SimpleNamespace(
                items=[deployment], metadata=SimpleNamespace(resource_version="1")
            )
        ),
        core=SimpleNamespace(
            list_namespaced_pod=lambda ns, label_selector: (
                asked.append(label_selector) or SimpleNamespace(items=[pending, pending])
            )
        ),
    )
    with pytest.raises(WaitTimeout) as error:
        wait_for_rollout(fake, "ns", "web", timeout=0)
    assert f"0/2 ready, 2 updated, 0 available; 2 pod(s) Pending, the scheduler says: {said}" in str(error.value)
    assert asked == ["app=web"]


# --- up-front checks -------------------------------------------------------------------------


def test_an_old_python_is_one_sentence() -> None:
    assert doctor.python_problem((3, 12, 1)) is None
    problem = doctor.python_problem((3, 10, 12))
    assert problem.startswith("Python 3.10.12 is too old: the book needs Python 3.11 or later")


def test_a_missing_venv_module_names_the_debian_package(monkeypatch) -> None:
    real = doctor.importlib.util.find_spec
    monkeypatch.setattr(doctor.importlib.util, "find_spec", lambda name: None if name == "ensurepip" else real(name))
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert f"sudo apt-get install python{minor}-venv" in doctor.venv_problem()


def test_no_go_and_no_downloads_is_found_before_starting(cache, monkeypatch) -> None:
    monkeypatch.setattr(doctor.shutil, "which", lambda name: None)
    monkeypatch.setattr(doctor, "releases_reachable", lambda timeout=5.0: False)
    assert "the release downloads cannot be reached and Go is not installed" in doctor.binaries_problem()


def test_too_little_disk_is_found_before_starting(cache, monkeypatch) -> None:
    monkeypatch.setattr(doctor.shutil, "which", lambda name: "/usr/bin/go")
    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda path: SimpleNamespace(free=3 * 2**30))
    monkeypatch.setattr(doctor, "releases_reachable", lambda timeout=5.0: False)
    assert "needs about 8 GiB free, and" in doctor.binaries_problem()


def test_a_port_already_taken_is_one_sentence(monkeypatch, capsys) -> None:
    import socket

    monkeypatch.setattr(doctor, "binaries_problem", lambda: None)
    monkeypatch.setattr(doctor, "venv_problem", lambda: None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_sentence_on_stderr(capsys, ["doctor", "--port", str(port)])
    assert line.startswith(f"error: port {port} on 127.0.0.1 is already taken by another program")


def test_the_check_before_the_venv_runs_on_the_system_python() -> None:
    script = paths.REPO_ROOT / "src" / "threeplanes" / "provision" / "doctor.py"
    result = subprocess.run([sys.executable, str(script), "--before-venv"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_a_rate_limited_github_api_builds_instead_of_stopping(cache, monkeypatch) -> None:
    kwok = binaries.component_named("kwok")

    def limited(url, timeout=0):
        if "api.github.com" in url:
            raise urllib.error.HTTPError(url, 403, "rate limit exceeded", {}, None)
        return io.BytesIO(b"x")

    built = []
    monkeypatch.setattr(binaries.urllib.request, "urlopen", limited)
    monkeypatch.setattr(
        binaries, "build", lambda c: built.append(c) or [fake_program(c.cache_dir, b, "") for b in c.binaries]
    )
    binaries.ensure(kwok)
    assert built == [kwok]


def test_cluster_down_stops_its_processes_and_never_a_stranger(cache) -> None:
    """A pid file left behind names a PID now used by another process (here: this test's own)."""
    bin_dir = local.Local.book().cluster_dir() / "bin"
    bin_dir.mkdir(parents=True)
    (local.Local.book().cluster_dir() / "pids").mkdir()
    shutil.copy(shutil.which("sleep"), bin_dir / "kube-apiserver")
    recorded = subprocess.Popen([str(bin_dir / "kube-apiserver"), "300"])
    orphan = subprocess.Popen([str(bin_dir / "kube-apiserver"), "301"])  # started, pid file never written
    stranger = psutil.Process(os.getpid())
    try:
        (local.Local.book().cluster_dir() / "pids" / "kube-apiserver.pid").write_text(str(recorded.pid))
        (local.Local.book().cluster_dir() / "pids" / "etcd.pid").write_text(str(stranger.pid))
        before = {p.name: p.running for p in local.Local.book().processes()}
        assert before["kube-apiserver"] and not before["etcd"]
        local.Local.book().down()
        assert recorded.wait(timeout=30) is not None and orphan.wait(timeout=30) is not None
        assert stranger.is_running() and not local.Local.book().cluster_dir().exists()
    finally:
        for process in (recorded, orphan):
            process.kill()


def test_a_slow_api_server_that_is_alive_is_not_taken_for_a_dead_one(tmp_path, monkeypatch) -> None:
    """A busy machine's kube-apiserver may miss one /readyz deadline; its cluster must not be removed."""
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path))
    local.Local.book().kubeconfig.write_text("kubeconfig")
    answers = iter(["timeout", "timeout", "ok"])

    def readyz(args, timeout, stdin=None):
        answer = next(answers)
        if answer != "ok":
            raise ProvisioningError("kubectl get --raw /readyz failed: context deadline exceeded")
        return answer

    monkeypatch.setattr(local.Local, "_kubectl", lambda self, *args, **kwargs: readyz(*args, **kwargs))
    monkeypatch.setattr(local.time, "sleep", lambda seconds: None)
    apiserver = [local.ProcessInfo("kube-apiserver", 1, True)]
    monkeypatch.setattr(local.Local, "processes", lambda self: apiserver)
    assert local.Local.book().is_running() is True
    answers = iter(["timeout", "ok"])
    apiserver[0] = local.ProcessInfo("kube-apiserver", 1, False)  # the process is gone: no second chance
    assert local.Local.book().is_running() is False and next(answers) == "ok"  # asked once, not again


def test_a_cluster_started_with_another_configuration_is_started_afresh(cache, monkeypatch, capsys) -> None:
    """A reader who updates the book may keep a cluster running that the old kwokctl.yaml started."""
    calls: list[str] = []
    monkeypatch.setattr(cluster, "running_backend", lambda: None if "down" in calls else "local")
    monkeypatch.setattr(cluster, "_down", lambda: calls.append("down"))
    monkeypatch.setattr(local.Local, "start_real_node", lambda self: calls.append("real node"))
    monkeypatch.setattr(local.Local, "up", lambda self: calls.append("start") or local.Local.book().kubeconfig)
    local.Local.book().cluster_dir().mkdir(parents=True)

    local.Local.book().started_config().write_text("an older configuration\n")
    assert cluster.up()[1] is True
    assert calls == ["down", "start"]
    assert "runs with an older kwokctl.yaml than the book's; starting it afresh" in capsys.readouterr().out

    calls.clear()
    shutil.copyfile(local.KWOKCTL_CONFIG, local.Local.book().started_config())
    assert cluster.up()[1] is False
    assert calls == ["real node"]  # the same configuration: the running cluster is kept
