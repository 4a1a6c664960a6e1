"""Run programs with a deadline, and stop processes without ever signalling a stranger.

Every program provisioning runs goes through ``run``: it has a timeout, and when the timeout
passes the program and every process it started are stopped before the error is raised.
Processes are stopped through psutil, whose ``Process`` remembers its start time and refuses
to signal a PID that has since been reused by another process.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psutil

from threeplanes.errors import ProvisioningError


def run(
    args: list[str],
    *,
    timeout: float,
    what: str | None = None,
    input: str | None = None,
    capture_output: bool = False,
    text: bool = True,
    **popen: Any,
) -> subprocess.CompletedProcess:
    """Run ``args`` to the end or until ``timeout`` seconds pass; then stop it and all it started.

    A missing program and a timeout raise ``ProvisioningError`` in one sentence; the exit
    status is returned for the caller to judge.
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
    _, alive = psutil.wait_procs(targets, timeout=grace)
    for process in alive:
        try:
            process.kill()
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    _, alive = psutil.wait_procs(alive, timeout=grace)
    return alive


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
