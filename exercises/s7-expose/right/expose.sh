# Right, the imperative way: ``kubectl expose deployment shop`` with port 80, target port 8080, ClientIP affinity.
#
# kubectl copies the Deployment's selector (``app: shop, tier: front``) into the Service.
kubectl expose deployment shop -n "$NAMESPACE" --name=shop --port=80 --target-port=8080 \
  --session-affinity=ClientIP
