"""The relevance score: BM25 computed in Python over the candidates' stored terms, the same
on both databases.

Why not the databases' own: FTS5's `bm25()` counts, once per query, every row each phrase
matches (a pass over most of the index for a common word), and PostgreSQL's `ts_rank_cd`
costs tens of microseconds a row, most of a search's time once the candidates are bounded.
A page ranks at most a few hundred candidates, whose `title_terms` and `body_terms` (the
space-separated distinct terms of each column, app/search/text.py) are read with them.

The score: for each query word, the number of a column's terms it matches (any of the
word's terms; the last word also every term its prefix begins), titles weighing
`TITLE_WEIGHT` and bodies `BODY_WEIGHT`, saturated by `K1` and normalised by the row's number
of terms against the candidates' average (`B`), times the word's inverse document
frequency. That frequency is estimated from the newest `SAMPLE` rows of the index (how many
of them the word matches), not counted over every match. A block of candidates gives the
same scores on every page, so cursors stay exact while the index does not change.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from app.search import text

TITLE_WEIGHT, BODY_WEIGHT = 4.0, 1.0
K1, B = 1.2, 0.75
# How many of the newest rows tell how common a word is.
SAMPLE = 2000


@dataclass(frozen=True)
class Ranking:
    # Per word: its terms as " term " (found in " title terms " as whole terms) ...
    needles: tuple[tuple[str, ...], ...]
    prefix: str  # ... and for the last word " prefix": every term it begins
    weights: tuple[float, ...]  # per word, its inverse document frequency

    @classmethod
    def of(cls, query: text.Query, newest: int, sampled: Sequence[int]) -> Ranking:
        """`sampled`: per word, its matches among the rows with ids above `newest - SAMPLE`."""
        rows = min(SAMPLE, newest)
        weights = []
        for count in sampled:
            share = count * newest / rows if rows else 0.0
            weights.append(math.log(1 + (newest - share + 0.5) / (share + 0.5)))
        last = len(query.groups) - 1
        # The last word's own terms that its prefix begins are counted with the prefix.
        own = [
            *query.groups[:last],
            {term for term in query.groups[last] if not term.startswith(query.prefix)},
        ]
        return cls(
            needles=tuple(tuple(f" {term} " for term in sorted(group)) for group in own),
            prefix=f" {query.prefix}",
            weights=tuple(weights),
        )

    def scores(self, columns: Sequence[tuple[str, str]]) -> list[float]:
        """The score of each (title terms, body terms), rounded to six decimals."""
        # A column's number of terms: its spaces, plus one unless it is empty.
        lengths = [t.count(" ") + b.count(" ") + bool(t) + bool(b) for t, b in columns]
        average = max(1.0, sum(lengths) / max(1, len(lengths)))
        scores = []
        last = len(self.needles) - 1
        words = list(enumerate(zip(self.needles, self.weights, strict=True)))
        for (title_terms, body_terms), length in zip(columns, lengths, strict=True):
            title, body = f" {title_terms} ", f" {body_terms} "
            norm = K1 * (1 - B + B * length / average)
            score = 0.0
            # Plain loops: this runs for every word of every candidate of every search.
            for index, (needles, weight) in words:
                in_title = in_body = 0
                for needle in needles:
                    in_title += needle in title
                    in_body += needle in body
                if index == last:
                    in_title += title.count(self.prefix)
                    in_body += body.count(self.prefix)
                tf = TITLE_WEIGHT * in_title + BODY_WEIGHT * in_body
                if tf:  # a word not in the row adds nothing
                    score += weight * tf * (K1 + 1) / (tf + norm)
            scores.append(round(score, 6))
        return scores
