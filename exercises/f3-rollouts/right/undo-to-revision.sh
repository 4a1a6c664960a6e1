# Right, written another way: find the revision of release 1.1 in the history, and roll back to it by number.
revision=$(kubectl rollout history deployment/shop -n "$NAMESPACE" | awk '$2 == "release" && $3 == "1.1" {print $1}' | tail -n 1)
kubectl rollout undo deployment/shop --to-revision="$revision" -n "$NAMESPACE"
kubectl rollout status deployment/shop -n "$NAMESPACE" --timeout=60s
