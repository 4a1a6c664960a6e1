# Right, another imperative way: ``kubectl create service clusterip frontend`` selects app=frontend, the
# Service's own name, and --tcp maps port 80 to the container's 8080.
kubectl create service clusterip frontend --tcp=80:8080 -n "$NAMESPACE"
