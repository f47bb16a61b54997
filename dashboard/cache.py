"""Query results cached per filter state and per data version.

In-process by default; Redis when CACHE_URL=redis://... so several workers share it. A key
includes the store's data version, which changes whenever an ETL run finishes, so a load
that commits makes every older entry unreachable (and they expire).
"""

from collections.abc import Callable
from typing import TypeVar

from flask import Flask
from flask_caching import Cache

from etl.store import Store, reads

T = TypeVar("T")
TIMEOUT = 600


def make_cache(server: Flask, url: str | None) -> Cache:
    """An in-process cache, or Redis at `url`."""
    if url and url.startswith(("redis://", "rediss://")):
        config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url}
    else:
        config = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 512}
    return Cache(server, config={**config, "CACHE_DEFAULT_TIMEOUT": TIMEOUT})


def cached(cache: Cache, store: Store, key: str, compute: Callable[[], T]) -> T:
    """`compute()` once per data version and key."""
    full = f"{reads.data_version(store.engine)}|{key}"
    hit = cache.get(full)
    if hit is not None:
        return hit
    value = compute()
    cache.set(full, value)
    return value
