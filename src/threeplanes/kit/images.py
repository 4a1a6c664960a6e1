"""Images of a lab's own on the real node, built on this machine and imported into its containerd with ``ctr``.

The book's cluster reaches no registry, so a lab that runs a program of its own builds the image
here, as provisioning builds the real node's pause, agnhost and busybox images
(``threeplanes.provision.realnode.images``, whose ``NodeImage``, ``ImageFile``, ``layer_tar``,
``oci_archive`` and ``busybox_files`` the kit's door, ``threeplanes.kit.control_plane``, passes on):
one layer of files, written as an OCI image layout inside a tar archive. ``on_top`` builds instead on
an image the node already holds: the base's manifest, configuration and layers read from
containerd's content store (``held_digest``, ``content``), one layer more on top, the configuration
changed; ``layout_archive`` writes such a layout as the archive.

``import_image`` imports an archive and pins the image, so that the kubelet's image garbage
collection keeps it; ``one_builder`` lets one process at a time look for an image and import it
(two imports of one layer race in containerd). Every file of a layer and of an archive has the
mtime 0: the same files give the same digest, so a second run finds the image and imports nothing.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import re
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock

from threeplanes.errors import LabError
from threeplanes.kit.control_plane import component_binary, real_node_runtime_endpoint, run_program

ARCHIVE_MTIME = 0  # the mtime of every file of an archive: the same files give the same archive


def sha256(data: bytes) -> str:
    """The digest that names ``data`` in an image: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def blob_path(digest: str) -> str:
    """Where an image layout keeps the blob ``digest``."""
    return f"blobs/sha256/{digest.split(':', 1)[1]}"


@functools.cache
def _ctr_binary() -> str:
    return str(component_binary("ctr"))


def ctr(*args: str, timeout: float = 60, text: bool = True) -> Any:
    """What ``ctr <args>`` printed, run on the real node's containerd in the namespace the kubelet uses
    (``k8s.io``): text, or bytes unless ``text``."""
    socket = real_node_runtime_endpoint().removeprefix("unix://")
    if not Path(socket).exists():
        raise LabError(
            f"the real node's containerd socket {socket} is missing: a lab's image is imported into the local "
            "cluster's real node. Start it with `sudo make cluster` on Linux."
        )
    command = [_ctr_binary(), "--address", socket, "--namespace", "k8s.io", *args]
    what = f"`ctr {' '.join(args[:2])}`"
    return run_program(command, timeout=timeout, what=what, capture_output=True, text=text).stdout


def held_digest(reference: str) -> str | None:
    """The manifest digest under which the real node's containerd holds ``reference``, or None."""
    for line in ctr("images", "ls", f"name=={reference}").splitlines()[1:]:
        fields = line.split()
        if fields and fields[0] == reference:
            return fields[2]
    return None


def content(digest: str) -> bytes:
    """One blob of containerd's content store, checked against its digest.

    (``ctr content get``, not ``ctr images export``: the export of containerd 2.3 now and then
    ends its archive early.)"""
    data = ctr("content", "get", digest, text=False)
    if sha256(data) != digest:
        raise LabError(f"containerd gave {len(data)} bytes for {digest} that do not match it; run the cell again.")
    return data


def manifest_layers(manifest_digest: str) -> list[str]:
    """The digests of the layers the manifest ``manifest_digest`` lists, bottom first."""
    return [layer["digest"] for layer in json.loads(content(manifest_digest))["layers"]]


def on_top(
    base: str, layer: bytes, reference: str, settings: dict[str, Any], made_by: str
) -> tuple[dict[str, bytes], str]:
    """The files of an OCI image layout named ``reference``: the image ``base`` as the real node holds it, with
    ``layer`` (uncompressed) on top and ``settings`` (``Cmd``, ``WorkingDir``...) changed in its configuration,
    ``made_by`` the new layer's line of its history; and the new manifest's digest."""
    manifest_digest = held_digest(base)
    if manifest_digest is None:
        raise LabError(f"the real node's containerd has no image {base}; `make cluster` imports it.")
    manifest = json.loads(content(manifest_digest))
    config = json.loads(content(manifest["config"]["digest"]))
    blobs = {x["digest"]: content(x["digest"]) for x in manifest["layers"]}
    layer_digest = sha256(layer)
    config["config"].update(settings)
    config["rootfs"]["diff_ids"].append(layer_digest)
    config["history"] = [*config.get("history", []), {"created_by": made_by}]
    config_bytes = json.dumps(config, sort_keys=True).encode()
    new_layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": len(layer)}
    manifest["layers"] = [*manifest["layers"], new_layer]
    manifest["config"] = {**manifest["config"], "digest": sha256(config_bytes), "size": len(config_bytes)}
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
    entry = {
        "mediaType": manifest["mediaType"],
        "digest": sha256(manifest_bytes),
        "size": len(manifest_bytes),
        "platform": {"architecture": config["architecture"], "os": config["os"]},
        "annotations": {"io.containerd.image.name": reference, "org.opencontainers.image.ref.name": reference},
    }
    for data in (layer, config_bytes, manifest_bytes):
        blobs[sha256(data)] = data
    files = {blob_path(digest): data for digest, data in blobs.items()}
    files["oci-layout"] = json.dumps({"imageLayoutVersion": "1.0.0"}).encode()
    files["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [entry]}).encode()
    return files, entry["digest"]


def layout_archive(files: dict[str, bytes]) -> bytes:
    """The files of an image layout as one tar archive, which ``ctr images import`` reads."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, ARCHIVE_MTIME
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@contextlib.contextmanager
def one_builder(reference: str, timeout: float = 600) -> Iterator[None]:
    """Hold, for as long as the block runs, the lock of the image ``reference`` that every process of this machine
    takes before it looks for that image and imports it (a lab and an exercise's setup may build it at once)."""
    name = re.sub(r"[^A-Za-z0-9.-]+", "_", reference)
    with FileLock(Path(tempfile.gettempdir()) / f"threeplanes-image-{name}.lock", timeout=timeout):
        yield


def import_image(reference: str, archive: bytes, timeout: float = 180) -> None:
    """Import the image archive ``archive`` (an OCI layout naming ``reference``) into the real node's containerd,
    and pin it (``io.cri-containerd.pinned``): the kubelet's image garbage collection leaves a pinned image."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "image.tar"
        path.write_bytes(archive)
        ctr("images", "import", "--snapshotter", "overlayfs", str(path), timeout=timeout)
    ctr("images", "label", reference, "io.cri-containerd.pinned=pinned")
