"""Checker: the reader's backup program saves a snapshot of etcd and restores it, judged by the restored cluster.

It runs the reader's program (the file the namespace's annotation ``threeplanes.io/program`` names,
else ``my_backup.py`` in the current folder) against a control plane of the checker's own
(``lab_control_plane``), never the book's: it creates two ConfigMaps and a Deployment there, runs
``python <file> save ENDPOINT FILE`` and reads the file with ``etcdutl snapshot status``; then it
damages the cluster (deletes one ConfigMap and the Deployment, changes the other ConfigMap, creates
a third), stops the API server and etcd, runs ``python <file> restore FILE DATA_DIR`` into a folder
that does not exist yet, starts etcd with its recorded flags on DATA_DIR and the API server after
it, and reads the objects back through the API: those of before the save must be back with their
data, the one created after it gone, and a new write must be served. Each run of the program has a
deadline, runs in a scratch folder of the checker's (what it writes there is removed), and its
crash is one sentence; a failure of the checker's own control plane is reported as such. The
scenario runs once per check; the framework's second look reads the same outcome. The control
plane and every file are removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

import psutil
import urllib3
from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.programs import found, scenario_steps
from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.control_plane import stop_program
from threeplanes.kit.effects import poll_until
from threeplanes.kit.lab_planes import LabPlane, lab_control_plane
from threeplanes.kit.programs import ProgramFailed, run_reader_code
from threeplanes.system.etcd import ask, snapshot_status, start_etcd

DEFAULT_FILE = "my_backup.py"
NAMESPACE = "backup-drill"  # on the checker's own control plane
RUN = 30  # seconds each command of the reader's program may take (a small database: a second or two)
ETCD_READY = 40  # seconds for etcd to be ready on DATA_DIR
READY = 60  # seconds for the API server to be ready on it
REUSE = 120  # seconds an outcome serves the checker's second look
STEPS = ("saves", "snapshot", "restores", "starts", "recovers", "writes")
SAVE_HINT = "save must run `etcdctl --endpoints=ENDPOINT snapshot save FILE` and wait for it to finish"
RESTORE_HINT = "restore must run `etcdutl snapshot restore FILE --data-dir=DATA_DIR` with the FILE it is given"
KEPT = {"settings": {"colour": "teal", "size": "3"}, "greeting": {"message": "hello before the backup"}}


def one_line(text: str) -> str:
    return " ".join(text.split())


def http_get(url: str) -> str:
    """The text of a plain HTTP GET, or what went wrong, in a few words."""
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.read().decode(errors="replace").strip()
    except (OSError, ValueError) as error:
        return one_line(str(error))


def readyz(cluster) -> str:
    """The status of the API server's /readyz as text ("200"), or what went wrong."""
    try:
        answer = ask(cluster, "/readyz", client_timeout=5)
    except Exception as error:  # the client fails in odd ways while the server's TLS is not up yet
        return f"no answer: {type(error).__name__}"
    return str(answer.status) if answer.status == 200 else f"{answer.status} {one_line(answer.text)[-80:]}"


def left_by(pid: int) -> list[str]:
    """The programs still running in the session of the ended process ``pid`` (those it started), by name."""
    left = []
    for process in psutil.process_iter(["name", "status"]):
        with contextlib.suppress(OSError, psutil.Error):
            if process.pid != pid and process.info["status"] != psutil.STATUS_ZOMBIE and os.getsid(process.pid) == pid:
                left.append(process.info["name"])
    return sorted(left)


class Drill:
    """One backup and restore of the checker's control plane with the reader's program."""

    def __init__(self, program: Path, own: LabPlane, folder: Path, name: str) -> None:
        self.program, self.own, self.folder, self.name = program, own, folder, name
        self.cluster = own.cluster
        self.file = folder / "backup.db"
        self.data_dir = folder / "restored"
        self.etcd_flags = own.plane.flags("etcd")
        self.endpoint = own.plane.flags("kube-apiserver")["etcd-servers"]
        self.restored_etcd = None
        self.left_running: list[str] = []

    def play(self) -> dict[str, Failure | None]:
        results: dict[str, Failure | None] = {}
        for name in STEPS:
            try:
                results[name] = getattr(self, name)()
            except (client.ApiException, urllib3.exceptions.HTTPError, LabError) as error:
                said = getattr(error, "reason", None) or one_line(str(error))[:200]
                results[name] = Failure(
                    f"the checker's own control plane failed at this step ({type(error).__name__}: {said})",
                    "this is not your program's doing: run the check again",
                )
            if results[name] is not None:
                break
        return results

    def run(self, command: str, *args: object) -> str | None:
        """Run the reader's program with ``command`` to its end; what went wrong in one sentence, or None."""
        with contextlib.chdir(self.folder):  # what it writes in its current folder goes with the checker's files
            program = run_reader_code(
                self.program,
                kubeconfig=self.cluster.kubeconfig,
                args=[command, *args],
                deadline=RUN,
                name=f"{self.name}-{command}",
            )
        try:
            program.wait(timeout=RUN)
            self.left_running = left_by(program.pid)  # at once: what it started and did not wait for
        except ProgramFailed as error:
            what = str(error).split("\n")[0].split(" The last lines of its log")[0].split(" It printed nothing")[0]
            last = one_line(program.log_tail(1))[-240:]
            return f"{what} Its last line: {last}" if last else f"{what} It printed nothing."
        finally:
            program.stop()  # and whatever it started and left running
        return None

    # --- the steps -------------------------------------------------------------------------------------

    def saves(self) -> Failure | None:
        core, apps = self.cluster.core, self.cluster.apps
        core.create_namespace({"metadata": {"name": NAMESPACE}})
        for name, data in KEPT.items():
            core.create_namespaced_config_map(NAMESPACE, {"metadata": {"name": name}, "data": data})
        labels = {"app": "web"}
        container = {"name": "web", "image": "nginx:1.27"}
        apps.create_namespaced_deployment(
            NAMESPACE,
            {
                "metadata": {"name": "web"},
                "spec": {
                    "replicas": 3,
                    "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
                },
            },
        )
        crashed = self.run("save", self.endpoint, self.file)
        if crashed:
            return Failure(f"`save {self.endpoint} FILE`: {crashed}", SAVE_HINT)
        if self.left_running:
            return Failure(
                f"`save {self.endpoint} FILE` ended while {', '.join(self.left_running)}, which it started, still ran",
                f"{SAVE_HINT} (subprocess.run, not Popen): until etcdctl ends, FILE is not complete",
            )
        if not self.file.is_file():
            return Failure(
                f"no file at FILE ({self.file}) once `save {self.endpoint} FILE` had ended",
                f"{SAVE_HINT} (subprocess.run, not Popen): etcdctl writes FILE only once it has the whole database",
            )
        return None

    def snapshot(self) -> Failure | None:
        try:
            snapshot_status(self.file)
        except LabError as error:
            return Failure(
                f"FILE is not an etcd snapshot: {error}",
                "a snapshot is the database file etcd itself sends to `etcdctl snapshot save`; a list of keys and "
                "values, or a copy of files, is not one",
            )
        return None

    def restores(self) -> Failure | None:
        core = self.cluster.core
        core.delete_namespaced_config_map("settings", NAMESPACE)
        self.cluster.apps.delete_namespaced_deployment("web", NAMESPACE)
        core.patch_namespaced_config_map("greeting", NAMESPACE, {"data": {"message": "changed after the backup"}})
        core.create_namespaced_config_map(NAMESPACE, {"metadata": {"name": "made-after-the-backup"}})
        if not (self.own.plane.stop_component("kube-apiserver") and self.own.plane.stop_component("etcd")):
            raise LabError("the checker's control plane lost its API server or its etcd before the restore")
        crashed = self.run("restore", self.file, self.data_dir)
        if crashed:
            return Failure(f"`restore FILE {self.data_dir}`: {crashed}", RESTORE_HINT)
        if not (self.data_dir / "member" / "snap" / "db").is_file():
            saw = "nothing" if not self.data_dir.exists() else "no member/snap/db in it"
            return Failure(
                f"`restore FILE DATA_DIR` ended and the checker found {saw} at DATA_DIR ({self.data_dir})",
                f"{RESTORE_HINT}: without --data-dir, etcdutl writes default.etcd in the current folder",
            )
        return None

    def starts(self) -> Failure | None:
        self.own.plane.release_ports("etcd")  # the restored etcd listens on etcd's own ports
        binary = self.own.plane.component("etcd")["binary"]
        flags = {**self.etcd_flags, "data-dir": str(self.data_dir)}
        self.restored_etcd = start_etcd(binary, flags, self.folder / "etcd-log")
        try:
            poll_until(
                lambda: http_get(f"{self.endpoint}/readyz"),
                lambda answer: answer == "ok",
                what=f"etcd started on DATA_DIR ready ({self.endpoint}/readyz answering ok)",
                describe=lambda answer: answer[:80],
                timeout=ETCD_READY,
                every=1,
            )
        except WaitTimeout as error:
            said = [line for line in self.restored_etcd.log.read_text(errors="replace").splitlines() if line.strip()]
            return Failure(
                f"{error}; etcd's last line: {one_line(said[-1] if said else '(none)')[:300]}",
                "a snapshot is not a data directory: only `etcdutl snapshot restore FILE --data-dir=DATA_DIR` makes "
                "one from it (a fresh one-member cluster and its log); etcd cannot serve a copied FILE",
            )
        self.own.plane.start_component("kube-apiserver")
        try:
            poll_until(
                lambda: readyz(self.cluster),
                lambda answer: answer == "200",
                what="the API server ready on the restored etcd (/readyz answering 200)",
                describe=lambda answer: answer[:120],
                timeout=READY,
                every=1,
            )
        except WaitTimeout as error:
            return Failure(str(error), "DATA_DIR must be a whole data directory etcdutl wrote from FILE")
        return None

    def recovers(self) -> Failure | None:
        core = self.cluster.core
        try:
            names = {c.metadata.name: c.data or {} for c in core.list_namespaced_config_map(NAMESPACE).items}
            deployment = self.cluster.apps.list_namespaced_deployment(NAMESPACE, field_selector="metadata.name=web")
        except (client.ApiException, urllib3.exceptions.HTTPError) as error:
            return Failure(
                f"the API server on the restored etcd could not list the namespace's objects: {one_line(str(error))}",
                "DATA_DIR must be restored from FILE, the snapshot your save wrote",
            )
        missing = [n for n in ("settings", "greeting") if n not in names] + (
            [] if deployment.items else ["the Deployment web"]
        )
        if missing:
            return Failure(
                f"after the restore, these objects made before the save are missing: {', '.join(missing)}",
                f"the snapshot must be of the etcd at ENDPOINT ({self.endpoint}): "
                "`etcdctl --endpoints=ENDPOINT`, not etcdctl's default",
            )
        changed = [n for n, data in KEPT.items() if names[n] != data]
        if changed:
            return Failure(
                f"after the restore, the data of {', '.join(changed)} is not what it was at the save",
                "restore FILE, the snapshot your save wrote, and nothing written since",
            )
        replicas = deployment.items[0].spec.replicas
        if replicas != 3:
            return Failure(f"the Deployment web came back with {replicas} replicas, not 3", "restore FILE as it is")
        if "made-after-the-backup" in names:
            return Failure(
                "the ConfigMap made-after-the-backup, created after the save, is still there",
                "the restored etcd must hold the snapshot alone: restore into the new DATA_DIR, not the old one",
            )
        return None

    def writes(self) -> Failure | None:
        body = {"metadata": {"name": "after-the-restore"}, "data": {"ok": "yes"}}
        try:
            self.cluster.core.create_namespaced_config_map(NAMESPACE, body)
            back = self.cluster.core.read_namespaced_config_map("after-the-restore", NAMESPACE)
        except (client.ApiException, urllib3.exceptions.HTTPError) as error:
            return Failure(
                f"a ConfigMap could not be written on the restored cluster: {one_line(str(error))[:200]}",
                "the restored etcd must accept writes: a whole data directory restored from FILE",
            )
        if back.data != {"ok": "yes"}:
            return Failure("a ConfigMap written after the restore read back different", "restore FILE as it is")
        return None

    def stop(self) -> None:
        if self.restored_etcd is not None:
            stop_program(self.restored_etcd)


def play(ctx: Context, path: Path) -> dict[str, Failure | None]:
    """The drill, played with the reader's program on a control plane of the checker's own: its result per step."""
    name = f"backup-{ctx.namespace}"[:50]
    try:
        own = lab_control_plane("exercise-s2-etcd-backup")
    except LabError as error:
        return {
            "saves": Failure(
                f"the checker could not start its own control plane: {one_line(str(error))[:200]}",
                "this is not your program's doing: run the check again",
            )
        }
    folder = Path(tempfile.mkdtemp(prefix="s2-backup-check-"))
    drill = None
    try:
        drill = Drill(path, own, folder, name)
        results = drill.play()
    finally:
        if drill is not None:
            drill.stop()
        own.remove()
        shutil.rmtree(folder, ignore_errors=True)
    return results


step = scenario_steps(DEFAULT_FILE, play, reuse=REUSE)

FOUND = Criterion("Your program's file is found", found(DEFAULT_FILE, "your backup program"))
SAVES = Criterion("save writes FILE", step("saves"), needs=(FOUND,))
SNAPSHOT = Criterion("FILE is an etcd snapshot", step("snapshot"), needs=(SAVES,))
RESTORES = Criterion("restore writes a data directory at DATA_DIR", step("restores"), needs=(SNAPSHOT,))
STARTS = Criterion("etcd starts on DATA_DIR, and the API server on it", step("starts"), needs=(RESTORES,))
RECOVERS = Criterion(
    "The objects of before the save are back, those made after it gone", step("recovers"), needs=(STARTS,)
)
WRITES = Criterion("The restored cluster serves writes", step("writes"), needs=(RECOVERS,))

CHECKER = Checker(
    "A backup of etcd that restores the cluster to the moment it was taken",
    [FOUND, SAVES, SNAPSHOT, RESTORES, STARTS, RECOVERS, WRITES],
)
