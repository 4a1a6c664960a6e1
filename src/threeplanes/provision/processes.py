"""Run programs with a deadline, start servers that outlive the call, and stop processes
without ever signalling a stranger.

Every program the package runs to its end goes through ``run``: it has a timeout, and when
the timeout passes the program and every process it started are stopped before the error is
raised. A non-zero exit raises ``CommandFailed``, which names the program, its exit status and
its last words, unless the caller passes ``check=False`` to judge the status itself (a probe
such as ``iptables -C``, whose "no" is an answer). A server (the real node's daemons, a second
kube-apiserver) goes through ``start``, which records its PID and start time in a file, so
that a PID later reused by another process is never signalled. Processes are stopped through
psutil, whose ``Process`` remembers its start time too.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from threeplanes.errors import ProvisioningError

# For callers that send a program's output elsewhere (``stderr=processes.STDOUT``), annotate its result, or
# wait for a started server with a deadline (``Started.popen.wait(timeout)`` raises ``TimeoutExpired``).
PIPE, STDOUT, DEVNULL = subprocess.PIPE, subprocess.STDOUT, subprocess.DEVNULL
CompletedProcess, TimeoutExpired = subprocess.CompletedProcess, subprocess.TimeoutExpired
LAST_LINES = 10  # of a failed program's output, quoted in its error
WORKERS = int(os.environ.get("WORKERS", "4"))  # programs side by side: as many as `make test` runs at once


class CommandFailed(ProvisioningError):
    """A program exited with a non-zero status: one sentence naming it and the status, then its last words.

    ``command``, ``returncode``, ``stdout`` and ``stderr`` are the program's, as ``run`` saw them
    (``stdout`` and ``stderr`` are None where they were not captured).
    """

    def __init__(self, what: str, command: list[str], returncode: int, stdout: Any = None, stderr: Any = None):
        self.what, self.command, self.returncode, self.stdout, self.stderr = what, command, returncode, stdout, stderr
        said = last_lines(stderr) or last_lines(stdout)
        ended = f"failed with exit status {returncode}"
        if returncode < 0:  # ended by a signal
            with contextlib.suppress(ValueError):
                ended = f"was stopped by {signal.Signals(-returncode).name}"
        if len(said) > 1:
            super().__init__(f"{what} {ended}:\n" + "\n".join(said))
        else:
            super().__init__(f"{what} {ended}" + (f": {said[0]}" if said else "."))


def last_lines(output: str | bytes | None, count: int = LAST_LINES) -> list[str]:
    """The last ``count`` non-blank lines of a program's output (bytes decoded, undecodable bytes replaced)."""
    if isinstance(output, bytes):
        output = output.decode(errors="replace")
    return [line.rstrip() for line in (output or "").splitlines() if line.strip()][-count:]


def run(
    args: list[str],
    *,
    timeout: float,
    what: str | None = None,
    input: str | None = None,
    capture_output: bool = False,
    text: bool = True,
    check: bool = True,
    **popen: Any,
) -> subprocess.CompletedProcess:
    """Run ``args`` to the end or until ``timeout`` seconds pass; then stop it and all it started.

    A missing program and a timeout raise ``ProvisioningError`` in one sentence, and so does a
    non-zero exit (``CommandFailed``, with the last lines of what the program said) unless
    ``check`` is False: then the exit status is returned for the caller to judge. ``what``
    names the program in those sentences (by default, its command line).
    """
    what = what or f"`{shlex.join(str(a) for a in args)}`"
    if input is not None:
        popen["stdin"] = subprocess.PIPE
    if capture_output:
        popen["stdout"] = popen["stderr"] = subprocess.PIPE
    try:
        process = subprocess.Popen(args, start_new_session=True, text=text, **popen)
    except FileNotFoundError:
        raise ProvisioningError(f"{what} could not run: {args[0]} is not installed.") from None
    except PermissionError:
        raise ProvisioningError(f"{what} could not run: {args[0]} is not executable.") from None
    try:
        stdout, stderr = process.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_tree(process.pid)
        process.communicate()
        raise ProvisioningError(
            f"{what} did not finish within {timeout:g} s; it and what it started were stopped."
        ) from None
    except BaseException:
        stop_tree(process.pid)
        raise
    if check and process.returncode != 0:
        raise CommandFailed(what, args, process.returncode, stdout, stderr)
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


def stop_tree(pid: int, grace: float = 5.0) -> None:
    """Stop ``pid`` and every process below it (children are listed before the parent goes)."""
    try:
        parent = psutil.Process(pid)
        family = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return
    stop(family, grace)


def stop(processes: Iterable[psutil.Process], grace: float = 10.0) -> list[psutil.Process]:
    """SIGTERM, wait up to ``grace`` s, then SIGKILL what is left; return the processes still alive.

    ``psutil.Process.terminate`` checks the process's start time first, so a process that
    exited and whose PID was reused is never signalled.
    """
    targets = []
    for process in processes:
        try:
            process.terminate()
            targets.append(process)
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        except psutil.AccessDenied:
            targets.append(process)
    alive = wait_until_ended(targets, grace)
    for process in alive:
        try:
            process.kill()
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return wait_until_ended(alive, grace)


def from_pid_file(pid_file: Path, program_prefix: Path) -> psutil.Process | None:
    """The process a pid file names, if it is still the one that was started.

    It must run a program from under ``program_prefix`` and have started no later than the
    pid file was written (a PID reused later belongs to a process that started afterwards).
    """
    try:
        pid = int(pid_file.read_text().strip())
        written = pid_file.stat().st_mtime
        process = psutil.Process(pid)
        started = process.create_time()
        program = (process.cmdline() or [""])[0]
    except (ValueError, OSError, psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return None
    if process.status() == psutil.STATUS_ZOMBIE:
        return None
    # Two seconds of slack: psutil derives start times from the boot time, rounded to the second.
    if started > written + 2.0 or not program.startswith(str(program_prefix) + os.sep):
        return None
    return process


def running_from(program_prefix: Path) -> list[psutil.Process]:
    """Every live process whose program lies under ``program_prefix`` (found even without a pid file)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        command = process.info.get("cmdline") or [""]
        if process.info.get("status") == psutil.STATUS_ZOMBIE:
            continue
        if command and command[0].startswith(str(program_prefix) + os.sep):
            found.append(process)
    return found


# --- servers: started here, recorded by PID and start time, stopped by PID -----------------------


@dataclass
class Started:
    name: str
    pid: int
    created: float  # psutil's create_time: with the PID, it names one process and no later one
    log: Path
    # Set by ``start`` (not by ``recorded``): the one handle that can collect the exit status.
    popen: subprocess.Popen | None = field(default=None, repr=False, compare=False)

    @property
    def running(self) -> bool:
        return self.process() is not None

    def process(self) -> psutil.Process | None:
        """The very process that was started, while it runs."""
        try:
            process = psutil.Process(self.pid)
            if abs(process.create_time() - self.created) < 0.05 and process.status() != psutil.STATUS_ZOMBIE:
                return process
        except psutil.Error:
            pass
        return None


def _die_with_parent() -> None:
    """In the child, before it runs its program: SIGTERM when the process that started it exits (Linux)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start(
    name: str,
    command: list[str],
    pids: Path,
    logs: Path,
    env: dict[str, str] | None = None,
    die_with_parent: bool = False,
) -> Started:
    """Start ``command`` in its own session, its output appended to ``logs/<name>.log``.

    With ``die_with_parent`` the server is stopped when this Python process exits, however it
    exits (a notebook kernel that is killed included); that needs Linux.
    """
    pids.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{name}.log"
    with open(log_path, "ab") as log_file:
        log_file.write(f"\n==> {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} $ {shlex.join(command)}\n".encode())
        log_file.flush()
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                start_new_session=True,
                preexec_fn=_die_with_parent if die_with_parent and sys.platform == "linux" else None,
            )
        except FileNotFoundError:
            raise ProvisioningError(f"{name} could not start: {command[0]} is not installed.") from None
    created = psutil.Process(process.pid).create_time()
    started = Started(name, process.pid, created, log_path, process)
    (pids / f"{name}.json").write_text(json.dumps({"pid": process.pid, "created": created, "log": str(log_path)}))
    return started


def recorded(pids: Path) -> list[Started]:
    """Every process a PID file in ``pids`` names, running or not."""
    found = []
    for pid_file in sorted(pids.glob("*.json")):
        try:
            data = json.loads(pid_file.read_text())
            found.append(Started(pid_file.stem, int(data["pid"]), float(data["created"]), Path(data["log"])))
        except (ValueError, KeyError, OSError):
            continue
    return found


def stop_started(started: Started, grace: float = 10.0) -> bool:
    """Stop a server ``start`` started; True when it was running."""
    process = started.process()
    if process is None:
        return False
    stop([process], grace)
    return True


def stop_matching(predicate: Callable[[list[str]], bool], grace: float = 5.0) -> list[int]:
    """Stop every process whose command line satisfies ``predicate`` (used for containerd's shims)."""
    victims = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            if process.info["cmdline"] and predicate(process.info["cmdline"]):
                victims.append(process)
        except psutil.Error:
            continue
    stop(victims, grace)
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


# --- a started program's session: what it started, also once it exited ---------------------------


def session_members(started: Started) -> list[psutil.Process]:
    """The live processes of a program ``start`` started: itself, its descendants, the rest of its session.

    ``start`` makes the program the leader of a session whose id is its PID, and the processes it
    starts inherit that session; those it leaves when it exits are handed to init, and the session
    id is how they are found then. Linux gives no new process a PID still in use as a session id,
    and a process older than the program is never counted as one of its.
    """
    found: dict[int, psutil.Process] = {}
    leader = started.process()
    if leader is not None:
        with contextlib.suppress(psutil.Error):
            found = {p.pid: p for p in [leader, *leader.children(recursive=True)]}
    for process in psutil.process_iter(["status"]):
        with contextlib.suppress(OSError, psutil.Error):
            if (
                process.pid not in found
                and process.info["status"] != psutil.STATUS_ZOMBIE
                and os.getsid(process.pid) == started.pid
                and process.create_time() >= started.created - 0.05
            ):
                found[process.pid] = process
    return list(found.values())


def listening_ports(processes: Iterable[psutil.Process]) -> list[int]:
    """The TCP ports on which any of ``processes`` listens, in order."""
    ports = set()
    for process in processes:
        with contextlib.suppress(psutil.Error):
            ports |= {c.laddr.port for c in process.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN}
    return sorted(ports)


def wait_until_ended(processes: Iterable[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait up to ``timeout`` s for ``processes`` to end; return those still running.

    One that ended and that nobody has reaped yet (a zombie whose parent ended too, where init is
    slow to reap or never does, as in some containers) has ended: ``psutil.wait_procs`` alone would
    wait the whole timeout for it.
    """
    deadline = time.monotonic() + timeout
    alive = list(processes)
    while True:
        _, alive = psutil.wait_procs(alive, timeout=max(0.0, min(0.1, deadline - time.monotonic())))
        alive = [process for process in alive if not _ended(process)]
        if not alive or time.monotonic() >= deadline:
            return alive


def _ended(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
    except psutil.AccessDenied:
        return False
