# Right, written another way: kubectl commands instead of a manifest.
kubectl create configmap app-config --from-literal=LOG_LEVEL=debug -n "$NAMESPACE"
kubectl create secret generic db-credentials --from-literal=password=a-much-better-password -n "$NAMESPACE"
kubectl set env deployment/app --from=configmap/app-config -n "$NAMESPACE"
kubectl set env deployment/app DB_PASSWORD- -n "$NAMESPACE"
# kubectl has no command that mounts a volume: a patch adds it, and where the container sees it.
kubectl patch deployment app -n "$NAMESPACE" -p '
spec:
  template:
    spec:
      volumes:
        - name: credentials
          secret: {secretName: db-credentials, defaultMode: 0400}
      containers:
        - name: app
          volumeMounts:
            - {name: credentials, mountPath: /etc/secrets, readOnly: true}
'
