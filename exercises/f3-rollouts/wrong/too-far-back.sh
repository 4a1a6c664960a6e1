# Wrong: roll back to revision 1 (release 1.0) instead of the last good release, 1.1.
kubectl rollout undo deployment/shop --to-revision=1 -n "$NAMESPACE"
kubectl rollout status deployment/shop -n "$NAMESPACE" --timeout=60s
