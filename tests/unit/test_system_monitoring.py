"""The system plane's monitoring helpers, with no cluster: the exposition format, histogram quantiles, the
kubeconfig's credentials, scrape jobs, the metrics API's figures, and how Prometheus is pinned and built."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from threeplanes.errors import LabError
from threeplanes.provision import binaries
from threeplanes.system import monitoring
from threeplanes.versions import Versions, pinned

PAGE = """\
# HELP apiserver_request_total Counter of apiserver requests.
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",resource="pods",verb="GET"} 7
apiserver_request_total{code="404",resource="pods",verb="GET"} 3
apiserver_request_total{code="404",resource="configmaps",verb="GET"} 2
# HELP request_seconds Latency.
# TYPE request_seconds histogram
request_seconds_bucket{verb="GET",le="0.1"} 2
request_seconds_bucket{verb="GET",le="0.2"} 6
request_seconds_bucket{verb="GET",le="0.4"} 10
request_seconds_bucket{verb="GET",le="+Inf"} 10
request_seconds_sum{verb="GET"} 1.5
request_seconds_count{verb="GET"} 10
# TYPE db_bytes gauge
db_bytes 4096
"""


def test_a_page_is_read_into_series_with_their_labels() -> None:
    samples = monitoring.parse_metrics(PAGE)
    assert monitoring.total(samples, "apiserver_request_total") == 12
    assert monitoring.total(samples, "apiserver_request_total", code="404") == 5
    assert monitoring.total(samples, "apiserver_request_total", code="404", resource="pods") == 3
    assert monitoring.total(samples, "apiserver_request_total", code="500") == 0
    assert monitoring.total(samples, "db_bytes") == 4096
    (series,) = monitoring.matching(samples, "apiserver_request_total", code="200")
    assert dict(series.labels) == {"code": "200", "resource": "pods", "verb": "GET"}


def test_a_page_that_is_not_the_text_format_is_refused() -> None:
    with pytest.raises(LabError, match="not a page in Prometheus' text format"):
        monitoring.parse_metrics('metric{label="unclosed 1\n')


def test_buckets_are_cumulative_and_end_with_inf() -> None:
    cumulative = monitoring.buckets(monitoring.parse_metrics(PAGE), "request_seconds", verb="GET")
    assert cumulative == [(0.1, 2.0), (0.2, 6.0), (0.4, 10.0), (math.inf, 10.0)]


def test_a_quantile_is_interpolated_inside_its_bucket_as_promql_does() -> None:
    cumulative = [(0.1, 2.0), (0.2, 6.0), (0.4, 10.0), (math.inf, 10.0)]
    assert monitoring.bucket_quantile(0.5, cumulative) == pytest.approx(0.175)  # rank 5: 3/4 into (0.1, 0.2]
    assert monitoring.bucket_quantile(0.1, cumulative) == pytest.approx(0.05)  # the first bucket starts at 0
    assert monitoring.bucket_quantile(1.0, cumulative) == pytest.approx(0.4)


def test_a_quantile_in_the_inf_bucket_is_the_highest_finite_bound() -> None:
    assert monitoring.bucket_quantile(0.99, [(0.1, 1.0), (math.inf, 10.0)]) == 0.1


def test_a_quantile_of_no_requests_is_nan_and_bad_input_is_refused() -> None:
    assert math.isnan(monitoring.bucket_quantile(0.5, [(0.1, 0.0), (math.inf, 0.0)]))
    with pytest.raises(LabError, match="between 0 and 1"):
        monitoring.bucket_quantile(1.5, [(math.inf, 1.0)])
    with pytest.raises(LabError, match=r"le=\+Inf"):
        monitoring.bucket_quantile(0.5, [(0.1, 1.0)])


def test_the_difference_of_two_readings_is_the_histogram_in_between() -> None:
    before = [(0.1, 2.0), (math.inf, 3.0)]
    after = [(0.1, 5.0), (math.inf, 9.0)]
    assert monitoring.delta(before, after) == [(0.1, 3.0), (math.inf, 6.0)]


def kubeconfig(tmp_path: Path, user: dict) -> Path:
    config = {
        "current-context": "here",
        "contexts": [{"name": "here", "context": {"cluster": "c", "user": "u"}}],
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443", "certificate-authority": "/ca"}}],
        "users": [{"name": "u", "user": user}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


def test_the_api_server_and_its_client_certificate_come_from_the_kubeconfig(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path, {"client-certificate": "/crt", "client-key": "/key"})
    access = monitoring.apiserver_access(path)
    assert access.address == "127.0.0.1:6443"
    assert access.tls_config == {"ca_file": "/ca", "cert_file": "/crt", "key_file": "/key"}
    flags = {"etcd": {"listen-client-urls": "http://127.0.0.1:2379"}, "kube-scheduler": {"secure-port": "10300"}}
    targets = monitoring.book_targets(path, flags)
    assert (targets.etcd, targets.scheduler) == ("127.0.0.1:2379", "127.0.0.1:10300")


def test_a_kubeconfig_with_a_token_is_refused_in_one_sentence(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path, {"token": "abc"})
    with pytest.raises(LabError, match="names no file for client-certificate, client-key"):
        monitoring.apiserver_access(path)


def test_the_scrape_jobs_reach_the_kubelet_through_the_node_proxy() -> None:
    targets = monitoring.BookTargets("127.0.0.1:6443", "127.0.0.1:2379", "127.0.0.1:10259", "/ca", "/crt", "/key")
    jobs = {j["job_name"]: j for j in monitoring.scrape_configs(targets, "real-worker", interval="5s")}
    assert set(jobs) == {"apiserver", "etcd", "scheduler", "kubelet", "cadvisor"}
    assert jobs["cadvisor"]["metrics_path"] == "/api/v1/nodes/real-worker/proxy/metrics/cadvisor"
    assert jobs["cadvisor"]["static_configs"] == [{"targets": ["127.0.0.1:6443"]}]
    assert jobs["etcd"]["scheme"] == "http" and "tls_config" not in jobs["etcd"]
    assert jobs["scheduler"]["tls_config"] == {"insecure_skip_verify": True}
    assert all(j["scrape_interval"] == j["scrape_timeout"] == "5s" for j in jobs.values())
    assert set(monitoring.scrape_configs(targets, None)[i]["job_name"] for i in range(3)) == {
        "apiserver",
        "etcd",
        "scheduler",
    }


def test_the_metrics_api_figures_are_summed_over_containers() -> None:
    items = [
        {
            "metadata": {"name": "web"},
            "window": "10s",
            "containers": [
                {"usage": {"cpu": "250m", "memory": "64Mi"}},
                {"usage": {"cpu": "500000n", "memory": "1024Ki"}},
            ],
        }
    ]
    custom = SimpleNamespace(list_namespaced_custom_object=lambda *args: {"items": items})
    usage = monitoring.pod_usage(SimpleNamespace(custom=custom), "ns")
    assert usage["web"].cpu_cores == pytest.approx(0.2505)
    assert usage["web"].memory_bytes == 65 * 2**20
    assert usage["web"].window == "10s"


def test_query_range_results_become_points_since_a_time() -> None:
    result = [{"metric": {"job": "apiserver"}, "values": [[100.0, "1"], [102.0, "3.5"]]}]
    assert monitoring.series_points(result, 100.0) == {"job=apiserver": ([0.0, 2.0], [1.0, 3.5])}


def test_prometheus_is_pinned_and_built_from_its_module_version() -> None:
    component = binaries.component_named("prometheus")
    assert component.version == pinned().prometheus and component.binaries == ("prometheus",)
    assert component not in binaries.components(), "the cluster never waits for Prometheus"
    plan = binaries.go_build_plan(component)
    major, minor, patch = pinned().prometheus.split(".")
    assert plan.module == "github.com/prometheus/prometheus"
    assert plan.version == f"v0.{int(major) * 100 + int(minor)}.{int(patch)}"
    assert "remove_all_sd" in plan.tags and "builtinassets" not in plan.tags


def test_the_module_version_follows_the_release() -> None:
    versions = Versions(**{**pinned().__dict__, "prometheus": "3.5.1"})
    plan = binaries.go_build_plan(binaries.tool_components(versions)[0], versions)
    assert plan.version == "v0.305.1"
    url = binaries.release_urls(binaries.tool_components(versions)[0])["prometheus"]
    assert url.endswith("/v3.5.1/prometheus-3.5.1.linux-amd64.tar.gz") or url.endswith("linux-arm64.tar.gz")
