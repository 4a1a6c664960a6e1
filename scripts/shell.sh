#!/usr/bin/env bash
# A shell set up for the book's cluster (`make shell`): KUBECONFIG of the book's cluster and
# the pinned kubectl first on PATH. For bash the set-up runs after ~/.bashrc, so that the
# reader's own start-up files cannot put another kubectl in front of it.
set -euo pipefail
PY="${PY:-.venv/bin/python}"
setup="$("$PY" -m threeplanes env)"
eval "$setup"
echo "kubectl: $(command -v kubectl); KUBECONFIG=$KUBECONFIG; leave with exit" >&2
if [[ "$(basename "${SHELL:-bash}")" == bash ]]; then
  exec bash --rcfile <(cat ~/.bashrc 2>/dev/null || true; echo "$setup") -i
fi
exec "${SHELL:-/bin/sh}" -i
