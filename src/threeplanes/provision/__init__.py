"""Provisioning: pinned versions -> binaries -> a running cluster (local or kind)."""
