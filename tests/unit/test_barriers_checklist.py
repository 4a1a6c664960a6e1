"""The chapter's decision checklist: each barrier read for an application a reader describes."""

from __future__ import annotations

import pytest

from threeplanes.barriers.checklist import FIRST, FITS, WEIGH, Application, machine_share, read
from threeplanes.errors import LabError


def readings(app: Application, threshold: float = 0.2) -> dict[str, str]:
    table = read(app, threshold)
    return dict(zip(table.column("barrier"), table.column("reading"), strict=True))


def test_the_articles_example_loses_thirty_percent_of_the_machines() -> None:
    assert machine_share(3, 7) == pytest.approx(0.3)


def test_a_containerised_stateless_set_of_services_on_a_large_cluster_meets_no_barrier() -> None:
    shop = Application("shop", parts=12, containerised=True, workers=40)
    assert set(readings(shop).values()) == {FITS}


def test_a_monolith_on_three_servers_is_read_barrier_by_barrier() -> None:
    erp = Application("erp", parts=1, containerised=False, workers=3, keeps_state=True, self_clustering=("mongodb",))
    assert readings(erp) == {
        "1 micro-services": WEIGH,
        "2 containers": FIRST,
        "3 a distributed control plane": WEIGH,
        "4 persistence and network": FIRST,
        "5 self-clustering middleware": WEIGH,
    }
    meaning = dict(zip(read(erp).column("barrier"), read(erp).column("what it means"), strict=True))
    # 3 of 3 + 3 is 50 %; at a 20 % threshold, three control planes need twelve workers (3 / 15).
    assert "takes 50% of the machines" in meaning["3 a distributed control plane"]
    assert "from 12 workers" in meaning["3 a distributed control plane"]


def test_each_habit_names_the_object_that_mends_it() -> None:
    app = Application("legacy", parts=2, containerised=True, workers=20, habits=("local-state", "config-file"))
    row = next(r for r in read(app).rows if r[0] == "2 containers")
    assert row[2] == WEIGH and "PersistentVolumeClaim" in row[3] and "ConfigMap" in row[3]


def test_state_on_shared_storage_fits_and_on_local_disks_comes_first() -> None:
    shared = Application("a", parts=3, containerised=True, workers=10, keeps_state=True, shared_storage=True)
    local = Application("b", parts=3, containerised=True, workers=10, keeps_state=True)
    assert readings(shared)["4 persistence and network"] == FITS
    assert readings(local)["4 persistence and network"] == FIRST


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"habits": ("global-state",)}, r"unknown habit\(s\) \['global-state'\]"),
        ({"workers": 0}, "workers must be at least 1, not 0"),
    ],
)
def test_a_wrong_answer_is_named(fields: dict, message: str) -> None:
    with pytest.raises(LabError, match=message):
        Application("x", **{"parts": 1, "containerised": True, "workers": 3, **fields})


def test_a_threshold_outside_zero_and_one_is_refused() -> None:
    with pytest.raises(LabError, match="between 0 and 1, not 20"):
        read(Application("x", parts=1, containerised=True, workers=3), threshold=20)
