# Right, written another way: pause, set release 1.1's values back one by one, resume: one new rollout.
kubectl rollout pause deployment/shop -n "$NAMESPACE"
kubectl set env deployment/shop APP_VERSION=1.1 CHECKOUT- -n "$NAMESPACE"
kubectl set resources deployment/shop --requests=memory=128Mi -n "$NAMESPACE"
kubectl rollout resume deployment/shop -n "$NAMESPACE"
kubectl rollout status deployment/shop -n "$NAMESPACE" --timeout=60s
