"""Words, their forms and the marked snippet: the same Python code for both databases.

Text is folded (Unicode NFKD, combining marks dropped, case folded: `Lukísan` is `lukisan`)
and cut into words (runs of letters and digits). Each word stands for its *terms*: the word
itself, its Snowball stems in Indonesian and English, and, for an Indonesian verb or noun
whose prefix swallowed the first letter of its root (`menulis` from `tulis`, `memotret`
from `potret`, `menyanyi` from `sanyi`, `mengirim` from `kirim`), the stem of that root too —
the Snowball stemmer strips `men-` and leaves `ulis`, which would never meet `tulisan`.
A query word matches a document word when their terms meet; the last query word also
matches every word it begins (search as you type).
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MAX_WORD = 64  # longer words are cut: nothing real is longer, and indexes stay small
MAX_QUERY_WORDS = 12  # words after these are ignored
SNIPPET_WORDS = 24
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"

_WORD = re.compile(r"[^\W_]+")
# Nasal assimilation: the prefix (me-/pe-) replaced the root's first consonant.
_NASAL = (
    (re.compile(r"^(?:me|pe)ny([aiueo].*)$"), "s"),
    (re.compile(r"^(?:me|pe)ng([aiueo].*)$"), "k"),
    (re.compile(r"^(?:me|pe)n([aiueo].*)$"), "t"),
    (re.compile(r"^(?:me|pe)m([aiueo].*)$"), "p"),
)


def fold(text: str) -> str:
    """Lower case without accents: `Café Ñusa` → `cafe nusa`."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The folded words of a text, in order."""
    return [word[:MAX_WORD] for word in _WORD.findall(fold(text))]


_STEMMERS = threading.local()


def _stemmer(language: str) -> Any:
    """Loaded at the first word, not at start-up: the stemmers' tables take memory that a
    worker which never indexes or searches does not need. One per thread: a stemmer keeps
    the word it works on in itself, and requests run in several threads."""
    import snowballstemmer  # type: ignore[import-untyped]

    own: dict[str, Any] = _STEMMERS.__dict__
    if language not in own:
        own[language] = snowballstemmer.stemmer(language)
    return own[language]


@lru_cache(maxsize=65_536)
def terms_of(word: str) -> frozenset[str]:
    """What a folded word stands for: itself, its stems, its root's stem (see above)."""
    indonesian, english = _stemmer("indonesian"), _stemmer("english")
    found = {word, indonesian.stemWord(word), english.stemWord(word)}
    for pattern, letter in _NASAL:
        matched = pattern.match(word)
        if matched:
            root = letter + matched.group(1)
            found.update((root, indonesian.stemWord(root)))
            break
    return frozenset(term for term in found if term)


def index_terms(text: str) -> str:
    """The terms of a text as one space-separated string, for FTS5 and `to_tsvector('simple')`."""
    seen: dict[str, None] = {}
    for word in words(text):
        for term in sorted(terms_of(word)):
            seen.setdefault(term, None)
    return " ".join(seen)


@dataclass(frozen=True)
class Query:
    """A parsed search: the terms of each word; the last word is also a prefix."""

    groups: tuple[frozenset[str], ...]
    prefix: str

    @property
    def empty(self) -> bool:
        return not self.groups

    def matches(self, word: str, *, terms: frozenset[str] | None = None) -> bool:
        """Whether a folded document word is one the query looks for (for snippets)."""
        own = terms if terms is not None else terms_of(word)
        return any(own & group for group in self.groups) or (
            bool(self.prefix) and word.startswith(self.prefix)
        )


def parse(q: str) -> Query:
    found = words(q)[:MAX_QUERY_WORDS]
    if not found:
        return Query(groups=(), prefix="")
    return Query(groups=tuple(terms_of(word) for word in found), prefix=found[-1])


def fts5_word(terms: Iterable[str], prefix: str = "") -> str:
    """One query word as an FTS5 MATCH expression: any of its terms, or a term its prefix
    begins. Terms are letters and digits only, quoted anyway: no user text reaches the
    syntax."""
    alternatives = [f'"{term}"' for term in sorted(terms)]
    if prefix:
        alternatives.append(f'"{prefix}" *')
    return "(" + " OR ".join(alternatives) + ")"


def tsquery_simple(query: Query, expanded: Sequence[str] | None = None) -> list[str]:
    """For PostgreSQL: one `to_tsquery('simple', …)` text per word (its terms OR'ed; the
    last also with the terms its prefix begins, `expanded`, or else its prefix `:*`)."""
    texts = []
    for position, group in enumerate(query.groups):
        last = position == len(query.groups) - 1
        terms = group | set(expanded) if last and expanded is not None else group
        alternatives = [f"'{term}'" for term in sorted(terms)]
        if last and expanded is None:
            alternatives.append(f"'{query.prefix}':*")
        texts.append(" | ".join(alternatives))
    return texts


def snippet(text: str, query: Query, *, size: int = SNIPPET_WORDS) -> tuple[str, bool]:
    """A window of the text around its first matched word, HTML-escaped, each matched word
    in `<mark>…</mark>`, runs of spaces and line breaks as one space; and whether anything
    matched. `…` marks a cut. Only the words up to the first match and the window's are
    looked at: a long text costs no more than a short one."""
    spans = list(_WORD.finditer(text))
    if not spans:
        return html.escape(text.strip()[:200]), False
    first = next((i for i, span in enumerate(spans) if _hit(span.group(), query)), None)
    start_word = max(0, (first or 0) - size // 4)
    end_word = min(len(spans), start_word + size)
    position = spans[start_word].start() if start_word > 0 else 0
    out = ["…"] if start_word > 0 else []
    for span in spans[start_word:end_word]:
        out.append(_between(text[position : span.start()]))
        word = span.group()  # letters and digits: nothing to escape
        out.append(f"{MARK_OPEN}{word}{MARK_CLOSE}" if _hit(word, query) else word)
        position = span.end()
    out.append(_between(text[position:]) if end_word == len(spans) else "…")
    return "".join(out).strip(), first is not None


_SPACES = re.compile(r"\s+")


def _between(text: str) -> str:
    return text if text == " " else html.escape(_SPACES.sub(" ", text))


@lru_cache(maxsize=65_536)
def _hit(word: str, query: Query) -> bool:
    return query.matches(_folded(word))


@lru_cache(maxsize=65_536)
def _folded(word: str) -> str:
    return fold(word)[:MAX_WORD]
