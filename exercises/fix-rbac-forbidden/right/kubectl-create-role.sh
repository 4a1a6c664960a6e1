# A right fix written another way: a new Role and RoleBinding made with kubectl's generators, beside the broken
# pair (which grants nothing).
kubectl create role configmap-reader -n "$NAMESPACE" --verb=get,list,watch --resource=configmaps
kubectl create rolebinding configmap-reader -n "$NAMESPACE" --role=configmap-reader \
  --serviceaccount="$NAMESPACE:reporter"
