# Wrong: scale the broken Deployment to zero. The pending pods go, but so does the service.
kubectl scale deployment/shop --replicas=0 -n "$NAMESPACE"
