# Right, written another way: put release 1.1's pod template back by hand, in one patch (CHECKOUT removed).
# The template then matches revision 2's, so the Deployment controller scales that ReplicaSet back up.
kubectl patch deployment/shop -n "$NAMESPACE" --patch '
spec:
  template:
    spec:
      containers:
      - name: shop
        env:
        - {name: APP_VERSION, value: "1.1"}
        - {name: CHECKOUT, $patch: delete}
        resources:
          requests: {memory: 128Mi}
'
kubectl rollout status deployment/shop -n "$NAMESPACE" --timeout=60s
