"""The shared HTTP client against a real loopback server: retries, backoff, credentials."""

import time

import pytest

from etl.errors import SourceAuthError, SourceError
from etl.transport import HttpClient, HttpSettings, public_url
from tests.upstream import Reply

FAST = HttpSettings(connect_timeout=2, read_timeout=0.5, retries=2, backoff=0.01)


def test_a_server_error_then_success_is_retried(upstream):
    upstream.script("/data", Reply(500), Reply(200, b'{"data": []}'))
    response = HttpClient(FAST).get("t", upstream.base + "/data")
    assert response.json() == {"data": []}
    assert len(upstream.seen) == 2


def test_429_waits_as_long_as_retry_after_says(upstream):
    upstream.script("/data", Reply(429, headers={"Retry-After": "1"}), Reply(200, b"ok"))
    started = time.monotonic()
    response = HttpClient(FAST).get("t", upstream.base + "/data")
    assert response.content == b"ok"
    assert time.monotonic() - started >= 0.9
    assert len(upstream.seen) == 2


def test_a_server_that_never_answers_in_time_fails_after_the_retry_budget(upstream):
    upstream.script("/slow", Reply(200, b"late", delay=1.5))
    with pytest.raises(SourceError, match=r"t: .*/slow: timed out after 3 tries"):
        HttpClient(FAST).get("t", upstream.base + "/slow")
    assert len(upstream.seen) == 3


def test_401_fails_at_once_without_showing_the_credential(upstream):
    upstream.script("/data", Reply(401, b'{"error": "bad key"}'))
    with pytest.raises(SourceAuthError) as caught:
        HttpClient(FAST).get(
            "t",
            upstream.base + "/data",
            params={"key": "s3cret", "a": 1},
            secrets=frozenset({"key"}),
        )
    assert "s3cret" not in str(caught.value)
    assert "credential" in str(caught.value)
    assert len(upstream.seen) == 1


def test_other_client_errors_are_not_retried(upstream):
    upstream.script("/data", Reply(404, b"no"))
    with pytest.raises(SourceError, match="HTTP 404"):
        HttpClient(FAST).get("t", upstream.base + "/data")
    assert len(upstream.seen) == 1


def test_a_persistent_server_error_fails_with_its_status(upstream):
    upstream.script("/data", Reply(503))
    with pytest.raises(SourceError, match="HTTP 503 after 3 tries"):
        HttpClient(FAST).get("t", upstream.base + "/data")


def test_requests_carry_an_identifying_user_agent(upstream):
    upstream.script("/data", Reply(200, b"ok"))
    HttpClient(FAST).get("t", upstream.base + "/data")
    assert upstream.seen[0].headers["User-Agent"].startswith("displacement-dashboard/")


def test_the_stored_url_has_no_credentials(upstream):
    upstream.script("/data", Reply(200, b"ok"))
    response = HttpClient(FAST).get(
        "t",
        upstream.base + "/data",
        params={"client_id": "s3cret", "year": 2020},
        secrets=frozenset({"client_id"}),
    )
    assert "s3cret" not in response.url
    assert response.url.endswith("/data?year=2020")
    assert upstream.seen[0].query["client_id"] == ["s3cret"]


def test_public_url_keeps_the_existing_query():
    assert (
        public_url("https://x.org/a?b=1", {"key": "k", "c": 2}, frozenset({"key"}))
        == "https://x.org/a?b=1&c=2"
    )
