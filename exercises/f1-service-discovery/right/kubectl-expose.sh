# Right, the imperative way: kubectl copies the Deployment's selector (app: frontend, tier: web) into the
# Service, port 80 to the container's 8080.
kubectl expose deployment frontend --port=80 --target-port=8080 -n "$NAMESPACE"
