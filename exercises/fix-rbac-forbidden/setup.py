"""Setup of the fix-rbac-forbidden mission: the ServiceAccount reporter, the ConfigMap it reads, and a Role and
RoleBinding meant to let it read ConfigMaps, whose Role names the API group "v1" (there is none: ConfigMaps
are in the core group, ""), so that every request of the account is refused (403). Running the setup again
starts the mission over."""

from __future__ import annotations

from kubernetes import client

ROLE = {
    "metadata": {"name": "reporter", "labels": {"app": "reporter"}},
    "rules": [{"apiGroups": ["v1"], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}],
}


def apply(book, namespace: str) -> None:
    binding = {
        "metadata": {"name": "reporter", "labels": {"app": "reporter"}},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reporter"},
        "subjects": [{"kind": "ServiceAccount", "name": "reporter", "namespace": namespace}],
    }
    settings = {"metadata": {"name": "report-settings"}, "data": {"schedule": "02:00", "format": "pdf"}}
    account = {"metadata": {"name": "reporter", "labels": {"app": "reporter"}}}
    for create, replace, body in [
        (book.core.create_namespaced_service_account, book.core.replace_namespaced_service_account, account),
        (book.core.create_namespaced_config_map, book.core.replace_namespaced_config_map, settings),
        (book.rbac.create_namespaced_role, book.rbac.replace_namespaced_role, ROLE),
        (book.rbac.create_namespaced_role_binding, book.rbac.replace_namespaced_role_binding, binding),
    ]:
        try:
            create(namespace, body)
        except client.ApiException as error:
            if error.status != 409:
                raise
            replace(body["metadata"]["name"], namespace, body)
