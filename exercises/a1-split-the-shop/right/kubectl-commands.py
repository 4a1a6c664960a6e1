"""Right, the imperative way: the cart made with kubectl from the monolith's own program, image and placement
(read back from the Deployment shop), given its release and a share of the budget, and exposed; the monolith
lowered to 80m a pod and its copy of the cart dropped. 2 x 80m + 2 x 20m = 200m."""

import json
import shlex

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    def run(command: str) -> str:
        return kubectl(f"-n {namespace} {command}", cluster, show=False, timeout=100)

    container = "{.spec.template.spec.containers[0]"
    program = run(f"get deployment shop -o jsonpath={container}.command[2]}}")
    image = run(f"get deployment shop -o jsonpath={container}.image}}")
    shop = json.loads(run("get deployment shop -o json"))["spec"]["template"]["spec"]
    placement = {key: shop[key] for key in ("nodeSelector", "tolerations")}
    run(f"create deployment cart --image={image} --replicas=2 --port=8080 -- sh -c {shlex.quote(program)}")
    run(f"patch deployment cart --type=merge -p {shlex.quote(json.dumps({'spec': {'template': {'spec': placement}}}))}")
    run("set env deployment/cart CART_RELEASE=1")
    run("set resources deployment/cart --requests=cpu=20m,memory=16Mi")
    run("expose deployment cart --port=80 --target-port=8080")
    run("set resources deployment/shop --requests=cpu=80m")
    run("set env deployment/shop CART_RELEASE-")
    for name in ("cart", "shop"):
        run(f"rollout status deployment/{name} --timeout=90s")
