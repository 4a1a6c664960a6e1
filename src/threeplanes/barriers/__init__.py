"""The five barriers and the use cases: when Kubernetes is the wrong tool, measured.

One module per barrier, used by the labs A1-A5 and U1 and their exercises: a monolith and its
micro-services counted (``services``), a program made container-ready step by step
(``containerise``), the cost of a control plane measured as its nodes grow (``cost``), state and the
network following a moved workload (``state``), a middleware that clusters itself (``middleware``),
the same manifests on two clusters (``portability``). The measurements that need a control plane of
their own (1,000 simulated nodes) start one (``threeplanes.kit.lab_planes``), never the book's.
"""
