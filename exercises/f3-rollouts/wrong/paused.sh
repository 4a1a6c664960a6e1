# Wrong: pause the rollout. Nothing gets worse, but nothing gets better: the template is still 1.2.
kubectl rollout pause deployment/shop -n "$NAMESPACE"
