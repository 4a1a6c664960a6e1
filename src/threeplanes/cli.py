"""The command line: ``threeplanes cluster up|down|status``, ``check``, ``binaries``, ``assess``, ``reset``."""

from __future__ import annotations

import argparse
import sys

from threeplanes.assessment.cli import add_assessment_commands
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


def check_command(args: argparse.Namespace) -> int:
    from threeplanes.checks import check

    report = check(args.exercise, args.namespace)
    print(report)
    return 0 if report.passed else 1


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

    k = sub.add_parser("check", help="check your work on an exercise")
    k.add_argument("exercise", help="the exercise's id, e.g. f1-service")
    k.add_argument("-n", "--namespace", required=True, help="the namespace your solution lives in")
    k.set_defaults(run=check_command)

    b = sub.add_parser("binaries", help="find, download or build the cluster binaries, and print their paths")
    b.add_argument("--with-kind", action="store_true", help="also the kind binary")
    b.set_defaults(run=binaries_command)

    add_assessment_commands(sub)
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
