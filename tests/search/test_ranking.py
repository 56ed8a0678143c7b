"""The BM25 score over stored terms: what counts, what weighs more, and that it is a pure
function of the candidates (the same block scores the same on every page)."""

from __future__ import annotations

from app.search import text
from app.search.ranking import SAMPLE, Ranking


def ranking(q: str, sampled: list[int], newest: int = 100_000) -> Ranking:
    return Ranking.of(text.parse(q), newest, sampled)


def test_a_title_weighs_more_than_a_body() -> None:
    in_title, in_body = ranking("ondel", [5]).scores([("ondel", "arak"), ("arak", "ondel")])
    assert in_title > in_body > 0


def test_a_shorter_text_weighs_more() -> None:
    short, long = ranking("ondel", [5]).scores([("", "ondel a b"), ("", "ondel a b c d e f g")])
    assert short > long


def test_the_last_word_counts_every_term_its_prefix_begins() -> None:
    scores = ranking("luk", [5]).scores([("", "lukis lukisan"), ("", "lukis x"), ("", "x y")])
    assert scores[0] > scores[1] > scores[2] == 0


def test_a_rare_word_weighs_more_than_a_common_one() -> None:
    # "kecak" in 1 of the sampled rows, "tari" in every one of them.
    rare_in_title, common_in_title = ranking("kecak tari", [1, SAMPLE]).scores(
        [("kecak", "tari"), ("tari", "kecak")]
    )
    assert rare_in_title > common_in_title


def test_scores_depend_only_on_the_candidates() -> None:
    columns = [("ondel", "arak ondel"), ("", "ondel betawi"), ("x", "ondel")]
    first = ranking("ondel", [5]).scores(columns)
    assert ranking("ondel", [5]).scores(columns) == first
    assert all(score == round(score, 6) for score in first)
