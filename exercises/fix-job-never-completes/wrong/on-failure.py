"""Wrong: the Job made again with ``restartPolicy: OnFailure`` and the same arguments. The kubelet now
restarts the failed container inside one pod instead of the Job making new pods: the same run, failing
the same way."""

from pathlib import Path

from threeplanes.checking import missions
from threeplanes.kit.wait import wait_for_gone

setup = missions.load_part(Path(__file__).parents[1], "setup")


def apply(cluster, namespace: str) -> None:
    cluster.batch.delete_namespaced_job("invoices", namespace, propagation_policy="Foreground")
    wait_for_gone(cluster.batch.list_namespaced_job, "invoices", what="Job invoices", namespace=namespace)
    job = setup.job()
    job["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    cluster.batch.create_namespaced_job(namespace, job)
