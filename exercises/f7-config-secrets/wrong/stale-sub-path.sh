# Wrong: the password changed in the Secret after the pods started, and the file was mounted with
# subPath, which the kubelet never refreshes; nobody restarted the pods.
kubectl apply -f "$(dirname "$0")/../right/sub-path.yaml" -n "$NAMESPACE"
kubectl rollout status deployment app -n "$NAMESPACE" --timeout=60s
kubectl create secret generic db-credentials --from-literal=password=rotated-password \
  --dry-run=client -o yaml | kubectl apply -f - -n "$NAMESPACE"
