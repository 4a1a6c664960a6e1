"""A controller for Greetings: a ConfigMap that holds the message, a Deployment of spec.replicas pods.

Run it as the checker does: python my_controller.py <namespace>
"""

import sys

from kubernetes import client, config, watch

from threeplanes.versions import pinned

GROUP, VERSION, PLURAL = "threeplanes.io", "v1", "greetings"
IMAGE = pinned().images["web"]  # the pods run on simulated nodes: any image would do


def owner_reference(greeting: dict) -> dict:
    meta = greeting["metadata"]
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Greeting",
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def wanted_children(greeting: dict) -> tuple[dict, dict]:
    """The ConfigMap and the Deployment this Greeting asks for."""
    name, spec = greeting["metadata"]["name"], greeting["spec"]
    meta = {"name": name, "ownerReferences": [owner_reference(greeting)]}
    config_map = {"metadata": meta, "data": {"message": spec["message"]}}
    labels = {"greeting": name}
    container = {"name": "greeter", "image": IMAGE, "args": ["netexec"]}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [container]}}
    deployment_spec = {"replicas": spec["replicas"], "selector": {"matchLabels": labels}, "template": template}
    return config_map, {"metadata": meta, "spec": deployment_spec}


class GreetingController:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.custom, self.core, self.apps = client.CustomObjectsApi(), client.CoreV1Api(), client.AppsV1Api()

    def ensure(self, read, create, patch, name: str, body: dict):
        """Create the child when it is missing, else patch it to what is wanted; return it as it is now, or None
        when it appeared or went between the read and the write (then reconcile again)."""
        try:
            read(name, self.namespace)
        except client.ApiException as error:
            if error.status != 404:
                raise
            try:
                return create(self.namespace, body)
            except client.ApiException as error:
                if error.status == 409:  # made by someone else since the read
                    return None
                raise
        try:
            return patch(name, self.namespace, body)
        except client.ApiException as error:
            if error.status == 404:  # deleted since the read
                return None
            raise

    def reconcile(self, name: str) -> bool:
        """Make the children match Greeting ``name`` and write its status; False: try again."""
        try:
            greeting = self.custom.get_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)
        except client.ApiException as error:
            if error.status == 404:  # deleted: its children go with it, through their owner references
                return True
            raise
        config_map, deployment = wanted_children(greeting)
        core, apps = self.core, self.apps
        kept = self.ensure(
            core.read_namespaced_config_map,
            core.create_namespaced_config_map,
            core.patch_namespaced_config_map,
            name,
            config_map,
        )
        made = self.ensure(
            apps.read_namespaced_deployment,
            apps.create_namespaced_deployment,
            apps.patch_namespaced_deployment,
            name,
            deployment,
        )
        if kept is None or made is None:
            return False
        greeting["status"] = {"ready": made.status.ready_replicas or 0}
        try:  # carries the resourceVersion read above: refused if the Greeting changed since
            self.custom.replace_namespaced_custom_object_status(GROUP, VERSION, self.namespace, PLURAL, name, greeting)
        except client.ApiException as error:
            if error.status == 409:
                return False
            if error.status == 404:  # deleted since it was read: nothing left to report on
                return True
            raise
        return True

    def run(self) -> None:
        print("watching Greetings in", self.namespace)
        while True:
            # Each watch ends after a few seconds; the next one lists every Greeting again (a resync).
            stream = watch.Watch().stream(
                self.custom.list_namespaced_custom_object,
                GROUP,
                VERSION,
                self.namespace,
                PLURAL,
                timeout_seconds=2,
            )
            for event in stream:
                name = event["object"]["metadata"]["name"]
                if event["type"] == "DELETED":
                    continue
                while not self.reconcile(name):
                    print("conflict on", name, "- reading it again")


def apply(cluster, namespace: str) -> None:
    """For the book's tests: have the checker run this file (a reader annotates the namespace instead)."""
    from pathlib import Path

    from threeplanes.checking.programs import hand_in

    hand_in(cluster, namespace, Path(__file__), "my_controller.py")


if __name__ == "__main__":
    config.load_kube_config()
    GreetingController(sys.argv[1]).run()
