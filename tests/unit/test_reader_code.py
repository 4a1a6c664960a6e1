"""The reader's programs as managed processes, on tiny Python files: no cluster needed.

Each test has a cache of its own, so the programs' folders it makes and clears are its own.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from threeplanes.errors import LabError
from threeplanes.kit import programs
from threeplanes.kit.namespaces import run_of_folder, this_run
from threeplanes.kit.programs import ProgramFailed, run_reader_code
from threeplanes.provision import paths, processes

# A program that starts a child listening on a port, says so, and then hangs (as both do).
HANGS_WITH_A_CHILD = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", '''
import os, socket, time
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
print("child", os.getpid(), "port", server.getsockname()[1], flush=True)
time.sleep(600)
'''])
time.sleep(600)
"""


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("THREEPLANES_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def kubeconfig(tmp_path) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text("apiVersion: v1\nkind: Config\n")
    return path


@pytest.fixture
def write(tmp_path) -> Callable[[str, str], Path]:
    def write(name: str, source: str) -> Path:
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        return path

    return write


@pytest.fixture(autouse=True)
def stopped_after_the_test(cache):
    """Every program a test starts is stopped after it, whatever the test did."""
    before = len(programs._this_runs_programs)
    yield
    for program in programs._this_runs_programs[before:]:
        program.stop()


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def eventually(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not so after {timeout} s"
        time.sleep(0.05)


def child_and_port(program: programs.ReaderProgram) -> tuple[int, int]:
    _, pid, _, port = program.wait_for_line(r"^child \d+ port \d+$", timeout=30).split()
    return int(pid), int(port)


def test_a_program_runs_against_the_kubeconfig_given_and_its_output_is_kept(write, kubeconfig, cache) -> None:
    path = write(
        "hello", "import os, sys\nprint('kubeconfig', os.environ['KUBECONFIG'])\nprint('args', *sys.argv[1:])\n"
    )
    program = run_reader_code(path, kubeconfig=kubeconfig, args=["--zone", 3])
    assert program.wait(timeout=30) == 0 and program.exit_code == 0 and not program.alive
    assert program.log_tail() == f"kubeconfig {kubeconfig.resolve()}\nargs --zone 3"
    assert program.log_tail(1) == "args --zone 3"
    assert program.log.parent == cache / "programs" / this_run().replace("/", "-")


def test_a_crash_is_reported_with_its_line_and_the_last_lines_of_its_traceback(write, kubeconfig) -> None:
    # The library's frames come last in the traceback; the reader's own line is named first.
    path = write("crashes", "import json\nprint('reading the config')\nconfig = json.loads('{')\n")
    program = run_reader_code(path, kubeconfig=kubeconfig)
    with pytest.raises(ProgramFailed) as raised:
        program.wait(timeout=30)
    message = str(raised.value)
    assert message.startswith(
        f"crashes ({path}) exited with code 1 after printing a traceback."
        " Its last traceback points at line 3 of crashes.py: `config = json.loads('{')`."
        f" The last lines of its log ({program.log}):\n"
    )
    assert message.endswith(
        "    json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    )
    assert program.where_it_failed() == "line 3 of crashes.py: `config = json.loads('{')`"
    assert program.wait(timeout=30, check=False) == 1


def test_a_syntax_error_is_reported_with_the_line_it_is_on(write, kubeconfig) -> None:
    program = run_reader_code(write("typo", "def schedule(pod)\n    pass\n"), kubeconfig=kubeconfig)
    with pytest.raises(ProgramFailed) as raised:
        program.wait(timeout=30)
    message = str(raised.value)
    assert message.startswith(f"typo ({program.path}) exited with code 1. The last lines of its log")
    assert program.where_it_failed() is None  # Python prints no traceback for a file it cannot read
    assert "    def schedule(pod)" in message and message.endswith("    SyntaxError: expected ':'")


def test_a_traceback_printed_by_a_program_that_exits_0_is_reported(write, kubeconfig) -> None:
    source = "import threading\ndef watch():\n    raise RuntimeError('the watch broke')\n"
    path = write("thread_dies", source + "t = threading.Thread(target=watch)\nt.start()\nt.join()\n")
    program = run_reader_code(path, kubeconfig=kubeconfig)
    with pytest.raises(ProgramFailed, match=r"(?s)exited with code 0 after printing a traceback\. .*the watch broke$"):
        program.wait(timeout=30)
    assert program.where_it_failed() == "line 3 of thread_dies.py: `raise RuntimeError('the watch broke')`"
    assert program.printed_traceback and program.wait(timeout=30, check=False) == 0


def test_a_program_that_hangs_past_its_deadline_is_stopped_with_its_children(write, kubeconfig) -> None:
    program = run_reader_code(write("hangs", HANGS_WITH_A_CHILD), kubeconfig=kubeconfig, deadline=2)
    child, _ = child_and_port(program)
    with pytest.raises(ProgramFailed) as raised:
        program.wait()
    assert str(raised.value).startswith(
        f"hangs ({program.path}) did not finish within its deadline of 2 s; it and all it started were stopped."
    )
    assert "    child " in str(raised.value)  # the log's tail
    assert not program.alive and not running(program.pid) and not running(child)
    assert program.exit_code == -15 and not program.log.with_suffix(".json").exists()


def test_waiting_longer_than_asked_stops_the_program(write, kubeconfig) -> None:
    program = run_reader_code(write("sleeps", "import time\ntime.sleep(600)\n"), kubeconfig=kubeconfig)
    with pytest.raises(
        ProgramFailed, match=r"^sleeps \(.*\) did not finish within 0.5 s; it and all it started were stopped"
    ):
        program.wait(timeout=0.5)
    assert not running(program.pid)


def test_waiting_without_a_deadline_or_a_timeout_is_refused(write, kubeconfig) -> None:
    program = run_reader_code(write("sleeps", "import time\ntime.sleep(600)\n"), kubeconfig=kubeconfig)
    with pytest.raises(
        LabError, match=r"^sleeps has no deadline: say how long to wait for it, e.g. `wait\(timeout=60\)`"
    ):
        program.wait()
    assert program.alive


def test_a_line_the_program_prints_is_waited_for(write, kubeconfig) -> None:
    source = (
        "import time\nprint('starting')\ntime.sleep(0.5)\nprint('scheduler ready on port 10259')\ntime.sleep(600)\n"
    )
    program = run_reader_code(write("scheduler", source), kubeconfig=kubeconfig)
    assert program.wait_for_line(r"ready on port \d+", timeout=30) == "scheduler ready on port 10259"
    assert program.alive


def test_a_line_is_matched_whole_even_when_printed_in_pieces(write, kubeconfig) -> None:
    pieces = "('rea', 'dy\\n', 'bye')"
    source = f"import sys, time\nfor piece in {pieces}:\n    sys.stdout.write(piece)\n    time.sleep(0.3)\n"
    program = run_reader_code(write("pieces", source), kubeconfig=kubeconfig)
    assert program.wait_for_line("rea", timeout=30) == "ready"
    assert program.wait_for_line("^bye$", timeout=30) == "bye"  # the last line, with no newline, once it ended


def test_a_program_that_ends_before_the_line_is_reported_at_once(write, kubeconfig) -> None:
    program = run_reader_code(write("quits", "print('no config')\nraise SystemExit(3)\n"), kubeconfig=kubeconfig)
    began = time.monotonic()
    with pytest.raises(ProgramFailed) as raised:
        program.wait_for_line("ready", timeout=60)
    assert time.monotonic() - began < 30
    assert str(raised.value) == (
        f"quits ({program.path}) exited with code 3 before printing a line matching 'ready'."
        f" The last lines of its log ({program.log}):\n    no config"
    )


def test_a_line_never_printed_is_reported_with_the_program_still_running(write, kubeconfig) -> None:
    program = run_reader_code(write("silent", "import time\ntime.sleep(600)\n"), kubeconfig=kubeconfig)
    with pytest.raises(ProgramFailed) as raised:
        program.wait_for_line("ready", timeout=0.5)
    assert str(raised.value) == (
        f"silent ({program.path}) printed no line matching 'ready' within 0.5 s; it is still running."
        f" It printed nothing (its log: {program.log})."
    )
    assert program.alive


def test_stop_leaves_no_process_and_no_record(write, kubeconfig) -> None:
    with run_reader_code(write("hangs", HANGS_WITH_A_CHILD), kubeconfig=kubeconfig) as program:
        child, port = child_and_port(program)
        assert processes.listening_ports(processes.session_members(program._started)) == [port]
    assert not running(program.pid) and not running(child)
    assert not program.log.with_suffix(".json").exists() and "was stopped" in repr(program)
    assert program.stop() == -15  # stopping again changes nothing


def test_a_second_run_of_a_name_has_its_own_output_and_record(write, kubeconfig) -> None:
    path = write("echo", "import sys, time\nprint(sys.argv[1], flush=True)\ntime.sleep(float(sys.argv[2]))\n")
    first = run_reader_code(path, kubeconfig=kubeconfig, args=["first", 0])
    assert first.wait(timeout=30) == 0
    again = run_reader_code(path, kubeconfig=kubeconfig, args=["second", 600])
    assert again.wait_for_line("second", timeout=30) and again.output() == "second\n"
    assert first.output() == "first\n" and first.log == again.log
    first.stop()  # its record was replaced by the second one's, which stays
    assert [(r.name, r.pid) for r in processes.recorded(again.log.parent)] == [("echo", again.pid)]


def test_bad_input_gets_a_specific_message(write, kubeconfig, tmp_path) -> None:
    path = write("sleeps", "import time\ntime.sleep(600)\n")
    with pytest.raises(LabError, match="^There is no Python file at .*missing.py: write your program there"):
        run_reader_code(tmp_path / "missing.py", kubeconfig=kubeconfig)
    with pytest.raises(LabError, match="^There is no Python file at"):
        run_reader_code(tmp_path, kubeconfig=kubeconfig)
    with pytest.raises(LabError, match="^There is no kubeconfig at .*nowhere: give the lab's"):
        run_reader_code(path, kubeconfig=tmp_path / "nowhere")
    with pytest.raises(LabError, match="^'my scheduler' cannot name a program"):
        run_reader_code(path, kubeconfig=kubeconfig, name="my scheduler")
    with pytest.raises(LabError, match="^A program's deadline is a number of seconds above 0, not 0"):
        run_reader_code(path, kubeconfig=kubeconfig, deadline=0)
    program = run_reader_code(path, kubeconfig=kubeconfig)
    with pytest.raises(LabError, match=f"^A program named sleeps already runs \\(pid {program.pid}\\): stop it first"):
        run_reader_code(path, kubeconfig=kubeconfig)
    with pytest.raises(LabError, match=r"^'\(ready' is not a regular expression"):
        program.wait_for_line("(ready")
    with pytest.raises(LabError, match="^Waiting for sleeps needs a timeout above 0 s, not -1"):
        program.wait(timeout=-1)


# A run in a process of its own: it starts a program (HANGS_WITH_A_CHILD or one like it), says what it
# started, then ends as told; exiting, it says how long its programs took to stop.
OWNER = """
import atexit, os, signal, sys, time
atexit.register(lambda: print(f"{time.monotonic() - ending:.2f}", flush=True))  # runs last
from threeplanes.kit.programs import run_reader_code
program = run_reader_code(sys.argv[1], kubeconfig=sys.argv[2])
_, child, _, port = program.wait_for_line(r"^child \\d+ port \\d+$", timeout=30).split()
print(program.pid, child, port, program.log.parent, flush=True)
if sys.argv[3] == "killed":
    os.kill(os.getpid(), signal.SIGKILL)
ending = time.monotonic()
"""


def run_owner(program: Path, kubeconfig: Path, ending: str) -> tuple[int, int, int, Path, float | None]:
    owner = subprocess.run(
        [sys.executable, "-c", OWNER, str(program), str(kubeconfig), ending],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    said = owner.stdout.splitlines()
    assert said, owner.stderr
    pid, child, port, folder = said[0].split()
    return int(pid), int(child), int(port), Path(folder), float(said[1]) if len(said) > 1 else None


def test_a_run_that_exits_stops_its_programs_and_removes_its_folder(write, kubeconfig) -> None:
    program, child, _, folder, took = run_owner(write("hangs", HANGS_WITH_A_CHILD), kubeconfig, "exits")
    assert not running(program) and not running(child) and not folder.exists()
    # Both end on SIGTERM. The child, whose parent ends too, is left to init to reap (which some
    # containers' init never does): the exit does not wait for that.
    assert took is not None and took < programs.EXIT_GRACE


def test_programs_that_ignore_sigterm_are_killed_at_exit_without_delaying_it(write, kubeconfig) -> None:
    # A kernel told to shut down is killed a few seconds later: its other clean-ups must get their turn.
    stubborn = write("stubborn", "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + HANGS_WITH_A_CHILD)
    program, child, _, folder, took = run_owner(stubborn, kubeconfig, "exits")
    assert not running(program) and not running(child) and not folder.exists()
    assert took is not None and 0.9 < took < 4  # SIGTERM ignored, so SIGKILL after EXIT_GRACE (1 s)


def test_what_a_killed_run_left_is_reported_then_cleared_by_the_next_run(write, kubeconfig) -> None:
    program, child, port, folder, _ = run_owner(write("hangs", HANGS_WITH_A_CHILD), kubeconfig, "killed")
    # The kernel ends the program when its run dies; the child it started lives on, in its session.
    eventually(lambda: not running(program), f"program {program} ended with its run")
    assert running(child) and folder.exists()
    assert programs.left_by_gone_programs() == [
        f"process {child} (hangs)",
        f"port {port} (held by hangs)",
        f"folder {folder}",
    ]
    assert programs.left_by_gone_programs(started_after=time.time() + 60) == []
    assert programs.clear_gone_programs() == [f"process {child} (hangs)", f"folder {folder}"]
    assert not running(child) and not folder.exists() and programs.left_by_gone_programs() == []


def sleeper(folder: Path) -> processes.Started:
    return processes.start("sleeper", [sys.executable, "-c", "import time; time.sleep(600)"], folder, folder)


def test_only_the_programs_of_gone_runs_are_cleared(write, kubeconfig) -> None:
    host = socket.gethostname()
    gone = sleeper(programs.run_folder(f"{host}/999999999/0"))  # no such PID: its owner is gone
    live = sleeper(programs.run_folder(this_run()))
    elsewhere = sleeper(programs.run_folder(f"not-{host}/1/0"))  # cannot be checked from here: left alone
    try:
        program = run_reader_code(write("quick", "print('hi')\n"), kubeconfig=kubeconfig)  # clears gone runs first
        assert program.wait(timeout=30) == 0
        assert not gone.running and not gone.log.parent.exists()
        assert live.running and elsewhere.running and programs.left_by_gone_programs() == []
    finally:
        for started in (gone, live, elsewhere):
            processes.stop_started(started)


def test_a_folder_is_named_after_its_run_and_read_back() -> None:
    run = f"{socket.gethostname()}-with-dashes/4242/1700000000"
    assert run_of_folder(programs.run_folder(run)) == run
    assert re.fullmatch(r".*/programs/.+-\d+-\d+", str(programs.run_folder(this_run())))


def test_the_test_sessions_leftover_check_names_what_a_killed_run_left(write, kubeconfig, tmp_path) -> None:
    shutil.copy(paths.REPO_ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    owner = [sys.executable, "-c", OWNER, str(write("hangs", HANGS_WITH_A_CHILD)), str(kubeconfig), "killed"]
    said = tmp_path / "owner-said.txt"
    (tmp_path / "test_leaves_a_program.py").write_text(
        "import subprocess\n\n"
        "def test_a_run_starts_a_program_then_is_killed():\n"
        f"    with open({str(said)!r}, 'w') as said:\n"
        f"        subprocess.run({owner!r}, stdout=said, timeout=60)\n"
    )
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-q", str(tmp_path)]
    session = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert session.returncode == pytest.ExitCode.TESTS_FAILED and "1 passed" in session.stdout, session.stdout
    program, child, port, folder = said.read_text().split()  # killed: no second line
    # The program itself may not have ended yet from the signal its run's death sends it.
    left = rf"(process {program} \(hangs\), )?process {child} \(hangs\), port {port} \(held by hangs\), folder "
    left += re.escape(folder)
    assert re.search(rf"The test run left these behind: {left}\n", session.stdout), session.stdout
    assert not running(int(child)) and not Path(folder).exists()  # and cleared
