"""The reader's own programs (a scheduler, a controller), run beside a lab as managed processes.

``run_reader_code`` starts a Python file of the reader's with this Python, its ``KUBECONFIG``
set to the lab's cluster and its output kept in a log, and returns a ``ReaderProgram``.
``wait_for_line`` waits until it prints a line (a scheduler saying it is ready), ``wait`` until
it ends; a program that crashes, prints a traceback or does not finish in time is reported in
one message with the last lines of its log, never as a hang::

    scheduler = run_reader_code("my_scheduler.py", kubeconfig=cluster.kubeconfig, deadline=600)
    scheduler.wait_for_line("ready", timeout=30)
    ...
    scheduler.stop()

A program is stopped with every process it started: by ``stop()`` (or at the end of a ``with``
block), at its deadline, when the run that started it exits (``atexit``; Linux sends it SIGTERM
too if the run is killed), and else by the next run that starts one: as ``lab_namespace``
deletes the namespaces of runs that are gone, ``run_reader_code`` first stops the programs of
gone runs and removes their folders (``clear_gone_programs``; ``left_by_gone_programs`` names what they
left, for a leftover check). A run's programs are recorded in a folder of its own,
``<cache>/programs/<host>-<pid>-<start time>`` (the run as ``namespaces.this_run`` names it):
a record and a log per program.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

from threeplanes.errors import LabError
from threeplanes.kit.namespaces import clear_gone_runs_in, left_by_gone_runs_in, run_folder_name, this_run
from threeplanes.provision import paths, processes

TRACEBACK = "Traceback (most recent call last):"
FRAME = re.compile(r'^  File "(.+)", line (\d+), in .*\n(?:    (.*)\n)?', re.MULTILINE)  # and the line's code
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
GRACE = 5.0  # seconds between SIGTERM and SIGKILL when a program is stopped
# At exit, much less: a notebook kernel told to shut down is killed a few seconds later
# (jupyter_client's ``shutdown_wait_time``), and the other at-exit clean-ups must run before that.
EXIT_GRACE = 1.0


class ProgramFailed(LabError):
    """The reader's program crashed, printed a traceback, or did not finish (or say what was awaited) in time."""


def programs_root() -> Path:
    """Where every run's folder of programs lies."""
    return paths.cache_root() / "programs"


def run_folder(run: str) -> Path:
    """The folder of the programs of ``run`` (``host/pid/start time``)."""
    return programs_root() / run_folder_name(run)


class ReaderProgram:
    """One of the reader's programs, started by ``run_reader_code``: running, ended or stopped."""

    def __init__(self, started: processes.Started, path: Path, deadline: float | None, log_offset: int):
        assert started.popen is not None
        self.name, self.path, self.log, self.deadline = started.name, path, started.log, deadline
        self.pid = started.pid
        self._started, self._popen, self._file = started, started.popen, path.resolve()  # as its tracebacks name it
        with open(self.log, "rb") as log:  # past the blank line and the "==> ... $ command" line start writes first
            log.seek(log_offset)
            self._output_start = log_offset + len(log.readline()) + len(log.readline())
        self._output_end: int | None = None  # set when a later program of the same name appends to the log
        self._stopped_by: str | None = None  # "stop", "deadline" or "timeout" once the kit stopped it
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        if deadline is not None:
            self._timer = threading.Timer(deadline, self._stop, args=("deadline",))
            self._timer.daemon = True
            self._timer.start()

    @property
    def alive(self) -> bool:
        """True while the program runs."""
        return self._popen.poll() is None

    @property
    def exit_code(self) -> int | None:
        """Its exit code once it ended (``-N`` when signal N ended it), else None."""
        return self._popen.poll()

    def output(self) -> str:
        """Everything the program printed so far (standard output and error, in order)."""
        return self._printed_from(0).decode(errors="replace")

    def _printed_from(self, start: int) -> bytes:
        """What the program printed from byte ``start`` of its output on."""
        try:
            with open(self.log, "rb") as log:
                log.seek(self._output_start + start)
                return log.read() if self._output_end is None else log.read(max(0, self._output_end - log.tell()))
        except FileNotFoundError:
            return b""

    def log_tail(self, lines: int = processes.LAST_LINES) -> str:
        """The last ``lines`` non-blank lines the program printed."""
        return "\n".join(processes.last_lines(self.output(), lines))

    @property
    def printed_traceback(self) -> bool:
        """True when the program printed a Python traceback (a crash, or a thread of it that died)."""
        return TRACEBACK in self.output()

    def wait_for_line(self, pattern: str | re.Pattern[str], timeout: float = 60) -> str:
        """Wait until the program prints a line matching ``pattern`` (a regular expression); return the line.

        A program that ends first, or prints no such line within ``timeout`` seconds, raises
        ``ProgramFailed`` with the last lines of its log; in the second case it keeps running.
        """
        try:
            wanted = re.compile(pattern)
        except re.error as error:
            raise LabError(
                f"{pattern!r} is not a regular expression ({error}); re.escape(text) waits for the text as it is."
            ) from None
        deadline = time.monotonic() + timeout
        searched = 0  # bytes of output whose lines were searched
        while True:
            running = self.alive  # read before the log, so a line printed just before the end is seen
            printed = self._printed_from(searched)
            # While it runs, whole lines only: the rest of the last one may be on its way.
            lines = printed[: printed.rfind(b"\n") + 1] if running else printed
            searched += len(lines)
            for line in lines.decode(errors="replace").splitlines():
                if wanted.search(line):
                    return line
            if not running:
                ended = f"{self._ending()} before printing a line matching {wanted.pattern!r}"
                raise ProgramFailed(self._report(ended))
            left = deadline - time.monotonic()
            if left <= 0:
                still = f"printed no line matching {wanted.pattern!r} within {timeout:g} s; it is still running"
                raise ProgramFailed(self._report(still))
            # The pause between two reads of the log ends at once if the program exits.
            with contextlib.suppress(processes.TimeoutExpired):
                self._popen.wait(min(0.1, left))

    def wait(self, timeout: float | None = None, *, check: bool = True) -> int:
        """Wait until the program ends and return its exit code; a program still running after ``timeout``
        seconds (by default, its deadline) is stopped with all it started.

        ``ProgramFailed`` says, with the last lines of its log, that it did not finish in time, or (unless
        ``check`` is False) that it exited with a non-zero code or printed a traceback.
        """
        if timeout is None and self.deadline is None:
            raise LabError(f"{self.name} has no deadline: say how long to wait for it, e.g. `wait(timeout=60)`.")
        if timeout is not None and timeout <= 0:
            raise LabError(f"Waiting for {self.name} needs a timeout above 0 s, not {timeout:g}.")
        if timeout is None:  # the deadline's stop, given the time it may take
            assert self.deadline is not None
            limit = max(0.0, self._started.created + self.deadline - time.time()) + 2 * GRACE + 1
        else:
            limit = timeout
        try:
            code = self._popen.wait(limit)
        except processes.TimeoutExpired:
            self._stop("timeout")
            code = self._popen.wait()
        with self._lock:  # a stop that ended it (the deadline's) goes on with what it started: let it finish
            pass
        if self._stopped_by == "timeout":
            raise ProgramFailed(self._report(f"did not finish within {limit:g} s; it and all it started were stopped"))
        if self._stopped_by == "deadline" or (check and (code != 0 or self.printed_traceback)):
            raise ProgramFailed(self._report(self._ending()))
        return code

    def stop(self, grace: float = GRACE) -> int | None:
        """Stop the program and every process it started (those it left behind included); return its exit code."""
        self._stop("stop", grace)
        return self.exit_code

    def _stop(self, reason: str, grace: float = GRACE) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            if self._stopped_by is None and self.alive:
                self._stopped_by = reason
            # The program itself is stopped through its Popen, which alone can collect its exit code.
            others = [p for p in processes.session_members(self._started) if p.pid != self.pid]
            if self.alive:
                self._popen.terminate()
            processes.stop(others, grace)
            try:
                self._popen.wait(grace)
            except processes.TimeoutExpired:
                self._popen.kill()
                self._popen.wait()
            # Its record goes, unless a later program of the same name has taken its place.
            if any(r.name == self.name and r.pid == self.pid for r in processes.recorded(self.log.parent)):
                (self.log.parent / f"{self.name}.json").unlink(missing_ok=True)

    def _ending(self) -> str:
        """How the program ended, in words."""
        code = self.exit_code
        if self._stopped_by == "deadline":
            return f"did not finish within its deadline of {self.deadline:g} s; it and all it started were stopped"
        if self._stopped_by is not None:
            return "was stopped"
        if code is None:
            return "is running"
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"was ended by {signal.Signals(-code).name}"
        ended = f"exited with code {code}"
        return f"{ended} after printing a traceback" if self.printed_traceback else ended

    def where_it_failed(self) -> str | None:
        """The line of the reader's file that its last traceback points at, with that line's code, if any.

        A library's frames come last in a traceback (and its error's details may fill the log's
        last lines); this is the reader's own line that led there.
        """
        output = self.output()
        start = output.rfind(TRACEBACK)
        if start < 0:
            return None
        mine = [(line, code) for file, line, code in FRAME.findall(output[start:]) if Path(file) == self._file]
        if not mine:
            return None
        line, code = mine[-1]
        return f"line {line} of {self.path.name}" + (f": `{code.strip()}`" if code.strip() else "")

    def _report(self, what_happened: str) -> str:
        """One message: what happened to the program, where its last traceback points, the last lines of its log."""
        where = self.where_it_failed()
        pointed = f" Its last traceback points at {where}." if where else ""
        tail = self.log_tail()
        said = (
            f"The last lines of its log ({self.log}):\n" + "\n".join(f"    {line}" for line in tail.splitlines())
            if tail
            else f"It printed nothing (its log: {self.log})."
        )
        return f"{self.name} ({self.path}) {what_happened}.{pointed} {said}"

    def __enter__(self) -> ReaderProgram:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<ReaderProgram {self.name}, pid {self.pid}: {self._ending()}>"


_this_runs_programs: list[ReaderProgram] = []


def run_reader_code(
    path: str | os.PathLike,
    *,
    kubeconfig: str | os.PathLike,
    args: Sequence[object] = (),
    deadline: float | None = None,
    name: str | None = None,
) -> ReaderProgram:
    """Start the reader's Python file ``path`` (with ``args``) against the cluster of ``kubeconfig``.

    The program runs with this Python, ``KUBECONFIG`` set to ``kubeconfig`` (a lab passes
    ``cluster.kubeconfig``) and its output unbuffered in its log; it is stopped after ``deadline``
    seconds if it runs that long, and when this process exits. ``name`` (by default the file's
    stem) names its log and its record.
    """
    program_file, config = Path(path), Path(kubeconfig)
    name = name or program_file.stem
    if not program_file.is_file():
        raise LabError(f"There is no Python file at {program_file}: write your program there, or give its path.")
    if not config.is_file():
        raise LabError(f"There is no kubeconfig at {config}: give the lab's, `kubeconfig=cluster.kubeconfig`.")
    if not NAME.fullmatch(name):
        raise LabError(f"{name!r} cannot name a program: use letters, digits, '.', '_' and '-' only.")
    if deadline is not None and deadline <= 0:
        raise LabError(f"A program's deadline is a number of seconds above 0, not {deadline:g}.")
    running = [p for p in _this_runs_programs if p.name == name and p.alive]
    if running:
        raise LabError(
            f"A program named {name} already runs (pid {running[0].pid}): stop it first, or give this one another name."
        )
    clear_gone_programs()
    folder = run_folder(this_run())
    log = folder / f"{name}.log"
    offset = log.stat().st_size if log.exists() else 0
    for earlier in _this_runs_programs:
        if earlier.log == log and earlier._output_end is None:
            earlier._output_end = offset
    command = [sys.executable, str(program_file.resolve()), *map(str, args)]
    environment = {"KUBECONFIG": str(config.resolve()), "PYTHONUNBUFFERED": "1"}
    started = processes.start(name, command, folder, folder, env=environment, die_with_parent=True)
    program = ReaderProgram(started, program_file, deadline, offset)
    if not _this_runs_programs:
        atexit.register(_stop_this_runs_programs)
    _this_runs_programs.append(program)
    return program


def _stop_this_runs_programs() -> None:
    """At process exit: stop every program this run started, all at once, then remove the run's folders."""
    try:
        members = [p for program in _this_runs_programs for p in processes.session_members(program._started)]
        processes.stop(members, EXIT_GRACE)
    except Exception:  # the process is exiting: remove the folders all the same
        pass
    for folder in {program.log.parent for program in _this_runs_programs}:
        shutil.rmtree(folder, ignore_errors=True)


def _members(folder: Path) -> list[tuple[str, list[psutil.Process]]]:
    """The programs recorded in a run's folder, each with every live process of its session."""
    return [(record.name, processes.session_members(record)) for record in processes.recorded(folder)]


def left_by_gone_programs(started_after: float = 0) -> list[str]:
    """What runs that are gone (and began after ``started_after``) left: processes, the ports they hold, folders."""
    return left_by_gone_runs_in(programs_root(), _members, started_after)


def clear_gone_programs() -> list[str]:
    """Stop the programs of the runs that are gone, with all they started, and remove the runs' folders.

    Returns what was cleared, as ``left_by_gone_programs`` names it.
    """
    return clear_gone_runs_in(programs_root(), _members, GRACE)
