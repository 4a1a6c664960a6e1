# Right, written another way, with kubectl: the volume maps the key ``banner.txt`` to the file ``banner``
# (the ConfigMap left as the team renamed it), the probe's port and the Service's ``targetPort`` set to
# 8080 by JSON patches.
kubectl patch deployment shop -n "$NAMESPACE" --type=json -p '[
  {"op": "add", "path": "/spec/template/spec/volumes/0/configMap/items",
   "value": [{"key": "banner.txt", "path": "banner"}]},
  {"op": "replace", "path": "/spec/template/spec/containers/0/readinessProbe/httpGet/port", "value": 8080}
]'
kubectl patch service shop -n "$NAMESPACE" --type=json \
  -p '[{"op": "replace", "path": "/spec/ports/0/targetPort", "value": 8080}]'
kubectl rollout status deployment/shop --timeout=90s -n "$NAMESPACE"
