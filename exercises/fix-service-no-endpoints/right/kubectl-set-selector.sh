# Right, written another way: ``kubectl set selector``, which replaces the whole selector, with both
# labels only the catalog's pods carry together.
kubectl set selector service catalog app=catalog,tier=backend -n "$NAMESPACE"
