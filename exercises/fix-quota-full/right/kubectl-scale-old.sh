# Right, written another way: the retired pool scaled to zero with kubectl (kept, for its history), and
# the new pool's rollout awaited.
kubectl scale deployment workers-v1 --replicas=0 -n "$NAMESPACE"
kubectl rollout status deployment/workers-v2 --timeout=90s -n "$NAMESPACE"
