"""The lab A1's helpers that need no cluster: the two shapes of the shop, its program and its front run by a
local shell, the answers read from a client's log, a roll's timings, the counts of writes and requests."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from unittest.mock import MagicMock

import matplotlib
import pytest
import yaml
from kubernetes import client

from threeplanes.barriers import services
from threeplanes.errors import LabError
from threeplanes.kit.metrics import Usage

matplotlib.use("Agg")

SH = shutil.which("sh")
T0 = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


def deployments(documents: list[dict]) -> list[dict]:
    return [d for d in documents if d["kind"] == "Deployment"]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


# --- the two shapes ---------------------------------------------------------------------------


def test_both_shapes_request_the_same_budget() -> None:
    budget = {
        "cpu": services.millicores(services.BUDGET["cpu"]),
        "memory": services.bytes_of(services.BUDGET["memory"]),
    }
    assert budget == {"cpu": 200, "memory": 64 * 2**20}
    assert services.total_requests(services.monolith()) == budget
    assert services.total_requests(services.micro_services()) == budget


def test_the_monolith_carries_every_function_in_one_deployment_behind_the_service_shop() -> None:
    made, named = services.monolith()
    env = {e["name"]: e["value"] for e in made["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env == {"CATALOGUE_RELEASE": "1", "CART_RELEASE": "1", "CHECKOUT_RELEASE": "1"}
    assert made["spec"]["replicas"] == 2 and named["metadata"]["name"] == "shop"
    assert selects(named["spec"]["selector"], made["spec"]["template"]["metadata"]["labels"])


def test_each_service_of_the_micro_services_selects_the_pods_of_one_deployment() -> None:
    documents = services.micro_services()
    parts = deployments(documents)
    for named in (d for d in documents if d["kind"] == "Service"):
        chosen = [
            d["metadata"]["name"]
            for d in parts
            if selects(named["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        ]
        wanted = "front" if named["metadata"]["name"] == "shop" else named["metadata"]["name"]
        assert chosen == [wanted], named["metadata"]["name"]
        assert named["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http"}]


def test_each_function_part_serves_its_own_function_only() -> None:
    for part in deployments(services.micro_services()):
        name = part["metadata"]["name"]
        container = part["spec"]["template"]["spec"]["containers"][0]
        if name == "front":
            assert container["volumeMounts"][0]["mountPath"] == "/etc/front"
            continue
        assert [e["name"] for e in container["env"]] == [services.release_variable(name)]
        assert container["readinessProbe"]["httpGet"]["path"] == f"/{name}"


def test_every_pod_goes_to_the_real_node_and_asks_for_resources() -> None:
    for part in deployments([*services.monolith(), *services.micro_services()]):
        spec = part["spec"]["template"]["spec"]
        assert spec["nodeSelector"] and spec["tolerations"], part["metadata"]["name"]
        assert spec["containers"][0]["resources"]["requests"]["cpu"]


def test_the_manifests_are_written_with_the_scripts_as_literal_blocks_and_no_anchors() -> None:
    text = services.yaml_with_blocks(*services.monolith())
    assert "- |" in text and "&id" not in text and "*id" not in text
    assert list(yaml.safe_load_all(text)) == services.monolith()


# --- the program and the front, run by a local shell -----------------------------------------------


@pytest.mark.skipif(SH is None, reason="no sh on this machine")
def test_the_program_writes_a_page_for_each_function_whose_release_is_set(tmp_path: Path) -> None:
    script = services.SERVE.replace("/tmp/www", str(tmp_path)).replace(f"exec httpd -f -p {services.SHOP_PORT}", "true")
    env = {"PATH": "/usr/bin:/bin", "CART_RELEASE": "7", "CHECKOUT_RELEASE": "3"}
    subprocess.run([SH, "-c", script], env=env, check=True, timeout=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cart", "checkout"]
    release, pod = services.parse_answer("cart", (tmp_path / "cart").read_text())
    assert release == "7" and pod


@pytest.mark.skipif(SH is None, reason="no sh on this machine")
@pytest.mark.parametrize(
    ("path", "status", "body"),
    [("/healthz", "200 OK", "ok"), ("/elsewhere", "502 Bad Gateway", "no answer for /elsewhere")],
)
def test_the_front_answers_http_itself(path: str, status: str, body: str) -> None:
    request = f"GET {path} HTTP/1.1\r\nHost: shop\r\n\r\n"
    answer = subprocess.run([SH, "-c", services.ROUTE], input=request.encode(), capture_output=True, timeout=10)
    head, _, rest = answer.stdout.decode().partition("\r\n\r\n")
    assert head.splitlines()[0] == f"HTTP/1.0 {status}"
    assert f"Content-Length: {len(body) + 1}" in head and rest == f"{body}\n"


def test_a_client_asks_every_function_of_the_entry_and_on_demand_each_service_straight() -> None:
    pod = services.shop_client("customer")
    script = pod["spec"]["containers"][0]["command"][2]
    assert all(f"http://shop/{f}" in script for f in services.FUNCTIONS)
    assert "direct" not in script and pod["spec"]["nodeSelector"]
    both = services.shop_client("customer", direct=True)["spec"]["containers"][0]["command"][2]
    assert all(f'echo "direct {f} ' in both and f"http://{f}/{f}" in both for f in services.FUNCTIONS)


@pytest.mark.skipif(SH is None or not Path("/proc/uptime").exists(), reason="no sh or no /proc/uptime here")
def test_the_client_times_each_request_in_hundredths_of_a_second() -> None:
    script = services.shop_client("customer")["spec"]["containers"][0]["command"][2]
    once = script.replace("while true; do ", "").replace("sleep 0.2; done", "true")
    printed = subprocess.run([SH, "-c", once.replace("wget", "true")], capture_output=True, text=True, timeout=30)
    lines = printed.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [["answer", f] for f in services.FUNCTIONS]
    assert all(line.split()[2].isdigit() for line in lines)


# --- answers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("cart 2 from cart-7d9-x1", ("2", "cart-7d9-x1")),
        ("catalogue 1 from shop-1", ("", "")),
        ("", ("", "")),
        ("no answer for /cart", ("", "")),
        ("cart 2 from", ("", "")),
    ],
)
def test_an_answer_names_its_release_and_pod_or_nothing(text: str, wanted: tuple[str, str]) -> None:
    assert services.parse_answer("cart", text) == wanted


def log_line(at: datetime, text: str) -> str:
    return f"{at.strftime('%Y-%m-%dT%H:%M:%S.%f')}123Z {text}"


def test_a_client_log_reads_as_timed_answers_and_unanswered_requests() -> None:
    log = "\n".join(
        [
            log_line(T0, "answer catalogue 2 catalogue 1 from shop-a"),
            log_line(T0 + timedelta(seconds=0.02), "answer cart 200 "),
            log_line(T0 + timedelta(seconds=0.05), "answer checkout 3 checkout 1 from shop-b"),
            log_line(T0 + timedelta(seconds=0.06), "something else"),
            log_line(T0 + timedelta(seconds=0.07), "answer cart"),
            log_line(T0 + timedelta(seconds=0.08), "direct cart 1 cart 1 from cart-a"),
        ]
    )
    assert [(a.function, a.took) for a in services.answers_in_log(log, "direct")] == [("cart", 0.01)]
    found = services.answers_in_log(log)
    assert [(a.function, a.release, a.pod, a.took) for a in found] == [
        ("catalogue", "1", "shop-a", 0.02),
        ("cart", "", "", 2.0),
        ("checkout", "1", "shop-b", 0.03),
    ]
    assert [a.answered for a in found] == [True, False, True]
    assert found[0].at.tzinfo is not None


def answer(seconds: float, function: str, release: str = "1", pod: str = "shop-a") -> services.ShopAnswer:
    return services.ShopAnswer(T0 + timedelta(seconds=seconds), function, release, pod if release else "", 0.01)


def round_at(seconds: float, release: str = "1", pod: str = "shop-a", gap: float = 0.02) -> list[services.ShopAnswer]:
    return [answer(seconds + i * gap, f, release, pod) for i, f in enumerate(services.FUNCTIONS)]


def test_latencies_are_what_the_client_timed_and_rounds_are_counted_per_second() -> None:
    found = [*round_at(0), *round_at(0.5), *round_at(1.0), answer(1.1, "cart", "")]
    assert services.latencies(found) == [0.01] * 9
    assert len(services.latencies(found, since=T0 + timedelta(seconds=0.9))) == 3
    assert services.rounds_per_second(found[:-1]) == pytest.approx(3 / 1.04)
    assert services.rounds_per_second([]) == 0


def test_every_function_answers_only_when_each_has_enough_answers_after_the_time_given() -> None:
    found = [*round_at(0), *round_at(1), *round_at(2)]
    assert services.every_function_answers(found, T0 - timedelta(seconds=1), count=3)
    assert not services.every_function_answers(found, T0 + timedelta(seconds=0.5), count=3)
    assert not services.every_function_answers([*found, answer(3, "cart", "")], T0, count=2)


# --- a roll -------------------------------------------------------------------------------------


def monolith_roll() -> services.Roll:
    found = [*round_at(-2, pod="shop-old"), *round_at(-1, pod="shop-old"), answer(1, "catalogue", "")]
    found += [
        answer(2, "cart", "1", "shop-old"),
        answer(3, "cart", "2", "shop-new"),
        answer(4, "cart", "1", "shop-old"),
    ]
    found += [*round_at(6, "2", "shop-new"), *round_at(7, "2", "shop-new")]
    return services.Roll("monolith", "cart", "2", T0, found, ["shop-old"], ["shop-new"], 1, 5.0)


def test_a_roll_times_the_first_new_answer_and_the_last_old_one() -> None:
    roll = monolith_roll()
    assert roll.first_new == pytest.approx(3)
    assert roll.last_old == pytest.approx(4)
    assert roll.unanswered("catalogue") == 1 and roll.unanswered("cart") == 0
    assert roll.settled == pytest.approx(4)
    late = answer(5, "checkout", "1", "shop-old")  # a replaced pod still answering while it stops
    assert services.Roll("m", "cart", "2", T0, [*roll.answers, late], ["shop-old"], [], 1, 5.0).settled == 5


def test_a_roll_names_the_functions_it_restarted_from_who_answered_before() -> None:
    roll = monolith_roll()
    assert roll.restarted() == list(services.FUNCTIONS)
    assert roll.pods_before("checkout") == {"shop-old"}
    assert roll.pods_after("checkout", roll.last_old) == {"shop-new"}
    alone = services.Roll("micro-services", "cart", "2", T0, roll.answers, ["cart-old"], ["cart-new"], 1, 5.0)
    assert alone.restarted() == []


def deployment_with(reason: str, at: datetime) -> SimpleNamespace:
    condition = SimpleNamespace(type="Progressing", reason=reason, last_update_time=at)
    return SimpleNamespace(status=SimpleNamespace(conditions=[condition]))


def test_a_rollout_is_done_when_the_new_replica_set_is_available() -> None:
    assert services.rolled_out_at(deployment_with("NewReplicaSetAvailable", T0)) == T0
    assert services.rolled_out_at(deployment_with("ReplicaSetUpdated", T0)) is None


def test_setting_a_release_patches_every_container_that_has_the_variable() -> None:
    cluster = MagicMock()
    containers = [
        SimpleNamespace(name="shop", env=[SimpleNamespace(name="CART_RELEASE")]),
        SimpleNamespace(name="sidecar", env=None),
    ]
    cluster.apps.read_namespaced_deployment.return_value = SimpleNamespace(
        spec=SimpleNamespace(template=SimpleNamespace(spec=SimpleNamespace(containers=containers)))
    )
    services.set_release(cluster, "ns", "shop", "cart", "2")
    name, namespace, body = cluster.apps.patch_namespaced_deployment.call_args.args
    assert (name, namespace) == ("shop", "ns")
    assert body["spec"]["template"]["spec"]["containers"] == [
        {"name": "shop", "env": [{"name": "CART_RELEASE", "value": "2"}]}
    ]
    with pytest.raises(LabError, match="CHECKOUT_RELEASE"):
        services.set_release(cluster, "ns", "shop", "checkout", "2")


# --- counts -------------------------------------------------------------------------------------


def event(name: str, about: str, reporter: str) -> SimpleNamespace:
    return SimpleNamespace(
        metadata=SimpleNamespace(name=name),
        reporting_component=reporter,
        source=None,
        involved_object=SimpleNamespace(name=about),
    )


def test_writes_about_the_ignored_client_are_left_out_and_counted_by_kind_and_reporter() -> None:
    counter = services.WriteCounter(MagicMock(), "ns", ignore=["customer"])
    counter._record(services.write_of("Pod", "ADDED", SimpleNamespace(metadata=SimpleNamespace(name="shop-a"))))
    counter._record(services.write_of("Pod", "MODIFIED", SimpleNamespace(metadata=SimpleNamespace(name="customer"))))
    counter._record(services.write_of("Event", "ADDED", event("e1", "shop-a", "kubelet")))
    counter._record(services.write_of("Event", "ADDED", event("e2", "customer", "kubelet")))
    counter._record(services.write_of("Event", "ADDED", event("e3", "shop-a", "default-scheduler")))
    assert services.writes_by_kind(counter.writes) == {"Pod": 1, "Event": 2}
    assert services.events_by_reporter(counter.writes) == {"kubelet": 1, "default-scheduler": 1}


def test_the_counting_client_notes_each_request_it_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    class Sent(Exception):
        pass

    def refuse(self, method, url, *args, **kwargs):
        raise Sent(method)

    monkeypatch.setattr(client.rest.RESTClientObject, "request", refuse)
    cluster = SimpleNamespace(api_client=SimpleNamespace(configuration=client.Configuration(host="http://nowhere")))
    counting = services.CountingClient(cluster)
    with pytest.raises(Sent):
        counting.create("ns", services.monolith()[:1])
    assert counting.requests == [("POST", "/apis/apps/v1/namespaces/ns/deployments")]
    assert counting.by_method() == {"POST": 1}


def pod(name: str, **requests: str) -> client.V1Pod:
    container = client.V1Container(name="c", resources=client.V1ResourceRequirements(requests=requests or None))
    return client.V1Pod(metadata=client.V1ObjectMeta(name=name), spec=client.V1PodSpec(containers=[container]))


def test_requests_of_pods_are_added_up_in_millicores_and_bytes() -> None:
    pods = [pod("a", cpu="75m", memory="32Mi"), pod("b", cpu="0.025"), pod("c")]
    assert services.requested(pods[0]) == {"cpu": 75, "memory": 32 * 2**20}
    assert services.total_cpu_requested(pods) == 100
    figures = {p.metadata.name: Usage(p.metadata.name, 0.01, 2**20, "10s") for p in pods}  # 10m each
    summed = services.totals(pods[:2], figures)
    assert summed["cpu requested"] == 100 and summed["cpu used"] == pytest.approx(20)
    assert summed["cpu idle %"] == pytest.approx(80)


def test_the_charts_are_drawn_from_what_was_measured() -> None:
    writes = {
        "monolith": [services.ObjectWrite("Pod", "ADDED", "a")],
        "micro-services": [services.ObjectWrite("Event", "ADDED", "e")] * 3,
    }
    assert services.plot_writes(writes).axes[0].get_title().endswith("counted in this run")
    figure = services.plot_rolls([monolith_roll()])
    assert "measured in this run" in figure.axes[0].get_title()
