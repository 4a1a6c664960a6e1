"""A2: tally's image built on a base image, its programs run with busybox, the visitor's replies read, and the
exercise's files kept in step with the module. No cluster: containerd's store is played by a dict."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from threeplanes.barriers import containerise as a2
from threeplanes.errors import LabError
from threeplanes.kit import images
from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.manifests import app_deployment

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = ROOT / "exercises" / "a2-container-ready"
BUSYBOX = shutil.which("busybox") or "/bin/busybox"
needs_busybox = pytest.mark.skipif(not os.access(BUSYBOX, os.X_OK), reason="no busybox on this machine")


def base_store() -> dict[str, bytes]:
    """A small base image as containerd's content store holds it: a layer, a configuration, a manifest."""
    layer = b"a base layer"
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [images.sha256(layer)]},
    }
    config_bytes = json.dumps(config).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": images.sha256(config_bytes)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": images.sha256(layer)}],
    }
    manifest_bytes = json.dumps(manifest).encode()
    return {images.sha256(data): data for data in (layer, config_bytes, manifest_bytes)} | {
        "base:1": images.sha256(manifest_bytes).encode()
    }


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    found = base_store()
    monkeypatch.setattr(images, "held_digest", lambda ref: found[ref].decode() if ref in found else None)
    monkeypatch.setattr(images, "content", lambda digest: found[digest])
    return found


def on_the_real_node(pod_spec: dict) -> bool:
    """True when ``pod_spec`` has the real node's selector and toleration, and pulls nothing."""
    there = on_real_node({"containers": []})
    pulls = {c.get("imagePullPolicy") for c in pod_spec["containers"] + pod_spec.get("initContainers", [])}
    return (
        there["nodeSelector"].items() <= pod_spec.get("nodeSelector", {}).items()
        and all(t in pod_spec.get("tolerations", []) for t in there["tolerations"])
        and pulls == {"IfNotPresent"}
    )


def blob(files: dict[str, bytes], digest: str) -> bytes:
    return files[f"blobs/sha256/{digest.split(':', 1)[1]}"]


def test_the_program_layer_is_the_same_bytes_each_time() -> None:
    assert a2.program_layer() == a2.program_layer()
    with tarfile.open(fileobj=io.BytesIO(a2.program_layer())) as tar:
        names = {m.name: m for m in tar.getmembers()}
    assert names["usr/local/bin/tally"].mode == 0o755 and names["usr/local/bin/tally"].mtime == 0
    assert "etc/tally" not in names, "the image must not hold the configuration: that is the point"


def test_the_image_is_the_base_with_one_layer_on_top(store: dict[str, bytes]) -> None:
    files, digest = a2.image_layout("base:1", a2.IMAGE)
    manifest = json.loads(blob(files, digest))
    config = json.loads(blob(files, manifest["config"]["digest"]))
    base_layer = json.loads(store[store["base:1"].decode()])["layers"][0]["digest"]
    assert [x["digest"] for x in manifest["layers"]] == [base_layer, images.sha256(a2.program_layer())]
    assert config["rootfs"]["diff_ids"] == [x["digest"] for x in manifest["layers"]]  # uncompressed layers
    assert config["config"]["Cmd"] == ["tally"] and config["config"]["WorkingDir"] == a2.WORKDIR
    assert config["config"]["Env"] == ["PATH=/bin"], "what the base sets is kept"
    (entry,) = json.loads(files["index.json"])["manifests"]
    assert entry["digest"] == digest and entry["annotations"]["io.containerd.image.name"] == a2.IMAGE
    for name, data in files.items():
        if name.startswith("blobs/"):
            assert images.sha256(data).split(":")[1] == name.rsplit("/", 1)[1]
    assert a2.image_layout("base:1", a2.IMAGE)[1] == digest, "same inputs, same digest"


def test_the_archive_is_an_oci_layout_that_tar_reads(store: dict[str, bytes]) -> None:
    files, _ = a2.image_layout("base:1", a2.IMAGE)
    archive = images.layout_archive(files)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        assert {m.name for m in tar.getmembers()} == set(files)
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}


def test_a_base_the_node_does_not_hold_is_named(store: dict[str, bytes]) -> None:
    with pytest.raises(LabError, match="has no image base:2"):
        a2.image_layout("base:2", a2.IMAGE)


@pytest.mark.parametrize(
    "text,kind,visit,server",
    [
        ("Welcome to the town archive: visit 12 at 10:00:01 (answered by tally-7f-x)", "visit", 12, "tally-7f-x"),
        ("wget: server returned error: HTTP/1.0 503 Service Unavailable", "503", None, None),
        ("wget: can't connect to remote host (10.0.0.9): Connection refused", "no answer", None, None),
        ("", "no answer", None, None),
    ],
)
def test_a_reply_says_what_the_request_got(text: str, kind: str, visit: int | None, server: str | None) -> None:
    reply = a2.VisitorReply(datetime.now(UTC), text)
    assert (reply.kind, reply.visit, reply.server) == (kind, visit, server)


def test_every_pod_goes_to_the_real_node() -> None:
    for pod_spec in (
        a2.bare_pod()["spec"],
        a2.visitor_pod()["spec"],
        a2.clock_deployment()["spec"]["template"]["spec"],
        app_deployment("tally", {"containers": [a2.container()]})["spec"]["template"]["spec"],
    ):
        assert on_the_real_node(pod_spec)


def test_the_volume_is_reserved_for_the_claim_of_its_namespace() -> None:
    volume = a2.state_volume("v", "ns", {"a": "b"})
    assert volume["spec"]["claimRef"] == {"namespace": "ns", "name": a2.STATE_CLAIM}
    assert volume["spec"]["hostPath"]["path"] == str(a2.state_folder("v"))
    claim = a2.state_claim()
    assert claim["spec"]["storageClassName"] == volume["spec"]["storageClassName"] == ""


def test_the_exercise_files_match_the_module() -> None:
    assert (EXERCISE / "tally.conf").read_text() == a2.CONFIG_TEXT
    solution = list(yaml.safe_load_all((EXERCISE / "solution.yaml").read_text()))
    config = next(o for o in solution if o["kind"] == "ConfigMap")
    assert config["data"]["tally.conf"] == a2.CONFIG_TEXT
    for start in yaml.safe_load_all((EXERCISE / "tally.yaml").read_text()):
        if start["kind"] == "Deployment":
            spec = start["spec"]["template"]["spec"]
            assert on_the_real_node(spec)
            assert {c["image"] for c in spec["containers"]} == {a2.IMAGE}


@needs_busybox
@pytest.mark.parametrize("script", [a2.TALLY, a2.TALLY_PAGE, a2.CLOCK, a2.CLOCK_PAGE])
def test_the_programs_are_valid_shell(script: str) -> None:
    subprocess.run([BUSYBOX, "sh", "-n", "-c", script], check=True, timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def visit(home: Path, clock: str) -> str:
    env = {"PATH": os.environ["PATH"], "TALLY_HOME": str(home), "CLOCK": clock, "GREETING": "Hello"}
    done = subprocess.run([BUSYBOX, "sh", "-c", a2.TALLY_PAGE], env=env, capture_output=True, text=True, timeout=20)
    return done.stdout


@needs_busybox
def test_the_page_counts_in_its_working_folder_and_answers_503_without_its_clock(tmp_path: Path) -> None:
    www = tmp_path / "clock"
    (www / "cgi-bin").mkdir(parents=True)
    (www / "cgi-bin" / "index.cgi").write_text(a2.CLOCK_PAGE)
    (www / "cgi-bin" / "index.cgi").chmod(0o755)
    port = free_port()
    clock = subprocess.Popen([BUSYBOX, "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", str(www)])
    try:
        time.sleep(0.5)
        answers = [visit(tmp_path, f"http://127.0.0.1:{port}/") for _ in range(2)]
    finally:
        clock.terminate()
        clock.wait(timeout=10)
    assert "Hello: visit 2 at " in answers[1]
    assert (tmp_path / "visits").read_text().strip() == "2"
    refused = visit(tmp_path, f"http://127.0.0.1:{free_port()}/")
    assert refused.startswith("HTTP/1.0 503 ")
    assert (tmp_path / "visits").read_text().strip() == "2", "a request the clock did not stamp is not counted"
