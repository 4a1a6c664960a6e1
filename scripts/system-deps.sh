#!/usr/bin/env bash
# Install the system packages the book needs: graphviz (diagrams), openssl and, with WITH_BROWSER=1,
# Chromium (the site tests). On Linux as root (unless THREEPLANES_REAL_NODE=0), also what the
# real worker node needs: runc, the CNI plugins, iptables, a static busybox for its images and
# gcc with a static libc for its pause image. Installs with apt-get where it can; otherwise says how.
set -euo pipefail

missing=()
command -v dot >/dev/null || missing+=(graphviz)
command -v openssl >/dev/null || missing+=(openssl)  # a self-signed certificate for a TLS Secret (lab C5)
if [[ "${WITH_BROWSER:-0}" == 1 ]] && ! command -v chromium >/dev/null; then
  missing+=(chromium)
fi
if [[ "$(uname -s)" == Linux && $(id -u) -eq 0 && "${THREEPLANES_REAL_NODE:-1}" != 0 ]] && command -v apt-get >/dev/null; then
  command -v runc >/dev/null || missing+=(runc)
  [[ -x /usr/lib/cni/bridge || -x /opt/cni/bin/bridge ]] || missing+=(containernetworking-plugins)
  command -v iptables >/dev/null || missing+=(iptables)
  [[ -x /bin/busybox ]] || missing+=(busybox-static)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v gcc >/dev/null || missing+=(gcc)
  [[ -f "$(gcc -print-file-name=libc.a 2>/dev/null)" ]] || missing+=(libc6-dev)
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

if command -v apt-get >/dev/null; then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    if sudo -n true 2>/dev/null; then sudo="sudo"; else
      echo "Missing system packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "Installing ${missing[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing system packages: ${missing[*]}." >&2
  echo "Install graphviz (macOS: brew install graphviz) and, for the tests, Chromium, then run make again." >&2
  exit 1
fi
