"""What's new: /changes?since= (JSON, or a page) and the Atom feed /changes.atom, read by a feed library.
Decisions by decision date, kept as precise as the sources give it; sources by the date they were read, and
those with no such date counted apart, never dated."""


import feedparser
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api import timeline
from api.app import create_app
from api.lookups import boolean, sparql
from kg.sparql_text import bind_values
from kg.vocab import CTKG, ID, PREFIXES

CAP = 50
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def changes(client, **params) -> dict:
    response = client.get("/changes", params=params)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    return response.json()


@pytest.mark.parametrize("since", ["2020-01-01", "1900-01-01"])
def test_decisions_by_decision_date_with_their_precision(client, since):
    found = changes(client, since=since)
    assert [(c["kind"], c["iri"].rsplit("/", 1)[1], c["date"], c["precision"]) for c in found["data"]] == [
        ("decision", "equecabtagene-autoleucel-macao-nda", "2025-03", "month"),
        ("decision", "equecabtagene-autoleucel-mainland-china-bla", "2023-06", "month"),
    ]
    china = found["data"][1]
    assert china["date_label"] == "June 2023 (month)" and china["status"] == "approved"
    assert china["product"]["label"] == "equecabtagene autoleucel" and china["jurisdiction"]["id"] == "mainland-china"
    assert china["page"] == "http://127.0.0.1:8000/id/application/equecabtagene-autoleucel-mainland-china-bla"
    # The seed article carries no date of reading: it is counted, not dated.
    assert found["undated_sources"] == 1 and found["count"] == 2 and found["built_at"]


@pytest.mark.parametrize(("since", "kept"), [
    ("2023-06-30", ["equecabtagene-autoleucel-macao-nda", "equecabtagene-autoleucel-mainland-china-bla"]),
    ("2023-07-01", ["equecabtagene-autoleucel-macao-nda"]),
    ("2025-03-31", ["equecabtagene-autoleucel-macao-nda"]),  # March 2025 reaches its last day
    ("2025-04-01", []),
])
def test_a_month_counts_until_its_last_day(client, since, kept):
    assert [c["iri"].rsplit("/", 1)[1] for c in changes(client, since=since)["data"]] == kept


@pytest.mark.parametrize("since", ["2023-06", "yesterday", "2023-6-1", "<b>"])
def test_since_must_be_a_day(client, since):
    assert client.get("/changes", params={"since": since}).status_code == 422
    assert client.get("/changes.atom", params={"since": since}).status_code == 422


def test_limit_keeps_the_newest(client):
    found = changes(client, since="2020-01-01", limit=1)
    assert [c["date"] for c in found["data"]] == ["2025-03"] and found["count"] == 2


def test_the_feed_is_valid_atom_and_lists_the_decisions(client):
    response = client.get("/changes.atom", params={"since": "2020-01-01"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "CTKG: what's new"
    assert feed.feed.link == "http://127.0.0.1:8000/changes"
    titles = [entry.title for entry in feed.entries]
    assert titles == ["Approved: equecabtagene autoleucel in Macao SAR (March 2025 (month))",
                      "Approved: equecabtagene autoleucel in Mainland China (June 2023 (month))"]
    china = feed.entries[1]
    assert china.link == "http://127.0.0.1:8000/id/application/equecabtagene-autoleucel-mainland-china-bla"
    assert "Decision date: June 2023 (month)." in china.content[0].value
    assert china.id and china.updated_parsed
    assert len({entry.id for entry in feed.entries}) == len(feed.entries)


def test_a_page_for_a_browser(client):
    response = client.get("/changes", params={"since": "2020-01-01"}, headers={"Accept": BROWSER})
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "Approved: equecabtagene autoleucel in Mainland China (June 2023 (month))" in page
    assert 'href="http://127.0.0.1:8000/changes.atom"' in page
    assert "1 source(s) carry no date of reading" in page



def test_sources_by_the_date_they_were_read(pages_client):
    found = changes(pages_client, since="2026-01-01")
    (source,) = [c for c in found["data"] if c["kind"] == "source"]
    assert (source["iri"].rsplit("/", 1)[1], source["date"], source["precision"]) == (
        "markup-pages-source", "2026-11", "month")
    assert source["facts"] == 6  # the land, authority, company, antigen, product and application
    assert found["undated_sources"] == 1  # the seed article


def test_names_in_the_feed_are_text(pages_client):
    response = pages_client.get("/changes.atom", params={"since": "2020-01-01"})
    feed = feedparser.parse(response.content)
    assert not feed.bozo
    titles = [entry.title for entry in feed.entries]
    assert any('<script>alert("ctkg")</script> "onmouseover=alert(7)' in t for t in titles)
    assert b"<script>" not in response.content


@pytest.fixture(scope="module")
def capped_client(real_settings):
    """All of data/, served with an answer cap of 50 rows: fewer than its decisions, more than its graphs (a remote
    server's build record has a row per graph)."""
    settings = real_settings.model_copy(update={"query_workers": 1, "max_rows": CAP})
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_a_day_far_back_answers_its_newest_entries(real_client, capped_client):
    everything = changes(real_client, since="1900-01-01", limit=1000, unverified="true")
    assert everything["count"] == len(everything["data"]) > CAP  # more than the capped server may give at once
    newest = changes(capped_client, since="1900-01-01", limit=3, unverified="true")
    assert newest["data"] == everything["data"][:3] and newest["count"] == everything["count"]
    assert changes(capped_client, limit=3)["data"] == changes(real_client, limit=3)["data"]  # the default, a year


def test_the_queries_order_as_the_periods_do():
    """Newest first by the last day a date stands for (a month's last day, 31 December for a year, the 29th of
    February in a leap year), then the more precise first: the order the route merges the two queries in."""
    dates = ["2023", "2023-12", "2023-12-31", "2023-12-30", "2023-11-30", "2023-06", "2023-06-30", "2023-06-15",
             "2023-07-01", "2024-02", "2024-02-29", "2024-02-28", "2023-02", "2023-03-01", "1900-02", "1900-02-28",
             "2000-02", "2000-02-29"]
    store = ox.Store()
    for number, date in enumerate(dates):
        application = ox.NamedNode(f"{ID}application/a{number:02d}")
        for predicate, value in ((CTKG.decisionDate, ox.Literal(date)), (CTKG.product, ox.NamedNode(f"{ID}product/p")),
                                 (CTKG.regulator, ox.NamedNode(f"{ID}authority/r")),
                                 (CTKG.status, ox.NamedNode(f"{ID}status/approved"))):
            store.add(ox.Quad(application, ox.NamedNode(str(predicate)), value))
    text = bind_values(sparql("changes-decisions"), {"since": ox.Literal("1000-01-01"),
                                                    "includeUnverified": boolean(False)})
    answered = [row["decisionDate"].value for row in store.query(text, prefixes=PREFIXES)]
    periods = sorted((timeline.period(d) for d in dates), key=lambda p: (p.end, p.start), reverse=True)
    assert answered == [p.text for p in periods]


@pytest.fixture(scope="module")
def real_client(real_settings):
    with TestClient(create_app(real_settings.model_copy(update={"query_workers": 1}))) as test_client:
        yield test_client


def test_unverified_decisions_only_when_asked_for(real_client):
    def listed(**params) -> set[str]:
        return {c["iri"] for c in changes(real_client, since="1990-01-01", limit=1000, **params)["data"]
                if c["kind"] == "decision"}

    marked = {c["iri"] for c in changes(real_client, since="1990-01-01", limit=1000, unverified="true")["data"]
              if c["unverified"]}
    assert marked  # the reference data has dated unverified approvals
    assert not listed() & marked and marked <= listed(unverified="true")
