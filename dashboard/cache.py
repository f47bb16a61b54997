"""Query results cached per filter state and per data version.

In-process by default; Redis when CACHE_URL=redis://... so several workers share it. A key
includes the store's data version, which changes whenever an ETL run finishes, so a load
that commits makes every older entry unreachable: Redis lets them expire, the in-process
cache evicts them as the least recently used.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from cachelib.serializers import BaseSerializer
from flask import Flask
from flask_caching import Cache
from flask_caching.backends import SimpleCache

from etl.store import Store, reads

T = TypeVar("T")
# Redis's entries expire; the in-process cache's never do, as its bound on entries evicts the
# least recently used (an older data version's entries are never used again).
TIMEOUT = 600
# How many entries of each kind (a key's first part, `Reader`'s keys) one process keeps: a
# bound on entries is a bound on a worker's memory, a view holding a few MB and a place's
# figures up to some tens. A place's figures take tens of ms to read and every view of the
# place is cut from them; a view is asked for by the callbacks of one change and rarely again
# (a new date makes a new view), so views must not push places out.
MEMORY_ENTRIES = {"place": 96, "sums": 32, "view": 32, "within": 32, "figures": 8}
OTHER_ENTRIES = 8


class _AsIs(BaseSerializer):
    """Keeps a value as it is: one process needs no copy of what it cached."""

    def dumps(self, value: object, protocol: int | None = None) -> object:  # type: ignore[override]
        """The value itself."""
        return value

    def loads(self, value: object) -> object:  # type: ignore[override]
        """The value itself."""
        return value


class MemoryCache(SimpleCache):
    """flask-caching's in-process cache, without pickling, evicting the least recently used
    entry of the same kind (`MEMORY_ENTRIES`).

    Pickling a national view's frames costs tens of ms on every hit, and the views never
    change what they read. SimpleCache evicts the entries set first, however often they are
    read: under filter changes that dropped the gazetteer (a second to read again at a
    million figures) and the places being looked at, to keep views that are never asked for
    twice.
    """

    serializer = _AsIs()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._cache: OrderedDict[str, tuple[float, object]] = OrderedDict()

    def get(self, key: str) -> object:
        """The value for `key`, now the most recently used; None if absent or expired."""
        with self._lock:
            hit = super().get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def set(self, key: str, value: object, timeout: int | None = None) -> bool:
        """Keep `value` for `key`, first making room among the entries of its kind."""
        with self._lock:
            kind = _kind(key)
            same = [k for k in self._cache if k != key and _kind(k) == kind]
            for old in same[: max(0, len(same) - MEMORY_ENTRIES.get(kind, OTHER_ENTRIES) + 1)]:
                del self._cache[old]
            self._cache[key] = (self._normalize_timeout(timeout), self.serializer.dumps(value))
            self._cache.move_to_end(key)
            return True


def _kind(key: str) -> str:
    """What a full key (`data version|kind|...`) holds."""
    parts = key.split("|", 2)
    return parts[1] if len(parts) > 1 else ""


def make_cache(server: Flask, url: str | None) -> Cache:
    """An in-process cache, or Redis at `url`."""
    if url and url.startswith(("redis://", "rediss://")):
        config = {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": url,
            "CACHE_DEFAULT_TIMEOUT": TIMEOUT,
        }
    else:
        config = {
            "CACHE_TYPE": "dashboard.cache.MemoryCache",
            "CACHE_DEFAULT_TIMEOUT": 0,
        }
    return Cache(server, config=config)


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
