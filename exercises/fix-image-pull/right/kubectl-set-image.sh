# Right, written another way: ``kubectl set image`` with the image the release record names.
kubectl set image deployment/catalogue web=registry.k8s.io/e2e-test-images/agnhost:2.63 -n "$NAMESPACE"
kubectl rollout status deployment/catalogue --timeout=90s -n "$NAMESPACE"
