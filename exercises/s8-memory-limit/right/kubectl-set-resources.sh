# Right, written another way: kubectl set resources, a limit alone (the request then defaults to it).
kubectl set resources deployment/cruncher --limits=memory=200Mi -n "$NAMESPACE"
kubectl rollout status deployment/cruncher --timeout=90s -n "$NAMESPACE"
