"""The functional plane: what Kubernetes promises the person who deploys an application.

One module per promise, used by the labs F1-F9 and their exercises: ``services`` (discovery
and load balancing), ``storage``, ``rollouts``, ``batch``, ``packing``, ``healing``,
``configuration``, ``scaling``, and ``compose`` (the score and how it is played).
"""
