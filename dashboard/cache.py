"""Query results cached per filter state and per data version.

In-process by default; Redis when CACHE_URL=redis://... so several workers share it. A key
includes the store's data version, which changes whenever an ETL run finishes, so a load
that commits makes every older entry unreachable (and they expire).
"""

import threading
from collections.abc import Callable
from typing import TypeVar

from cachelib.serializers import BaseSerializer
from flask import Flask
from flask_caching import Cache
from flask_caching.backends import SimpleCache

from etl.store import Store, reads

T = TypeVar("T")
TIMEOUT = 600
# A national view holds a few MB and a place's figures up to some tens: a bound on entries
# is a bound on a worker's memory.
MEMORY_ENTRIES = 256


class _AsIs(BaseSerializer):
    """Keeps a value as it is: one process needs no copy of what it cached."""

    def dumps(self, value: object, protocol: int | None = None) -> object:  # type: ignore[override]
        """The value itself."""
        return value

    def loads(self, value: object) -> object:  # type: ignore[override]
        """The value itself."""
        return value


class MemoryCache(SimpleCache):
    """flask-caching's in-process cache without pickling: a national view's frames cost tens
    of ms to pickle and unpickle on every hit, and the views never change what they read."""

    serializer = _AsIs()


def make_cache(server: Flask, url: str | None) -> Cache:
    """An in-process cache, or Redis at `url`."""
    if url and url.startswith(("redis://", "rediss://")):
        config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url}
    else:
        config = {"CACHE_TYPE": "dashboard.cache.MemoryCache", "CACHE_THRESHOLD": MEMORY_ENTRIES}
    return Cache(server, config={**config, "CACHE_DEFAULT_TIMEOUT": TIMEOUT})


def peek(cache: Cache, store: Store, key: str) -> object | None:
    """What the cache holds for `key` at the store's data version, computing nothing."""
    return cache.get(f"{reads.data_version(store.engine)}|{key}")


_guard = threading.Lock()
_computing: dict[str, threading.Lock] = {}


def cached(cache: Cache, store: Store, key: str, compute: Callable[[], T]) -> T:
    """`compute()` once per data version and key.

    Callbacks fired by one change ask for the same place at once; in one process the first
    computes it and the others wait for its result instead of computing it again.
    """
    # Asked on every read: keeping it for a whole request saved nothing measurable
    # (`python -m bench.caches`), and one row by its key is cheap on either backend.
    full = f"{reads.data_version(store.engine)}|{key}"
    hit = cache.get(full)
    if hit is not None:
        return hit
    with _guard:
        lock = _computing.setdefault(full, threading.Lock())
    try:
        with lock:
            hit = cache.get(full)
            if hit is None:
                hit = compute()
                cache.set(full, hit)
    finally:
        with _guard:
            _computing.pop(full, None)
    return hit
