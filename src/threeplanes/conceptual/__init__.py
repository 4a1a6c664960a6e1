"""The conceptual plane: what Kubernetes is made of, the objects and how they relate.

One module per topic, used by the labs C1-C6 and their exercises: ``volumes`` (the lifetime
of each kind of volume), ``secrets`` (Secret types, tokens, who may read them, and what etcd
holds) and ``controllers`` (Deployment, StatefulSet and DaemonSet side by side).
"""
