# Wrong: set APP_VERSION and the memory back to release 1.1's, but keep release 1.2's CHECKOUT=v2.
# The pods say 1.1 and fit, yet they run a release no one shipped.
kubectl set env deployment/shop APP_VERSION=1.1 -n "$NAMESPACE"
kubectl set resources deployment/shop --requests=memory=128Mi -n "$NAMESPACE"
kubectl rollout status deployment/shop -n "$NAMESPACE" --timeout=60s
