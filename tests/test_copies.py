"""Copies are one story whatever their outlets and dates; a bulk import still groups what is
one story and nothing else."""

from __future__ import annotations

import datetime as dt

import feedparser
import pytest

from conftest import article_fields, grouping, search, write_article
from indexer.build import reindex
from indexer.stories.placement import group_stories
from indexer.stories.vectors import StoryInput

PATCH_TITLE = "Diablo 4 open beta patch fixes Ashava world boss spawn timer"
PATCH_EXCERPT = ("A forthcoming Diablo 4 patch fixes a number of issues ahead of this weekend's open beta run, "
                 "including the world boss spawn timer that kept players waiting")


def write_fillers(seeds, count: int = 60) -> None:
    for n in range(count):
        write_article(seeds, f"filler{n}.md", **article_fields(
            f"Unrelated item number {n} about gardening", "Tomatoes and basil",
            publishedDateTime=f"2023-0{1 + n % 9}-10T10:00:00Z"))


def at(start: dt.datetime, hours: float) -> str:
    return (start + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_300_copies_from_300_outlets_over_three_days_are_one_story(seeds, index_dir, make_client):
    write_fillers(seeds)
    start = dt.datetime(2023, 3, 22, 8)
    for n in range(300):
        write_article(seeds, f"copy{n:03}.md", **article_fields(
            PATCH_TITLE, PATCH_EXCERPT, publishedDateTime=at(start, n * 72 / 300),
            webUrl=f"https://outlet{n}.example/patch", provider={"name": f"Outlet {n}", "domain": f"outlet{n}.example"}))
    reindex(seeds, index_dir)
    assert len({grouping(index_dir)[f"copy{n:03}"] for n in range(300)}) == 1
    answer = search(make_client(), q="ashava spawn timer")
    assert answer["total"] == 1 and answer["hits"][0]["story"]["more"] == 299


def test_the_same_piece_two_days_apart_under_other_outlet_names_is_one_story(seeds, index_dir):
    """The syndicated piece keeps its title and gets another excerpt; an outlet in between
    reports something else; the series' next piece (one word of the title changed) is not a copy."""
    write_fillers(seeds)
    write_article(seeds, "original.md", **article_fields(
        PATCH_TITLE, PATCH_EXCERPT, publishedDateTime="2023-03-22T16:05:00Z", provider={"name": "GamesRadar+"}))
    write_article(seeds, "syndicated.md", **article_fields(
        PATCH_TITLE, "Blizzard says the fix lands before the weekend; Ashava will appear on a steady schedule",
        publishedDateTime="2023-03-24T03:44:00Z", provider={"name": "Yahoo News Singapore"}))
    write_article(seeds, "update-march.md", **article_fields(
        "What's new: Power Apps March 2023 Feature Update", "Welcome to the monthly feature update blog post for "
        "Power Apps, with the latest features and improvements", publishedDateTime="2023-04-03T12:00:00Z",
        provider={"name": "Microsoft"}))
    write_article(seeds, "update-april.md", **article_fields(
        "What's new: Power Apps April 2023 Feature Update", "Welcome to the monthly feature update blog post for "
        "Power Apps, with the latest features and improvements", publishedDateTime="2023-05-02T12:00:00Z",
        provider={"name": "Microsoft"}))
    reindex(seeds, index_dir)
    story_of = grouping(index_dir)
    assert story_of["syndicated"] == story_of["original"]
    assert story_of["update-april"] != story_of["update-march"]


def test_a_copy_added_by_a_later_reindex_weeks_after_the_original_joins_its_story(seeds, index_dir):
    write_fillers(seeds, 200)
    write_article(seeds, "original.md", **article_fields(
        PATCH_TITLE, PATCH_EXCERPT, publishedDateTime="2023-03-22T16:05:00Z", provider={"name": "GamesRadar+"}))
    reindex(seeds, index_dir)
    write_article(seeds, "republished.md", **article_fields(
        PATCH_TITLE, PATCH_EXCERPT, publishedDateTime="2023-04-12T09:00:00Z", provider={"name": "MSN"}))
    assert reindex(seeds, index_dir).indexed == 1
    assert grouping(index_dir)["republished"] == grouping(index_dir)["original"]


def test_five_thousand_identical_articles_are_one_story():
    items = [StoryInput(f"same{n:04}", "Weekly patch notes for the season", "Identical text, word for word, "
                        "in every one of these articles", 19000.0, None, (), "one outlet") for n in range(5000)]
    assert set(group_stories(items).values()) == {"same0000"}


def test_in_a_bulk_import_reports_of_one_story_still_meet_among_thousands_sharing_their_date():
    """Every article has the same date and outlet, so every word's window holds them all, and
    an article is compared with a bounded number of them: those sharing its rarer words first.
    An outlet's update of its own piece still finds the piece across 1,500 articles sharing
    their other words (filed between the two by id), and nothing else joins them."""
    common = ["power", "apps", "million", "records", "data", "contact", "leaked", "misconfigured", "people",
              "researchers", "expose", "update"] + [f"topic{k}" for k in range(138)]
    fillers = []
    for n in range(3000):
        words = [common[(n * 7 + j * 31) % len(common)] for j in range(6)]
        fillers.append(StoryInput(f"{'b' if n < 1500 else 'm'}{n:04}", " ".join(words[:3]), " ".join(words),
                                  19000.0, None, (), "wire"))
    leak = StoryInput("leak", "Power Apps portals expose 38 million records",
                      "Misconfigured portals leaked contact tracing data of 38 million people", 19000.0, None, (), "wire")
    update = StoryInput("zz-update", "Update: Power Apps portals exposed 38 million records",
                        "Misconfigured portals leaked contact tracing data of 38 million people, researchers say",
                        19000.0, None, (), "wire")
    story_of = group_stories(fillers + [leak, update])
    assert story_of["zz-update"] == story_of["leak"] == "leak"
    assert sum(1 for key in story_of.values() if key == "leak") == 2


@pytest.fixture
def syndicated(seeds, index_dir):
    """One piece in four outlets over two days (one story), and another story on the subject."""
    write_fillers(seeds)
    start = dt.datetime(2023, 3, 22, 8)
    for n, outlet in enumerate(["GamesRadar+", "Yahoo", "Yahoo News Singapore", "MSN"]):
        write_article(seeds, f"copy{n}.md", **article_fields(
            PATCH_TITLE, PATCH_EXCERPT, publishedDateTime=at(start, 12 * n), webUrl=f"https://o{n}.example/patch",
            provider={"name": outlet, "domain": f"o{n}.example"}))
    write_article(seeds, "kills.md", **article_fields(
        "Ashava world boss killed ten million beta players", "Blizzard counted the deaths of the world boss weekend",
        publishedDateTime="2023-03-31T10:00:00Z", provider={"name": "PCGamesN"}))
    reindex(seeds, index_dir)


def test_the_feed_has_one_entry_per_story_naming_its_other_reports(syndicated, make_client):
    client = make_client(PUBLIC_URL="https://news.example")
    feed = feedparser.parse(client.get("/feed.atom?q=ashava").data)
    assert [e.id for e in feed.entries] == ["https://news.example/articles/kills", "https://news.example/articles/copy3"]
    story = feed.entries[1]
    assert story.summary.endswith("Also reported by Yahoo News Singapore, Yahoo, GamesRadar+.")
    related = [link.href for link in story.links if link.rel == "related"]
    assert related == [f"https://news.example/articles/copy{n}" for n in (3, 2, 1, 0)]
    assert len(feedparser.parse(client.get("/feed.atom?q=ashava&collapse=none").data).entries) == 5


def test_suggestions_and_more_like_this_show_a_story_once_with_its_count(syndicated, make_client):
    client = make_client()
    titles = client.get("/api/suggest?q=ashava").get_json()["titles"]
    assert sorted((t["title"], t["more"]) for t in titles) == [
        ("Ashava world boss killed ten million beta players", 0), (PATCH_TITLE, 3)]
    alike = client.get("/api/articles/kills").get_json()["more_like_this"]
    assert [(entry["title"], entry["more"]) for entry in alike] == [(PATCH_TITLE, 3)]
    assert "and 3 more reports" in client.get("/articles/kills").get_data(as_text=True)
