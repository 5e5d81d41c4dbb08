"""The test site's PostgreSQL pass: a throwaway cluster, skipped without PostgreSQL on a
developer's machine and failed without it on CI (so the pass is never silently lost)."""

from __future__ import annotations

import pytest

from tests import conftest
from tests.tastypie_site import postgresql


@pytest.fixture
def no_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgresql, "find_bin_dir", lambda: None)


def test_without_postgresql_the_pass_is_skipped_with_the_reason(
    no_postgresql: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL server programs"):
        conftest._require_postgresql()


def test_without_postgresql_on_ci_the_pass_fails(
    no_postgresql: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required on CI"):
        conftest._require_postgresql()


@pytest.mark.slow
@pytest.mark.postgresql
def test_the_cluster_listens_on_loopback_only_and_is_removed_at_the_end() -> None:
    bin_dir = conftest._require_postgresql()
    import psycopg

    with postgresql.Cluster(bin_dir) as cluster:
        cluster.create_database("probe")
        with psycopg.connect(cluster.url("probe")) as connection:
            shown = [
                connection.execute(f"SHOW {name}").fetchone()[0]
                for name in ("listen_addresses", "unix_socket_directories")
            ]
        assert shown == ["127.0.0.1", str(cluster.root)]
    assert not cluster.root.exists()
