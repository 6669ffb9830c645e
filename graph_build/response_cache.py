"""A bounded, thread-safe LRU cache of finished SPARQL responses for `allkg serve`.

The served graph is immutable while the server runs, so the same query asked for the same
result media type always gives the same bytes: a repeated request can be answered from memory
without a worker. Only successful (200) answers are stored; the cache lives in the server
process and is empty after a restart (a rebuilt graph is never answered from an old cache).
The bound counts the bytes of the stored bodies and query texts; an answer larger than the
whole bound is never stored.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from graph_build.query_workers import Reply


@dataclass(frozen=True)
class CacheKey:
    query: str  # normalised: surrounding whitespace removed
    media_type: str  # the negotiated result media type, e.g. application/sparql-results+json

    @classmethod
    def of(cls, query: str, media_type: str) -> "CacheKey":
        # Only the outer whitespace is dropped: inside the query it may belong to a string literal.
        return cls(query.strip(), media_type)

    @property
    def size(self) -> int:
        return len(self.query.encode("utf-8")) + len(self.media_type)


class ResponseCache:
    """LRU of Replies, at most `max_bytes` in total (0 disables it)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self._entries: "OrderedDict[CacheKey, Reply]" = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    @property
    def size_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @staticmethod
    def _cost(key: CacheKey, reply: Reply) -> int:
        return key.size + len(reply.body) + len(reply.content_type)

    def get(self, key: CacheKey) -> Reply | None:
        if not self.enabled:
            return None
        with self._lock:
            reply = self._entries.get(key)
            if reply is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return reply

    def put(self, key: CacheKey, reply: Reply) -> bool:
        """Store a successful reply; False when it is not stored (error, or larger than the bound)."""
        if not self.enabled or reply.status != 200:
            return False
        cost = self._cost(key, reply)
        if cost > self.max_bytes:
            return False
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= self._cost(key, old)
            self._entries[key] = reply
            self._bytes += cost
            while self._bytes > self.max_bytes:
                evicted_key, evicted = self._entries.popitem(last=False)
                self._bytes -= self._cost(evicted_key, evicted)
        return True

    def stats(self) -> dict:
        with self._lock:
            return {"max_bytes": self.max_bytes, "bytes": self._bytes, "entries": len(self._entries),
                    "hits": self.hits, "misses": self.misses}
