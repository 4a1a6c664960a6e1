"""The conceptual plane: what Kubernetes is made of, its objects and how they relate.

One module per topic, used by the labs C1-C6 and their exercises: ``apply`` (server-side
apply of a manifest, field managers and their conflicts), ``tenancy`` (acting as a
ServiceAccount, asking the API what it may do, admission errors, the tenants drawn),
``application`` (a pod's containers and volumes drawn from the cluster), ``hierarchies``
(owner references against label selectors, and cascading deletion), ``volumes`` (the lifetime
of each kind of volume), ``secrets`` (Secret types, tokens, who may read them, and what etcd
holds) and ``controllers`` (Deployment, StatefulSet and DaemonSet side by side).
"""
