# Wrong: roll back, then clear the broken ReplicaSet away by keeping no old revision. The pods run
# release 1.1, but the history the next person needs is gone with the old ReplicaSets.
kubectl rollout undo deployment/shop -n "$NAMESPACE"
kubectl patch deployment/shop -n "$NAMESPACE" --patch '{"spec": {"revisionHistoryLimit": 0}}'
kubectl rollout status deployment/shop -n "$NAMESPACE" --timeout=60s
