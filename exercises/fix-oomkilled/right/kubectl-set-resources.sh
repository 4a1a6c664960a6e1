# Right, written another way: ``kubectl set resources``, a limit of 160 MiB over a request of 128 MiB.
kubectl set resources deployment/thumbnailer --limits=memory=160Mi --requests=memory=128Mi -n "$NAMESPACE"
kubectl rollout status deployment/thumbnailer --timeout=90s -n "$NAMESPACE"
