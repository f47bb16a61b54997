"""gunicorn settings for the dashboard: `gunicorn -c deploy/gunicorn.conf.py dashboard.app:server`.

Every value can be overridden from the environment (GUNICORN_*), so one file serves a laptop,
a server and each host behind a load balancer.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8050")
# The app is built and warmed once, in the master, and every worker forked from it starts with
# the gazetteer and the places of the menu in its cache (so does a worker recycled after
# max_requests) instead of each reading them again: at a million figures, seconds of CPU per
# worker at every start. (The paced load test from a cold start did not move with it: its
# wait is the first read of the places beyond the menu's, in every worker.)
preload_app = os.environ.get("GUNICORN_PRELOAD", "1").lower() not in ("0", "false", "no")
# Callbacks are CPU-bound (figure building): a process per core, plus one.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
# One thread a worker: callbacks hold the GIL, and two of them in one process slowed each
# other. Measured by the paced load test at a million figures (50 users, 3 workers): server
# CPU 145 ms a change with one thread against 190 ms with four and 195 ms with two, p95 1.8 s
# against 2.4 s and 3.3 s. The other workers answer /healthz and static files meanwhile, and
# the gthread worker still keeps idle connections open between a user's changes.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Longer than a coordinator pauses between two clicks: an idle connection closed under a
# request that reuses it is a reset the user sees as a failed update.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
# Workers are recycled now and then so a slow leak never takes a hub down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_fork(server, worker):  # type: ignore[no-untyped-def]
    """A worker forked from the master opens its own database connections."""
    from dashboard.app import release_connections

    release_connections()
