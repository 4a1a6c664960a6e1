# Release 1.2 is the newest revision and release 1.1 the one before it: one undo goes back to it.
kubectl rollout undo deployment/shop -n "$NAMESPACE"
kubectl rollout status deployment/shop -n "$NAMESPACE" --timeout=60s
