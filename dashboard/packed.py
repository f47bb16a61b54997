"""Every place's figures kept in memory compressed, so that no first view of a place waits
for the store.

A place's figures take tens of ms to read (a district of a million-figure store, about a
hundred) and several MB open; pickled and compressed they take a few hundred KB and open
in a fifth of the time. A server packs the places at its start (`DASHBOARD_PACK_PLACES`), in
gunicorn's master, so that every worker it forks (and every worker recycled later) starts
with them; the query cache keeps the places in use open. Packed figures belong to one data
version: a load that commits makes them unreachable, and each place is read again at its
next view. They never leave the process (nothing is unpickled that it did not pickle).
"""

import pickle
import threading
import zlib
from collections.abc import Callable

from dashboard.data import PlaceFigures

# zlib's fastest level: a district packs to a seventh of its pickle in about the time it
# takes to open it again.
LEVEL = 1


class PackedPlaces:
    """Places' figures, pickled and compressed, for one data version at a time (safe to share
    between threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: object = None
        self._packed: dict[str, bytes] = {}

    def get(self, version: object, pcode: str) -> PlaceFigures | None:
        """The figures packed for `pcode` at `version`, opened anew; None if not packed."""
        with self._lock:
            packed = self._packed.get(pcode) if version == self._version else None
        return None if packed is None else pickle.loads(zlib.decompress(packed))

    def has(self, version: object, pcode: str) -> bool:
        """Whether `pcode` is packed at `version`."""
        with self._lock:
            return version == self._version and pcode in self._packed

    def put(self, version: object, pcode: str, figures: PlaceFigures) -> None:
        """Pack the figures of `pcode` at `version`, dropping those of any other version."""
        packed = zlib.compress(pickle.dumps(figures, protocol=pickle.HIGHEST_PROTOCOL), LEVEL)
        with self._lock:
            if version != self._version:
                self._version, self._packed = version, {}
            self._packed[pcode] = packed

    def size(self) -> int:
        """How many bytes the packed figures take."""
        with self._lock:
            return sum(map(len, self._packed.values()))

    def read(self, version: object, pcode: str, read: Callable[[], PlaceFigures]) -> PlaceFigures:
        """The figures of `pcode`: opened if packed at `version`, else `read()` and packed."""
        figures = self.get(version, pcode)
        if figures is None:
            figures = read()
            self.put(version, pcode, figures)
        return figures
