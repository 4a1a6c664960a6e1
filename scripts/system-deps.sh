#!/usr/bin/env bash
# Install the system packages the book needs: graphviz (diagrams), openssl and, with WITH_BROWSER=1,
# Chromium (the site tests). Installs with apt-get where it can; otherwise says how.
set -euo pipefail

missing=()
command -v dot >/dev/null || missing+=(graphviz)
command -v openssl >/dev/null || missing+=(openssl)  # a self-signed certificate for a TLS Secret (lab C5)
if [[ "${WITH_BROWSER:-0}" == 1 ]] && ! command -v chromium >/dev/null; then
  missing+=(chromium)
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
