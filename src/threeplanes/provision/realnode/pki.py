"""Certificates for the real node, signed by the CA kwokctl made for the cluster (with ``openssl``).

- the kubelet's serving certificate (its node name and address), which the API server and
  metrics-server meet when they call the kubelet;
- the kubelet's client certificate, ``system:node:<name>`` in group ``system:nodes``, so the
  API server's Node authorizer applies to it;
- kube-proxy's client certificate, ``system:kube-proxy``, the user Kubernetes' default RBAC binds
  to the ``system:node-proxier`` role.
"""

from __future__ import annotations

from pathlib import Path

from threeplanes.provision import processes


def _openssl(args: list[str], cwd: Path, certificate: str) -> None:
    what = f"`openssl {args[0]}` for the {certificate} certificate"
    processes.run(["openssl", *args], cwd=cwd, timeout=60, what=what, capture_output=True)


def issue(
    ca_dir: Path,
    out_dir: Path,
    name: str,
    subject: str,
    usage: str,
    ip_sans: tuple[str, ...] = (),
    dns_sans: tuple[str, ...] = (),
) -> tuple[Path, Path]:
    """Write ``<name>.crt`` and ``<name>.key`` into ``out_dir``, signed by ``ca_dir/ca.{crt,key}``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    key, csr, crt, ext = (out_dir / f"{name}.{s}" for s in ("key", "csr", "crt", "ext"))
    lines = [f"extendedKeyUsage = {usage}", "keyUsage = critical, digitalSignature, keyEncipherment"]
    sans = [f"IP:{ip}" for ip in ip_sans] + [f"DNS:{dns}" for dns in dns_sans]
    if sans:
        lines.append("subjectAltName = " + ", ".join(sans))
    ext.write_text("\n".join(lines) + "\n")
    _openssl(["genrsa", "-out", str(key), "2048"], out_dir, name)
    _openssl(["req", "-new", "-key", str(key), "-subj", subject, "-out", str(csr)], out_dir, name)
    _openssl(
        [
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(ca_dir / "ca.crt"),
            "-CAkey",
            str(ca_dir / "ca.key"),
            "-CAcreateserial",
            "-CAserial",
            str(out_dir / "ca.srl"),
            "-days",
            "365",
            "-extfile",
            str(ext),
            "-out",
            str(crt),
        ],
        out_dir,
        name,
    )
    csr.unlink(missing_ok=True)
    ext.unlink(missing_ok=True)
    key.chmod(0o600)
    return crt, key
