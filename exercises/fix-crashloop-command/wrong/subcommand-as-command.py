"""Wrong: the subcommand moved into ``command``, as if ``command`` were where the words go. ``command``
replaces the image's entrypoint (``/agnhost``), so the runtime looks for a program named ``netexec``
and cannot start the container."""

NAME = "shop-api"


def apply(cluster, namespace: str) -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "api", "command": ["netexec"], "args": ["--http-port=8080"]}]}
            }
        }
    }
    cluster.apps.patch_namespaced_deployment(NAME, namespace, patch)
