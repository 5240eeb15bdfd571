"""An external sort: items put in order on disk a run at a time, so that an
import applies a register of any length in time order with bounded memory.

Items are tuples that order by themselves (an import's begin with the
row's moment and its place in the file, which no two rows share); each
run of :data:`RUN` items is sorted in memory and written to a temporary
file, and iterating merges the runs. A spool that never fills a run never
touches the disk."""

from __future__ import annotations

import heapq
import pickle
import tempfile
from typing import IO, Any, Iterator

#: items sorted in memory before a run is written out (about 40 MB of register rows)
RUN = 20_000
#: items pickled together (one pickle per item cost as much as the sort)
CHUNK = 500


class Spool:
    def __init__(self, run: int | None = None):
        self.run = run or RUN
        self._items: list[tuple] = []
        self._files: list[IO[bytes]] = []
        self.count = 0

    def add(self, item: tuple) -> None:
        self._items.append(item)
        self.count += 1
        if len(self._items) >= self.run:
            self._spill()

    def _spill(self) -> None:
        self._items.sort()
        f = tempfile.TemporaryFile(prefix="leadcycle-spool-")
        for i in range(0, len(self._items), CHUNK):  # read back a chunk at a time
            pickle.dump(self._items[i:i + CHUNK], f, pickle.HIGHEST_PROTOCOL)
        f.seek(0)
        self._files.append(f)
        self._items = []

    @staticmethod
    def _read(f: IO[bytes]) -> Iterator[Any]:
        f.seek(0)
        while True:
            try:
                yield from pickle.load(f)
            except EOFError:
                return

    def __iter__(self) -> Iterator[tuple]:
        """Every item added, in order (once: the spool is then empty)."""
        if not self._files:
            self._items.sort()
            items, self._items = self._items, []
            yield from items
            return
        if self._items:
            self._spill()
        yield from heapq.merge(*(self._read(f) for f in self._files))

    def close(self) -> None:
        for f in self._files:
            f.close()
        self._files, self._items = [], []

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ["RUN", "Spool"]
