"""The real node's host processes: started by threeplanes, recorded by PID and start time, stopped by PID.

A PID file holds the PID and the process's start time (psutil's ``create_time``): a PID that a
later process reused is never signalled.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass
class Started:
    name: str
    pid: int
    created: float
    log: Path

    @property
    def running(self) -> bool:
        return _same_process(self.pid, self.created)


def start(name: str, command: list[str], pids: Path, logs: Path, env: dict[str, str] | None = None) -> Started:
    """Start ``command`` in its own session, its output appended to ``logs/<name>.log``."""
    pids.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{name}.log"
    with open(log_path, "ab") as log_file:
        log_file.write(f"\n==> {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} $ {' '.join(command)}\n".encode())
        log_file.flush()
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    created = psutil.Process(process.pid).create_time()
    started = Started(name, process.pid, created, log_path)
    (pids / f"{name}.json").write_text(json.dumps({"pid": process.pid, "created": created, "log": str(log_path)}))
    return started


def recorded(pids: Path) -> list[Started]:
    """Every process a PID file names, running or not."""
    found = []
    for pid_file in sorted(pids.glob("*.json")):
        try:
            data = json.loads(pid_file.read_text())
            found.append(Started(pid_file.stem, int(data["pid"]), float(data["created"]), Path(data["log"])))
        except (ValueError, KeyError, OSError):
            continue
    return found


def _same_process(pid: int, created: float) -> bool:
    try:
        process = psutil.Process(pid)
        return abs(process.create_time() - created) < 0.05 and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def stop(started: Started, grace: float = 10.0) -> bool:
    """SIGTERM, then SIGKILL after ``grace`` seconds; True when this call stopped a running process."""
    if not started.running:
        return False
    process = psutil.Process(started.pid)
    process.terminate()
    try:
        process.wait(timeout=grace)
    except psutil.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    return True


def stop_matching(predicate, grace: float = 5.0) -> list[int]:
    """Stop every process whose command line satisfies ``predicate`` (used for containerd's shims)."""
    victims = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            if process.info["cmdline"] and predicate(process.info["cmdline"]):
                victims.append(process)
        except psutil.Error:
            continue
    for process in victims:
        try:
            process.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(victims, timeout=grace)
    for process in alive:
        try:
            process.kill()
        except psutil.Error:
            pass
    return [p.pid for p in victims]


def port_taken(port: int, host: str = "0.0.0.0", kind: str = "tcp") -> bool:
    """True when something on this machine listens on ``port`` (on ``host`` or on every address)."""
    for conn in psutil.net_connections(kind=kind):
        if not conn.laddr or conn.laddr.port != port:
            continue
        if kind == "tcp" and conn.status != psutil.CONN_LISTEN:
            continue
        if conn.laddr.ip in {host, "0.0.0.0", "::"}:
            return True
    return False
