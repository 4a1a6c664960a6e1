"""Provisioning: pinned versions -> binaries -> a running control plane.

``control_plane`` is the one interface of a control plane as a value; ``local`` (processes
started by kwokctl, with the real node of ``realnode`` as an option), ``kind`` and ``existing``
implement it, and ``cluster`` picks the book's value for the backend asked for. A new backend is
one more ``ControlPlane`` in a module of its own, listed in ``cluster.CONTROL_PLANES``. ``processes``
runs and starts every program; ``kubectl`` is the one kubectl runner; ``binaries`` finds,
downloads or builds what they run (``installed`` finds one already there); ``nodes`` describes
nodes (kwok's, a node's Ready condition, a pod's placement on tainted nodes); ``say`` prints what
provisioning does, one line per step.
"""
