# Right, written another way: a script that applies the manifest from a heredoc, its fields in
# another order and the pod template's real-node lines written out in block style.
kubectl apply -n "$NAMESPACE" -f - <<'YAML'
apiVersion: batch/v1
kind: Job
metadata:
  name: report
spec:
  ttlSecondsAfterFinished: 3600
  backoffLimit: 2
  completions: 6
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      nodeSelector:
        threeplanes.io/node: real
      tolerations:
        - key: threeplanes.io/real-node
          operator: Equal
          value: "true"
          effect: NoSchedule
      containers:
        - name: part
          image: registry.k8s.io/e2e-test-images/busybox:1.37.0-1
          imagePullPolicy: IfNotPresent
          command: [sh, -c, "echo writing one part"]
YAML
