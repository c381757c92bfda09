"""The answer cache: `/sparql` answers kept in the server process, so that a repeated query is answered without
a worker.

An answer is kept under (the build that answered, the query normalised, the dataset, the formats chosen), and
only when it is whole: a refused answer (over the row or byte limit, a syntax error, a time-out) is an error,
never an answer, so it is never kept, and a kept answer met every limit of this server when it was made. The
cache holds at most `settings.answer_cache_bytes` of answers (least recently used first out; an answer larger
than an eighth of that is not kept), and is emptied as soon as a request sees that another build is current.

The query is normalised outside its strings and IRIs (read as `kg.sparql_text.TOKENS` reads them): each run of
white space and comments made one space, so that two texts with the same key are read alike by any SPARQL
lexer. A text that reading is not exact for (a backslash, a long string) is kept as it is.

>>> normalised("SELECT *  # all\\nWHERE {?s ?p ?o}")
'SELECT * WHERE {?s ?p ?o}'
>>> normalised('ASK { ?s ?p "a  b" }') == 'ASK { ?s ?p "a  b" }'
True
"""

import hashlib
import os
import re
import sys
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from kg.store import StoreLayout

ENTRY_SHARE = 8  # an answer larger than this fraction of the cache is not kept
# What a kept answer's objects cost beside its body and strings (counted by `sys.getsizeof`): the key's tuples,
# the answer, the dict's slot (tracemalloc, tests/api/test_cache.py: about 550).
ENTRY_OVERHEAD = 640


def normalised(query: str) -> str:
    """The query as the cache keys it (see the module's docstring)."""
    if "\\" in query or '"""' in query or "'''" in query:
        return query.strip()
    parts, between = [], []  # `between`: the text since the last string or IRI, its comments made white space
    for n, part in enumerate(_LITERALS.split(query)):
        if n % 2 == 0 or part.startswith("#"):
            between.append(part if n % 2 == 0 else " ")
        else:
            parts += [_one_space("".join(between)), part]
            between = []
    parts.append(_one_space("".join(between)))
    return "".join(parts).strip()


# The comments, strings and IRIs of a query as `kg.sparql_text.TOKENS` reads them (in this order, so that a quote
# in a comment opens no string and a `#` in an IRI opens no comment); what lies between is white space and tokens.
_LITERALS = re.compile(r"""(\#[^\n\r]*|'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*"|<[^<>"{}|^`\\\x00-\x20]*>)""")


def _one_space(text: str) -> str:
    """Each run of white space made one space, as `re.sub(r"\\s+", " ", text)` does (`str.split` and `\\s` read the
    same characters as white space), in C rather than by a regular expression, which scans a long query slowly."""
    inner = " ".join(text.split())
    if not inner:
        return " " if text else ""
    return (" " if text[0].isspace() else "") + inner + (" " if text[-1].isspace() else "")


def etag(body: bytes) -> str:
    """A strong entity tag for an answer's bytes."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header names this tag (or `*`); a weak tag compares by its opaque part."""
    if not if_none_match:
        return False
    return any(candidate.strip().removeprefix("W/") in (tag, "*") for candidate in if_none_match.split(","))


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    body: bytes
    media_type: str
    build: str  # the name of the build that answered
    etag: str



Key = tuple  # (build name, normalised query, default graphs, named graphs, formats)


class AnswerCache:
    """Answers by key, at most `limit` bytes of them; single-threaded (the event loop's).

    >>> cache = AnswerCache(limit=20_000)
    >>> cache.put(("b1", "ASK {}"), CachedAnswer(b"x" * 10, "text/plain", "b1", etag(b"x")))
    True
    >>> cache.get(("b1", "ASK {}")).body
    b'xxxxxxxxxx'
    >>> cache.put(("b1", "big"), CachedAnswer(b"x" * 2000, "text/plain", "b1", etag(b"x")))  # over an eighth
    False
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self._answers: OrderedDict[Key, tuple[CachedAnswer, int]] = OrderedDict()  # with what each costs

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: Key) -> CachedAnswer | None:
        kept = self._answers.get(key)
        if kept is None:
            return None
        self._answers.move_to_end(key)
        return kept[0]

    def cost(self, key: Key, answer: CachedAnswer) -> int:
        """What keeping `answer` under `key` costs in memory, in bytes: the body, the strings of the key and of the
        answer, and the objects holding them."""
        size = sys.getsizeof
        objects = size(answer.body) + size(answer.media_type) + size(answer.build) + size(answer.etag)
        for part in key:
            if isinstance(part, str):  # the build, the query
                objects += size(part)
            elif isinstance(part, tuple):  # the dataset's graphs (the formats' names are the app's own strings)
                objects += sum(size(item) for item in part if isinstance(item, str))
        return objects + ENTRY_OVERHEAD

    def put(self, key: Key, answer: CachedAnswer) -> bool:
        """Keep an answer, making room by dropping the least recently used; False when it is too large."""
        cost = self.cost(key, answer)
        if cost * ENTRY_SHARE > self.limit:
            return False
        old = self._answers.pop(key, None)
        if old is not None:
            self.size -= old[1]
        while self._answers and self.size + cost > self.limit:
            _, (_, dropped) = self._answers.popitem(last=False)
            self.size -= dropped
        self._answers[key] = (answer, cost)
        self.size += cost
        return True

    def clear(self) -> None:
        self._answers.clear()
        self.size = 0


class CurrentBuild:
    """The name of the build the embedded store serves now, read from its `current` link at each call (a
    readlink: microseconds); the cache is emptied when it changes."""

    def __init__(self, store_dir: Path, cache: AnswerCache):
        self._link = str(StoreLayout(Path(store_dir)).current)
        self._cache = cache
        self._seen: str | None = None

    def name(self) -> str | None:
        try:
            name = os.path.basename(os.readlink(self._link))
        except OSError:
            name = None
        if name != self._seen:
            self._cache.clear()
            self._seen = name
        return name
