"""The system plane: the components of a cluster, observed on the machine, stopped and rebuilt.

One module per component, used by the labs S1-S5 and their exercises. The labs that stop, break
or restart a component do it to a control plane of their own (``threeplanes.kit.lab_planes``),
never to the book's cluster.
"""
