# Wrong: the selector copied from `kubectl get pods --show-labels`, pod-template-hash included. It selects
# this generation of frontend pods, and no pod of the next rollout.
hash=$(kubectl get pods -n "$NAMESPACE" -l app=frontend -o jsonpath='{.items[0].metadata.labels.pod-template-hash}')
kubectl apply -n "$NAMESPACE" -f - <<YAML
apiVersion: v1
kind: Service
metadata:
  name: frontend
spec:
  selector: {app: frontend, tier: web, pod-template-hash: "$hash"}
  ports:
    - {port: 80, targetPort: 8080}
YAML
