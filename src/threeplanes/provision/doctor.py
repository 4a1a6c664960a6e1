"""Up-front checks, one sentence each: what would stop the book from installing or starting.

``python3 src/threeplanes/provision/doctor.py --before-venv`` runs with any Python 3 (the
Makefile calls it before it makes the virtual environment) and checks Python itself;
``threeplanes doctor`` adds the cluster's needs (Go or the release downloads, disk space for
a build) and, with ``--port``, whether a port is free. This file imports nothing of the
package at its top and quotes its annotations, so an old Python (3.6 on) can still run it and
say why it is too old.
"""

import importlib.util
import os
import shutil
import socket
import sys

MINIMUM_PYTHON = (3, 11)
RELEASES_HOST = ("dl.k8s.io", 443)


def python_problem(version: "tuple[int, ...]" = tuple(sys.version_info[:3])) -> "str | None":
    if tuple(version[:2]) >= MINIMUM_PYTHON:
        return None
    found = ".".join(str(n) for n in version[:3])
    return (
        f"Python {found} is too old: the book needs Python 3.11 or later; install it (e.g. "
        "`sudo apt-get install python3.12`) and run make with PYTHON=python3.12."
    )


def venv_problem() -> "str | None":
    """Debian and Ubuntu ship ``venv`` without ``ensurepip`` until python3-venv is installed."""
    if importlib.util.find_spec("venv") is not None and importlib.util.find_spec("ensurepip") is not None:
        return None
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return (
        f"`python3 -m venv` cannot make environments with this Python {minor}: install the venv package "
        f"(Debian and Ubuntu: `sudo apt-get install python{minor}-venv`)."
    )


def releases_reachable(timeout: float = 5.0) -> bool:
    try:
        with socket.create_connection(RELEASES_HOST, timeout=timeout):
            return True
    except OSError:
        return False


def binaries_problem() -> "str | None":
    """Missing binaries need either the release downloads or Go, and a build needs disk space."""
    from threeplanes.provision import binaries, paths

    missing = [c for c in binaries.components() if not _provided(c)]
    if not missing:
        return None
    names = ", ".join(f"{c.name} v{c.version}" for c in missing)
    if shutil.which("go") is None:
        if releases_reachable():
            return None
        return (
            f"{names} must be downloaded or built, but the release downloads cannot be reached and Go is not "
            f"installed: install Go 1.26, or name a directory of binaries with ${binaries.BIN_DIR_ENV}."
        )
    paths.cache_root().mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(paths.cache_root()).free
    # Enough room to build decides it without touching the network.
    if free < binaries.BUILD_SPACE_BYTES and not releases_reachable():
        return (
            f"building {names} from source needs about {binaries.BUILD_SPACE_BYTES / 2**30:.0f} GiB free, and "
            f"{paths.cache_root()} has {free / 2**30:.1f} GiB: free some space, or set THREEPLANES_CACHE to a "
            "larger disk."
        )
    return None


def _provided(component) -> bool:
    from threeplanes.provision import binaries

    return any(all(os.access(place / b, os.X_OK) for b in component.binaries) for place in binaries.places(component))


def port_problem(port: int, host: str = "127.0.0.1") -> "str | None":
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return (
                f"port {port} on {host} is already taken by another program: stop it, or choose another port "
                f"(e.g. `make serve PORT={port + 1}`)."
            )
    return None


def problems(before_venv: bool = False, ports: "tuple[int, ...]" = ()) -> "list[str]":
    found = [python_problem(), venv_problem()]
    if not before_venv:
        found.append(binaries_problem())
    found += [port_problem(port) for port in ports]
    return [p for p in found if p]


def print_problems(before_venv: bool = False, ports: "tuple[int, ...]" = (), only_ports: bool = False) -> int:
    """Print one line per problem; 0 when there is none."""
    if only_ports:
        found = [p for p in (port_problem(port) for port in ports) if p]
    else:
        found = problems(before_venv, ports) if python_problem() is None else [python_problem()]
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(print_problems(before_venv="--before-venv" in sys.argv[1:]))
