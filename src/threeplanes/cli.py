"""The command line, the package's one entry point: ``threeplanes cluster up|down|status``,
``exercise setup|check|teardown|reset``, ``assess``, ``execute``, ``bench``, ``soak``, ``binaries``, ``env``,
``doctor``."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from threeplanes import bench
from threeplanes.assessment.cli import add_assessment_commands, reset_command
from threeplanes.errors import LabError
from threeplanes.provision import binaries, cluster, doctor, paths, processes, realnode


def cluster_command(args: argparse.Namespace) -> int:
    if args.action == "up":
        path, _ = cluster.up(args.backend, context=args.context)
        print(f"kubeconfig: {path}\nexport KUBECONFIG={path}")
    elif args.action == "down":
        cluster.down()
        print("cluster down: done")
    elif args.action == "status":
        state = cluster.status()
        if state.backend is None:
            print("no cluster is running; start one with `make cluster`")
            return 1
        print(f"backend: {state.backend}\nkubeconfig: {state.kubeconfig}\n{state.nodes}")
    return 0


def exercise_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from threeplanes.checking import exercises
    from threeplanes.kit.connect import connect

    folder = Path(args.exercises) if args.exercises else exercises.locate()
    exercise = exercises.find(folder, args.id)
    cluster = connect()
    if args.action == "setup":
        exercise.setup(cluster, args.namespace)
        print(f"{exercise.id} is set up for namespace {args.namespace}")
    elif args.action == "teardown":
        exercise.teardown(cluster, args.namespace)
        print(f"removed what the setup of {exercise.id} made for namespace {args.namespace}")
    else:
        report = exercise.check(cluster, args.namespace)
        print(report)
        return 0 if report.passed else 1
    return 0


def bench_command(args: argparse.Namespace) -> int:
    if args.list:
        print(bench.step_list())
        return 0
    return bench.measure_steps(args.only)


def soak_command(args: argparse.Namespace) -> int:
    from threeplanes import soak  # it imports pytest, which no other command needs

    return soak.soak_and_report(args.count, args.workers, args.only, args.seed)


def execute_command(args: argparse.Namespace) -> int:
    from threeplanes import book  # it imports myst-nb and jupyter-cache, which no other command needs

    if args.workers < 1:
        print(f"error: --workers must be at least 1, not {args.workers}", file=sys.stderr)
        return 2
    pages = [page.resolve() for page in args.pages] or book.notebook_pages()
    if args.list:
        print("\n".join(str(book.display_path(page, paths.REPO_ROOT)) for page in pages))
        return 0
    return book.execute_pages(pages, args.workers)


def binaries_command(args: argparse.Namespace) -> int:
    for name, path in binaries.ensure_all().items():
        print(f"{name}: {path}")
    if args.with_kind:
        print(f"kind: {binaries.ensure(binaries.kind_component())['kind']}")
    if realnode.binaries_wanted() and not args.no_node:
        for name, path in binaries.ensure_node().items():
            print(f"{name}: {path}")
    for component in binaries.tool_components():  # the programs labs start for themselves (Prometheus)
        for name, path in binaries.ensure(component).items():
            print(f"{name}: {path}")
    return 0


def env_lines(kubeconfig: Path | None = None, bin_dir: Path | None = None) -> list[str]:
    """Shell lines that point a terminal at the book's cluster, with the pinned kubectl first on PATH."""
    kubeconfig = kubeconfig or paths.kubeconfig_path()
    bin_dir = bin_dir or Path(sys.executable).parent  # the venv's bin: its python and the pinned kubectl
    return [
        f"export KUBECONFIG={shlex.quote(str(kubeconfig))}",
        f'export PATH={shlex.quote(str(bin_dir))}:"$PATH"',
    ]


def env_command(args: argparse.Namespace) -> int:
    print("\n".join(env_lines()))
    if not paths.kubeconfig_path().is_file():
        print(f"# no cluster yet: {paths.kubeconfig_path()} appears with `make cluster`", file=sys.stderr)
    return 0


def doctor_command(args: argparse.Namespace) -> int:
    code = doctor.print_problems(ports=tuple(args.port), only_ports=args.only_ports)
    if code == 0:
        print("nothing stands in the way")
    return code


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="threeplanes", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    c = sub.add_parser("cluster", help="start, stop or inspect the book's cluster")
    c.add_argument("action", choices=["up", "down", "status"])
    c.add_argument(
        "--backend",
        default="auto",
        choices=cluster.BACKENDS,
        help="auto: kind if Docker answers, else local; existing: your own cluster, with --context",
    )
    c.add_argument("--context", help="with --backend existing: the kubeconfig context of your own cluster")
    c.set_defaults(run=cluster_command)

    e = sub.add_parser(
        "exercise",
        help="set up, check, tear down or reset an exercise in your namespace",
        description="Each action takes the exercise's id, e.g. f5-bin-packing (its folder's name under exercises/).",
    )
    actions = e.add_subparsers(dest="action", required=True)
    one_exercise = argparse.ArgumentParser(add_help=False)
    one_exercise.add_argument("id", help="the exercise's id, e.g. f5-bin-packing (the folder name under exercises/)")
    one_exercise.add_argument(
        "--exercises", metavar="DIR", help="the exercises folder (default: exercises/ of the book found from here)"
    )
    for action, what in [
        ("setup", "prepare the exercise for your namespace (nodes, volumes or a starting point, where it needs them)"),
        ("check", "mark your solution"),
        ("teardown", "remove what the setup made outside your namespace"),
    ]:
        a = actions.add_parser(action, parents=[one_exercise], help=what, description=f"{what[0].upper()}{what[1:]}.")
        a.add_argument("-n", "--namespace", required=True, help="the namespace your solution lives in")
        a.set_defaults(run=exercise_command)
    what = "delete your attempt at the exercise (its namespace and what its setup made), so you can start again"
    r = actions.add_parser("reset", parents=[one_exercise], help=what, description=f"{what[0].upper()}{what[1:]}.")
    r.add_argument("-n", "--namespace", help="the namespace to delete (default: every one marked for the exercise)")
    r.set_defaults(run=reset_command)

    what = "find, download or build the cluster's binaries and those the labs start (Prometheus), and print their paths"
    b = sub.add_parser("binaries", help=what)
    b.add_argument("--with-kind", action="store_true", help="also the kind binary")
    b.add_argument("--no-node", action="store_true", help="skip the real worker node's binaries (built on Linux)")
    b.set_defaults(run=binaries_command)

    e = sub.add_parser("env", help='point this terminal at the book\'s cluster: eval "$(.venv/bin/threeplanes env)"')
    e.set_defaults(run=env_command)

    d = sub.add_parser("doctor", help="check, one sentence per problem, what would stop the book from starting")
    d.add_argument("--port", type=int, action="append", default=[], help="a port that must be free (repeatable)")
    d.add_argument("--only-ports", action="store_true", help="check only that the ports are free")
    d.set_defaults(run=doctor_command)

    add_assessment_commands(sub)

    m = sub.add_parser("bench", help="time the book's machinery into bench/results.json (make bench)")
    m.add_argument("--only", metavar="A,B", help="these steps only (see --list); the last run's other figures are kept")
    m.add_argument("--list", action="store_true", help="name every step and stop")
    m.set_defaults(run=bench_command)

    s = sub.add_parser(
        "soak", help="run every lab and exercise case N times side by side and print each one's pass rate (make soak)"
    )
    s.add_argument("--count", type=int, default=10, help="runs of each case (default: %(default)s)")
    s.add_argument("--workers", type=int, default=processes.WORKERS, help="tests at once (default: %(default)s)")
    s.add_argument("-k", dest="only", metavar="EXPRESSION", help="only the cases this pytest -k expression selects")
    s.add_argument("--seed", type=int, help="pytest-randomly's seed, to replay a shuffle (default: a new one)")
    s.set_defaults(run=soak_command)

    x = sub.add_parser("execute", help="run the book's pages side by side into the cache its build reads (make book)")
    x.add_argument("--workers", type=int, default=processes.WORKERS, help="pages at once (default: %(default)s)")
    x.add_argument("--list", action="store_true", help="name the pages that would be executed, and stop")
    x.add_argument("pages", nargs="*", type=Path, help="these pages only (default: every notebook of _toc.yml)")
    x.set_defaults(run=execute_command)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except LabError as error:  # a program that failed or hung is one too (``processes.run`` raises it)
        print(f"error: {error}", file=sys.stderr)
        return 2
