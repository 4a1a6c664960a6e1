"""Kubernetes in Three Planes: the lab kit and the cluster it runs on."""
