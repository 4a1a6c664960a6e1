"""The lab kit: topic-free helpers every lab and checker uses.

``connect`` finds the cluster, and ``control_plane`` is the one door to a control plane as a
value (the book's, or one of a lab's own); ``labels`` and ``namespaces`` give each run
objects of its own; ``watch`` and ``wait`` follow the API instead of sleeping, and ``effects`` looks again
at what no watch reports (a file in a container, a metrics figure) until it shows;
``timeline`` records what a watch saw; ``events``, ``tables`` and ``graph`` show what the
cluster did, and ``explorer`` draws a whole namespace with its object counts; ``nodes`` adds
simulated nodes of a run's own, and ``images`` imports a lab's own images into the real node;
``resources`` reads quantities, and ``metrics`` the text a component serves at ``/metrics``;
``identity`` gives ServiceAccount tokens, clients that present them, the authorizer's answers
and a refusal in one line; ``cleanup`` deletes what a
run made, and ``deleting`` asks at exit for what a run left; ``kubectl`` runs the pinned
kubectl beside the Python; ``programs`` runs the reader's own Python programs (a scheduler, a
controller) as processes that a run owns.
"""
