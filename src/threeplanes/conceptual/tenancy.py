"""Tenants side by side: acting as a ServiceAccount, asking the API what it may do, drawing the tenants.

A ServiceAccount proves who it is with a token. The TokenRequest API
(``create_namespaced_service_account_token``) issues a short-lived one, bound to the account;
a second ``ApiClient`` that sends it as a bearer token makes every request *as* that account,
so RBAC judges it and not the administrator who runs the lab. ``SelfSubjectAccessReview`` asks
"may I?" as whoever sends it; ``SubjectAccessReview`` lets an administrator ask the same
question about someone else, which is how a checker judges behaviour rather than reading Roles.
Those calls are in ``threeplanes.kit.identity``, as is ``refusal``, which reads an admission
plugin's refusal back as one line; this module draws the tenants.
"""

from __future__ import annotations

from typing import Any

import graphviz
from kubernetes import client

from threeplanes.kit.graph import require_dot
from threeplanes.kit.tables import Table


def rbac_enabled(cluster: Any) -> bool:
    """True when the API serves the RBAC group (the API server runs with ``--authorization-mode`` including RBAC)."""
    groups = client.ApisApi(cluster.api_client).get_api_versions().groups
    return any(g.name == "rbac.authorization.k8s.io" for g in groups)


def access_table(verdicts: dict[tuple[str, str, str], tuple[bool, str]]) -> Table:
    """One row per question (who, verb resource, where): the answer and the authorizer's reason."""
    rows = [
        [who, action, where, "yes" if allowed else "no", reason]
        for (who, action, where), (allowed, reason) in verdicts.items()
    ]
    return Table(["WHO", "ACTION", "NAMESPACE", "ALLOWED", "WHY"], rows)


def tenancy_graph(cluster: Any, namespaces: list[str], verdicts: dict[tuple[str, str, str], tuple[bool, str]]) -> Any:
    """Each tenant's namespace with its ServiceAccounts, Roles, RoleBindings, quotas and limits, read live,
    and one edge per access question: green where the API said yes, red where it said no."""
    require_dot()
    graph = graphviz.Digraph(name="tenancy")
    graph.attr(rankdir="LR", fontname="Helvetica", fontsize="11")
    graph.attr("node", fontname="Helvetica", fontsize="10", style="filled", shape="box")
    graph.attr("edge", fontname="Helvetica", fontsize="9")
    for namespace in namespaces:
        with graph.subgraph(name=f"cluster_{namespace}") as ns:
            ns.attr(label=f"namespace {namespace}", style="rounded,dashed", color="#64748b")
            ns.node(f"anchor/{namespace}", label="what lives in\nthis namespace", shape="folder", fillcolor="#f1f5f9")
            _tenant_objects(cluster, ns, graph, namespace)
    for (who, action, where), (allowed, _) in verdicts.items():
        colour = "#15803d" if allowed else "#b91c1c"
        answer = f"{action}: {'yes' if allowed else 'no'}"
        graph.edge(who, f"anchor/{where}", label=answer, color=colour, fontcolor=colour, style="bold")
    return graph


def _tenant_objects(cluster: Any, ns: graphviz.Digraph, graph: graphviz.Digraph, namespace: str) -> None:
    for account in cluster.core.list_namespaced_service_account(namespace).items:
        if account.metadata.name != "default":
            ns.node(
                f"{namespace}/{account.metadata.name}",
                f"ServiceAccount\n{account.metadata.name}",
                shape="ellipse",
                fillcolor="#dcfce7",
            )
    for role in cluster.rbac.list_namespaced_role(namespace).items:
        verbs = sorted({v for rule in role.rules or [] for v in rule.verbs})
        resources = sorted({r for rule in role.rules or [] for r in rule.resources or []})
        ns.node(
            f"Role/{namespace}/{role.metadata.name}",
            f"Role {role.metadata.name}\n{','.join(verbs)}\non {','.join(resources)}",
            fillcolor="#e0e7ff",
        )
    for binding in cluster.rbac.list_namespaced_role_binding(namespace).items:
        node = f"RoleBinding/{namespace}/{binding.metadata.name}"
        ns.node(node, f"RoleBinding\n{binding.metadata.name}", shape="note", fillcolor="#fde68a")
        graph.edge(node, f"{binding.role_ref.kind}/{namespace}/{binding.role_ref.name}", label="grants")
        for subject in binding.subjects or []:
            graph.edge(node, f"{subject.namespace or namespace}/{subject.name}", label="to", style="dashed")
    for quota in cluster.core.list_namespaced_resource_quota(namespace).items:
        used = quota.status.used or {}
        lines = [f"{k}: {used.get(k, '0')} of {v}" for k, v in sorted((quota.spec.hard or {}).items())]
        ns.node(
            f"ResourceQuota/{namespace}", "ResourceQuota\n" + "\n".join(lines), shape="cylinder", fillcolor="#fef3c7"
        )
    for limits in cluster.core.list_namespaced_limit_range(namespace).items:
        ns.node(f"LimitRange/{namespace}", f"LimitRange\n{limits.metadata.name}", shape="cylinder", fillcolor="#fce7f3")
