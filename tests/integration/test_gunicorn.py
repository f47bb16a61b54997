"""`gunicorn -c deploy/gunicorn.conf.py dashboard.app:server` serves the dashboard."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_gunicorn_serves_the_app_with_the_documented_config(store):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": store.url,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "-c", "deploy/gunicorn.conf.py", "dashboard.app:server"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
                break
            # Not listening yet, or a worker still booting on a busy machine: ask again.
            except (requests.ConnectionError, requests.Timeout):
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.3)
        assert health.status_code == 200
        # Each worker, forked from the master that built the app, reads the store on its own
        # connections: new connections land on either worker.
        for _ in range(6):
            again = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
            assert again.status_code == 200 and again.json()["status"] == "ok"
        page = requests.get(f"http://127.0.0.1:{port}/", headers={"Accept-Encoding": "gzip"})
        assert page.status_code == 200
        assert "Displacement dashboard" in page.text
        layout = requests.get(
            f"http://127.0.0.1:{port}/_dash-layout", headers={"Accept-Encoding": "gzip"}
        )
        assert layout.headers.get("Content-Encoding") == "gzip"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_the_master_closes_the_served_apps_connections_before_it_forks(store, monkeypatch):
    from dashboard import app as module
    from dashboard.settings import DashboardSettings

    built = module.create_app(DashboardSettings(database_url=store.url), store, warm=True)
    monkeypatch.setitem(vars(module), "server", built.server)
    assert store.engine.pool.checkedin() >= 1  # the warm-up read through a pooled connection
    module.release_connections()
    assert store.engine.pool.checkedin() == 0
    # The next read opens a connection of its own.
    assert built.server.test_client().get("/healthz").status_code == 200
