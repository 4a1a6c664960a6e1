"""The command line: ``threeplanes cluster up|down|status``, ``threeplanes exercise setup|check|teardown``,
``threeplanes binaries``."""

from __future__ import annotations

import argparse
import sys

from threeplanes.errors import LabError
from threeplanes.provision import binaries, cluster


def cluster_command(args: argparse.Namespace) -> int:
    if args.action == "up":
        path, _ = cluster.up(args.backend)
        print(f"kubeconfig: {path}\nexport KUBECONFIG={path}")
    elif args.action == "down":
        cluster.down()
        print("cluster stopped; no component process is left running")
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


def binaries_command(args: argparse.Namespace) -> int:
    for name, path in binaries.ensure_all().items():
        print(f"{name}: {path}")
    if args.with_kind:
        print(f"kind: {binaries.ensure(binaries.kind_component())['kind']}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="threeplanes", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    c = sub.add_parser("cluster", help="start, stop or inspect the book's cluster")
    c.add_argument("action", choices=["up", "down", "status"])
    c.add_argument(
        "--backend", default="auto", choices=cluster.BACKENDS, help="auto: kind if Docker answers, else local"
    )
    c.set_defaults(run=cluster_command)

    e = sub.add_parser("exercise", help="set up, check or tear down an exercise in your namespace")
    e.add_argument("action", choices=["setup", "check", "teardown"])
    e.add_argument("id", help="the exercise's id, e.g. f5-bin-packing (the folder name under exercises/)")
    e.add_argument("-n", "--namespace", required=True, help="the namespace your solution lives in")
    e.add_argument("--exercises", help="the exercises folder (default: exercises/ of the book found from here)")
    e.set_defaults(run=exercise_command)

    b = sub.add_parser("binaries", help="find, download or build the cluster binaries, and print their paths")
    b.add_argument("--with-kind", action="store_true", help="also the kind binary")
    b.set_defaults(run=binaries_command)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (LabError, binaries.ProvisioningError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
