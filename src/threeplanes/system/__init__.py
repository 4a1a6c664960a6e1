"""The system plane: the components of a cluster, observed on the machine, stopped and rebuilt.

One module per component or service, used by the labs S1-S12 and M3 and their exercises. The labs
that stop, break or restart a component do it to a control plane of their own
(``threeplanes.kit.lab_planes``), with a real node of its own where a node's agents are stopped,
never to the book's cluster.
"""
