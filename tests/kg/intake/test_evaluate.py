"""The matching rule on hand-made cases, and the scores on ../shared/articles/ (skipped where it is absent)."""

import pytest

from kg.intake.evaluate import Scores, evaluate, invented, match, matches, more_precise, propose_with, table
from kg.intake.extract import Extractor
from kg.intake.gold import KINDS
from kg.intake.linking import Names

from .conftest import ARTICLES


def gold(**values) -> dict:
    fact = {"kind": "approval", "product": None, "inn": None, "sponsor": None, "authority": None,
            "jurisdiction": None, "date": None}
    fact.update(values)
    return fact


def test_names_match_ignoring_case_when_either_contains_the_other():
    g = gold(product="Zorvex", authority="National Regulatory Agency (NRA)")
    assert matches(g, gold(product="ZORVEX", authority="NRA"))
    assert matches(g, gold(product="Zorvex (zorvatabtagene autoleucel)", authority="National Regulatory Agency"))
    assert not matches(g, gold(product="Zorvex", authority="the National Regulatory Agency"))  # contains neither
    assert not matches(g, gold(product="Zorvex", authority="SMB"))


def test_names_linked_to_the_same_resource_match(names):
    g = gold(product="Zorvex", authority="National Regulatory Agency")
    assert not matches(g, gold(product="zorvatabtagene autoleucel", authority="NRA"))
    assert matches(g, gold(product="zorvatabtagene autoleucel", authority="NRA"), names)


def test_product_falls_back_to_inn_and_authority_to_jurisdiction():
    g = gold(inn="zorvatabtagene autoleucel", jurisdiction="Sylvania")
    assert matches(g, gold(product="Zorvex", inn="zorvatabtagene autoleucel", jurisdiction="Sylvania"))
    assert matches(g, gold(product="zorvatabtagene autoleucel", authority="Sylvania Medicines Board"))
    assert not matches(g, gold(product="Zorvex", jurisdiction="Sylvania"))


def test_null_gold_values_match_anything_and_the_kind_must_agree():
    g = gold(kind="person_role")
    assert matches(g, gold(kind="person_role", product="anything"))
    assert not matches(g, gold(kind="alias"))


def test_dates_match_as_equal_strings_only():
    g = gold(product="Zorvex", date="2023-06")
    assert matches(g, gold(product="Zorvex", date="2023-06"))
    assert not matches(g, gold(product="Zorvex", date="2023-06-30"))
    assert not matches(g, gold(product="Zorvex"))


def test_each_gold_fact_matches_at_most_one_proposal():
    g = [gold(product="Zorvex")]
    assert match(g, [gold(product="Zorvex"), gold(product="Zorvex")]) == [(0, 0)]


def test_the_matching_is_maximal_not_greedy():
    golds = [gold(product="Zorvex"), gold(product="Zorvex", date="2023")]
    proposals = [gold(product="Zorvex", date="2023"), gold(product="Zorvex")]
    assert len(match(golds, proposals)) == 2


def test_invented_values_and_dates_more_precise():
    g = gold(product="Zorvex", date="2023-06")
    p = gold(product="Zorvex", sponsor="Acme Bio", authority="NRA", date="2023-06")
    assert invented(g, p) == 2
    assert more_precise(gold(date="2023-06"), gold(date="2023-06-30"))
    assert more_precise(gold(date=None), gold(date="2023"))
    assert not more_precise(gold(date="2023-06-30"), gold(date="2023-06"))


def test_scores_count_per_kind_and_overall():
    scores = Scores()
    golds = [gold(product="Zorvex"), gold(kind="under_review", product="Zorvex")]
    proposals = [gold(product="Zorvex", sponsor="Acme"), gold(kind="rejection", product="Zorvex"),
                 gold(kind="claim", product="Zorvex")]
    scores.add("a.txt", golds, proposals, None)
    assert (scores.kinds["approval"].precision, scores.kinds["approval"].recall) == (1.0, 1.0)
    assert scores.kinds["under_review"].recall == 0.0
    assert scores.kinds["rejection"].precision == 0.0
    overall = scores.overall
    assert (overall.gold, overall.proposed, overall.matched) == (2, 2, 1)
    assert scores.invented == 1 and scores.unscored == 1
    assert "| **overall** | 2 | 2 | 1 | 0.50 | 0.50 | 0.50 |" in table(scores)


@pytest.fixture(scope="module")
def article_scores(built, store):
    if not ARTICLES.is_dir():
        pytest.skip(f"{ARTICLES} is absent: the development articles are not on this machine")
    names = Names.from_store(store)
    return evaluate(ARTICLES, propose_with(Extractor(names)), names)


def test_scores_on_the_development_articles_meet_the_targets(article_scores):
    scores = article_scores
    report = table(scores) + "\n" + "\n".join(scores.misses)
    assert scores.files == 11, report
    assert scores.overall.precision >= 0.9, report
    for kind in ("approval", "under_review", "gmp_inspection"):
        assert scores.kinds[kind].recall >= 0.75, report
    assert scores.invented == 0, report
    assert scores.more_precise == 0, report
    assert set(scores.kinds) == set(KINDS)
