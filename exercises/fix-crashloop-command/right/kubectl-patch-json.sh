# Right, written another way: one JSON patch with kubectl, replacing only the first word of args, as a
# reader types it after reading ``kubectl logs --previous`` ("unknown command "net-exec"... Did you mean
# netexec?").
kubectl patch deployment shop-api -n "$NAMESPACE" --type=json \
  -p '[{"op": "replace", "path": "/spec/template/spec/containers/0/args/0", "value": "netexec"}]'
kubectl rollout status deployment/shop-api --timeout=90s -n "$NAMESPACE"
