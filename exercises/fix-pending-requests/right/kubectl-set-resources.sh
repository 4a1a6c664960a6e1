# Right, written another way: ``kubectl set resources``, a quarter of a core in millicores.
kubectl set resources deployment/reports --requests=cpu=250m -n "$NAMESPACE"
kubectl rollout status deployment/reports --timeout=90s -n "$NAMESPACE"
