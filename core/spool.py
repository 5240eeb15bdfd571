"""An external sort: items put in order on disk a run at a time, so that an
import applies a register of any length in time order with bounded memory.

Items are tuples that order by themselves (an import's begin with the
row's moment and its place in the file, which no two rows share); each
run of :data:`RUN` items is sorted in memory and written to a temporary
file, and iterating merges the runs, at most :data:`FAN_IN` at a time
(each run being merged holds a chunk in memory: merged all at once, five
million rows' 250 runs held 125,000 items, and memory grew with the
register). A spool that never fills a run never touches the disk."""

from __future__ import annotations

import heapq
import itertools
import pickle
import tempfile
from typing import IO, Any, Iterable, Iterator

#: items sorted in memory before a run is written out (about 40 MB of register rows)
RUN = 20_000
#: items pickled together (one pickle per item cost as much as the sort)
CHUNK = 500
#: runs merged at once: more are first merged into longer runs, a pass at a
#: time, so a merge holds at most FAN_IN chunks (8,000 items) however many
#: runs the register took
FAN_IN = 16


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
        self._files.append(self._write(self._items))
        self._items = []

    @staticmethod
    def _write(items: Iterable[tuple]) -> IO[bytes]:
        """A run on disk: ``items`` (in order) pickled a chunk at a time, to
        be read back a chunk at a time."""
        f = tempfile.TemporaryFile(prefix="leadcycle-spool-")
        items = iter(items)
        while chunk := list(itertools.islice(items, CHUNK)):
            pickle.dump(chunk, f, pickle.HIGHEST_PROTOCOL)
        f.seek(0)
        return f

    def _merge(self, files: list[IO[bytes]]) -> IO[bytes]:
        """One run on disk of the runs ``files`` (closed once merged)."""
        try:
            return self._write(heapq.merge(*(self._read(f) for f in files)))
        finally:
            for f in files:
                f.close()

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
        while len(self._files) > FAN_IN:
            files, self._files = self._files, []
            for i in range(0, len(files), FAN_IN):
                self._files.append(self._merge(files[i:i + FAN_IN]))
        yield from heapq.merge(*(self._read(f) for f in self._files))

    def close(self) -> None:
        for f in self._files:
            f.close()
        self._files, self._items = [], []

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ["FAN_IN", "RUN", "Spool"]
