"""A control plane assembled by hand: its certificates, its kubeconfigs, and its programs one at a time.

``Pki`` makes a cluster's certificate authority and signs the certificates each component
presents (with ``cryptography``, as ``kubeadm init phase certs`` would with Go): a serving
certificate for the API server, a client certificate per identity (the admin in
``system:masters``, the scheduler, the controller manager), and the key pair the API server signs
ServiceAccount tokens with. ``kubeconfig`` writes the file a client reads them from.

``Assembly`` keeps the programs of such a control plane in a folder of its own, on free loopback
ports: ``start`` runs a component's binary with the flags the lab shows, ``wait_until`` waits for
what it serves, ``stop`` stops one, and everything is stopped and the folder removed by
``remove()`` or, if the lab stops half way, when its process exits.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import ipaddress
import shutil
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from threeplanes.errors import LabError
from threeplanes.kit.control_plane import Started, certificate_kubeconfig, free_ports, start_program, stop_program

VALIDITY = datetime.timedelta(days=1)  # a lab's cluster lives minutes; its certificates need not outlive the day


@dataclass(frozen=True)
class Issued:
    """A certificate and its key, written as PEM files."""

    cert: Path
    key: Path


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(pem)
    path.chmod(0o600)


class Pki:
    """A certificate authority in ``folder`` (``ca.crt``, ``ca.key``) and what it signs: ``Pki.create``
    makes a new one, ``Pki.load`` reads one made before (by this class or by anyone)."""

    def __init__(self, folder: Path, ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey) -> None:
        self.folder, self._ca_cert, self._ca_key = folder, ca_cert, ca_key

    @classmethod
    def create(cls, folder: Path, name: str = "threeplanes-lab-ca") -> Pki:
        folder.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
            )  # digitalSignature, keyCertSign, cRLSign
            .sign(key, hashes.SHA256())
        )
        pki = cls(folder, cert, key)
        pki.ca.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key, pki.ca.key)
        return pki

    @classmethod
    def load(cls, folder: Path) -> Pki:
        """The CA whose ``ca.crt`` and ``ca.key`` (PEM) are in ``folder``."""
        try:
            cert = x509.load_pem_x509_certificate((folder / "ca.crt").read_bytes())
            key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), password=None)
        except (OSError, ValueError) as error:
            raise LabError(f"no certificate authority could be read from {folder}: {error}") from None
        return cls(folder, cert, key)

    @property
    def ca(self) -> Issued:
        return Issued(self.folder / "ca.crt", self.folder / "ca.key")

    def issue(
        self,
        name: str,
        common_name: str,
        organizations: tuple[str, ...] = (),
        hosts: tuple[str, ...] = (),
        server: bool = False,
    ) -> Issued:
        """Sign ``<name>.crt`` and ``<name>.key``: a client certificate for the user ``common_name`` in the
        groups ``organizations`` (how Kubernetes reads a certificate), or, with ``server``, a serving one
        for ``hosts`` (names and IP addresses)."""
        key = ec.generate_private_key(ec.SECP256R1())
        attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations]
        subject = x509.Name([*attributes, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime.now(datetime.UTC)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if hosts:
            builder = builder.add_extension(x509.SubjectAlternativeName([_san(h) for h in hosts]), critical=False)
        issued = Issued(self.folder / f"{name}.crt", self.folder / f"{name}.key")
        issued.cert.write_bytes(builder.sign(self._ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
        _write_key(key, issued.key)
        return issued

    def key_pair(self, name: str) -> Issued:
        """A bare key pair (``<name>.pub``, ``<name>.key``): the API server signs ServiceAccount tokens with it."""
        key = ec.generate_private_key(ec.SECP256R1())
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        pair = Issued(self.folder / f"{name}.pub", self.folder / f"{name}.key")
        pair.cert.write_bytes(public)
        _write_key(key, pair.key)
        return pair


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def describe_certificate(cert: Path) -> str:
    """``subject (issuer; names)`` of a PEM certificate, for a table."""
    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        hosts = ", ".join(str(n.value) for n in names)
    except x509.ExtensionNotFound:
        hosts = ""
    subject = certificate.subject.rfc4514_string()
    issuer = certificate.issuer.rfc4514_string()
    return f"{subject} (issued by {issuer}{'; for ' + hosts if hosts else ''})"


def write_kubeconfig(path: Path, server: str, ca: Path, identity: Issued, user: str) -> Path:
    """Write a kubeconfig that reaches ``server`` as ``identity`` (a client certificate), trusting ``ca``."""
    config = certificate_kubeconfig(server, ca, identity.cert, identity.key, user)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def free_port() -> int:
    """A loopback port nobody listens on at this moment."""
    return free_ports(1)[0]


class Assembly:
    """The programs of a control plane assembled by hand, kept in ``folder``; see the module's text."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.logs = folder / "logs"
        self.started: dict[str, Started] = {}
        atexit.register(self.remove)

    def start(self, name: str, binary: Path, flags: dict[str, object]) -> Started:
        """Run ``binary`` with ``--flag=value`` for each of ``flags``, as the component ``name``."""
        if name in self.started and self.started[name].running:
            raise LabError(f"{name} already runs (pid {self.started[name].pid}); stop it first.")
        command = [str(binary), *(f"--{flag}={value}" for flag, value in flags.items())]
        self.started[name] = start_program(name, command, self.folder / "pids", self.logs, die_with_parent=True)
        return self.started[name]

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.is_file() else ""

    def wait_until(
        self, name: str, url: str, ca: Path | None = None, identity: Issued | None = None, timeout: float = 60
    ) -> float:
        """Wait until ``url`` answers ``ok`` (a component's health endpoint); return the seconds it took.

        ``ca`` is trusted for the server's certificate (None: any, for a component's self-signed one);
        ``identity`` is presented as a client certificate. The component's end or the deadline raises,
        with the last lines of its log."""
        context = ssl.create_default_context(cafile=str(ca)) if ca else ssl.create_default_context()
        if ca is None:
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # a self-signed serving certificate
        if identity is not None:
            context.load_cert_chain(str(identity.cert), str(identity.key))
        started = time.monotonic()
        while True:
            with contextlib.suppress(urllib.error.URLError, OSError):
                with urllib.request.urlopen(url, timeout=2, context=context) as reply:
                    if reply.read().strip() == b"ok":
                        return time.monotonic() - started
            if not self.started[name].running or time.monotonic() - started > timeout:
                ended = "ended" if not self.started[name].running else f"did not answer within {timeout:g} s"
                tail = "\n".join(self.log(name).splitlines()[-10:])
                raise LabError(f"{name} {ended} ({url}); the end of its log:\n{tail}")
            time.sleep(0.2)

    def stop(self, name: str) -> bool:
        return stop_program(self.started[name]) if name in self.started else False

    def remove(self) -> None:
        """Stop every program, last started first, and remove the folder."""
        for started in reversed(list(self.started.values())):
            with contextlib.suppress(Exception):
                stop_program(started, grace=2)
        shutil.rmtree(self.folder, ignore_errors=True)
