# Wrong: fix the memory request and keep the rest of release 1.2. The pods fit, but they run release 1.2.
# From here a plain kubectl rollout undo would go back to the broken revision: the hint must name revision 2.
kubectl set resources deployment/shop --requests=memory=128Mi -n "$NAMESPACE"
kubectl rollout status deployment/shop -n "$NAMESPACE" --timeout=60s
