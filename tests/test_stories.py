"""A reindex that changes a few articles places only those in stories; the rest keep theirs."""

from __future__ import annotations

import json
import shutil

from conftest import article_fields, grouping, write_article
from bench.relevance import STORY_PAIRS, story_pair_scores
from indexer.build import reindex
from indexer.layout import open_build
from indexer.stories.updating import REGROUP_SHARE


def test_a_new_report_joins_the_story_it_reports(seeds, index_dir):
    for n in range(150):
        write_article(seeds, f"other{n}.md", **article_fields(f"Unrelated item number {n} about gardening",
                                                              "Tomatoes and basil", publishedDateTime="2023-03-01T10:00:00Z"))
    write_article(seeds, "leak1.md", **article_fields(
        "Power Apps portals expose 38 million records", "Misconfigured portals leaked contact tracing data",
        publishedDateTime="2021-08-23T10:00:00Z", provider={"name": "Wired"}))
    reindex(seeds, index_dir)
    before = grouping(index_dir)
    write_article(seeds, "leak2.md", **article_fields(
        "38 million records exposed by Power Apps portals", "Contact tracing data leaked by misconfigured portals",
        publishedDateTime="2021-08-24T09:00:00Z", provider={"name": "The Register"}))
    write_article(seeds, "garden.md", **article_fields("Planting tulips in autumn", "Bulbs need cold",
                                                       publishedDateTime="2021-08-24T09:00:00Z"))
    report = reindex(seeds, index_dir)
    assert report.indexed == 2 and 2 <= REGROUP_SHARE * report.docs
    after = grouping(index_dir)
    assert after["leak2"] == after["leak1"] == before["leak1"]
    assert after["garden"] == "garden"
    assert {k: v for k, v in after.items() if k in before} == before


def test_an_edit_that_keeps_the_grouping_shares_the_last_grouping_file(seeds, index_dir):
    """An article edited without leaving its story leaves the grouping as it was: the new
    generation's file is the last one (linked, not encoded again); an edit that moves the
    article out of its story writes a new grouping."""
    from indexer.stories.files import read_stories, stories_path

    for n in range(60):
        write_article(seeds, f"other{n}.md", **article_fields(f"Unrelated item number {n} about gardening", "Tomatoes"))
    leak = dict(publishedDateTime="2021-08-23T10:00:00Z")
    write_article(seeds, "leak1.md", **article_fields("Power Apps portals expose 38 million records",
                                                      "Misconfigured portals leaked contact tracing data", **leak))
    write_article(seeds, "leak2.md", **article_fields("38 million records exposed by Power Apps portals",
                                                      "Contact tracing data leaked by misconfigured portals", **leak))
    reindex(seeds, index_dir)
    before = grouping(index_dir)
    assert before["leak2"] == before["leak1"]
    write_article(seeds, "leak2.md", **article_fields("38 million records exposed by Power Apps portals",
                                                      "Contact tracing data leaked by misconfigured portals", quality=99, **leak))
    assert reindex(seeds, index_dir).updated == 1
    build, ix = open_build(index_dir)
    generation = ix.latest_generation()
    assert grouping(index_dir) == before
    assert read_stories(build, generation) == {"leak1": "leak1", "leak2": "leak1"}  # stories of one report are not listed
    assert stories_path(build, generation).stat().st_ino == stories_path(build, generation - 1).stat().st_ino
    write_article(seeds, "leak2.md", **article_fields("Planting tulips in autumn", "Bulbs need cold", **leak))
    reindex(seeds, index_dir)
    after = grouping(index_dir)
    assert after["leak2"] == "leak2" and after["leak1"] == before["leak1"]
    build, _ = open_build(index_dir)
    assert read_stories(build, generation + 1) == {}
    assert stories_path(build, generation + 1).stat().st_ino != stories_path(build, generation).stat().st_ino


def test_adding_articles_back_one_reindex_later_groups_them_as_well_as_a_full_pass(corpus_dir, tmp_path):
    pairs = json.loads(STORY_PAIRS.read_text(encoding="utf-8"))
    held_back = sorted({p["b"] for p in pairs if p["same_story"]})[:40]
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    shutil.copytree(corpus_dir, seeds)
    parked = tmp_path / "parked"
    parked.mkdir()
    for doc_id in held_back:
        for path in seeds.glob(f"{doc_id}.*"):
            shutil.move(path, parked / path.name)
    reindex(seeds, index)
    before = grouping(index)
    for path in parked.iterdir():
        shutil.move(path, seeds / path.name)
    report = reindex(seeds, index)
    assert report.indexed == len(held_back) <= REGROUP_SHARE * report.docs
    after = grouping(index)
    assert {k: v for k, v in after.items() if k in before} == before  # nobody else moved
    precision, recall = story_pair_scores(after)
    assert precision >= 0.90 and recall >= 0.60  # a little below what the full pass reaches


def test_a_parallel_build_groups_ahead_as_the_committed_index_would_be_grouped(corpus_dir, tmp_path, monkeypatch):
    """A large build groups the stories from what it parsed while its writer processes
    finish; the grouping must be the one made from the committed index's stored articles."""
    import indexer.build
    from indexer.stories.placement import group_stories
    from indexer.stories.vectors import story_input

    monkeypatch.setattr(indexer.build, "PARALLEL_FROM", 100)
    monkeypatch.setattr(indexer.build, "WORKERS", 2)
    grouped_ahead = []
    real = indexer.build.GroupingAhead
    monkeypatch.setattr(indexer.build, "GroupingAhead", lambda items: grouped_ahead.append(len(items)) or real(items))
    reindex(corpus_dir, tmp_path)
    build, ix = open_build(tmp_path)
    assert len(list(ix.reader().leaf_readers())) == 2 and grouped_ahead == [ix.doc_count()]
    with ix.reader() as reader:
        from_index = group_stories([story_input(json.loads(f["payload"])) for f in reader.all_stored_fields()])
    assert grouping(tmp_path) == from_index
    assert len(set(from_index.values())) < 0.9 * len(from_index)  # many stories of several reports


LEAK = "Power Apps portals expose 38 million records"
LEAK_EXCERPT = "Misconfigured Microsoft portals leaked contact tracing data, vaccination records and employee details"
REWRITE = "Power Apps portals exposed 38 million records, UpGuard says"
REWRITE_EXCERPT = ("Misconfigured Microsoft portals leaked contact tracing data and vaccination records; "
                   "Microsoft now changes the default permissions")
REGISTER = "38 million records open to anyone in Microsoft portals"
REGISTER_EXCERPT = "Researchers found government and company portals listing personal data publicly"
OTHER_PIECE = "How to check your own Power Apps portal permissions"
OTHER_EXCERPT = "A step by step guide to the table permissions settings in Microsoft portals"


def write_leak_coverage(seeds) -> None:
    for n in range(150):
        write_article(seeds, f"other{n}.md", **article_fields(f"Unrelated item number {n} about gardening",
                                                              "Tomatoes and basil", publishedDateTime="2023-03-01T10:00:00Z"))
    wired, register = {"name": "Wired"}, {"name": "The Register"}
    write_article(seeds, "first.md", **article_fields(LEAK, LEAK_EXCERPT, publishedDateTime="2021-08-23T10:00:00Z",
                                                      provider=wired))
    write_article(seeds, "register.md", **article_fields(
        REGISTER, REGISTER_EXCERPT, publishedDateTime="2021-08-23T15:00:00Z", provider=register))
    write_article(seeds, "guide.md", **article_fields(OTHER_PIECE, OTHER_EXCERPT, publishedDateTime="2021-08-24T12:00:00Z",
                                                      provider=wired))
    write_article(seeds, "rewrite.md", **article_fields(REWRITE, REWRITE_EXCERPT, publishedDateTime="2021-08-24T09:00:00Z",
                                                        provider=wired))


def test_an_outlets_rewrite_of_its_own_piece_joins_that_story(seeds, index_dir, tmp_path):
    """An outlet reports a story once, so its second piece that week starts another story
    (its guide here), unless the piece rewrites its first one: then it joins the first's story,
    in a full grouping and when it arrives in a later reindex."""
    from indexer.stories.vectors import StoryInput, cosine, tfidf_vectors

    texts = [(LEAK, LEAK_EXCERPT), (REWRITE, REWRITE_EXCERPT), (OTHER_PIECE, OTHER_EXCERPT), (REGISTER, REGISTER_EXCERPT)]
    texts += [(f"Unrelated item number {n} about gardening", "Tomatoes and basil") for n in range(150)]
    vectors, _ = tfidf_vectors([StoryInput(str(n), t, e, 0.0, None, ()) for n, (t, e) in enumerate(texts)])
    # a rewrite, not a near-copy of any report that any outlet's piece would join
    assert 0.6 <= cosine(vectors[0], vectors[1]) < 0.8 and cosine(vectors[1], vectors[3]) < 0.8
    assert cosine(vectors[0], vectors[2]) < 0.6
    write_leak_coverage(seeds)
    reindex(seeds, index_dir)
    full = grouping(index_dir)
    assert full["rewrite"] == full["first"] == full["register"]
    assert full["guide"] == "guide"
    (seeds / "rewrite.md").unlink()
    later = tmp_path / "later"
    reindex(seeds, later)
    write_leak_coverage(seeds)
    report = reindex(seeds, later)
    assert report.indexed == 1
    placed = grouping(later)
    assert placed["rewrite"] == placed["first"] == placed["register"] and placed["guide"] == "guide"


DELAY = ("Blizzard delays Overwatch 2 and Diablo 4",
         "Activision Blizzard told investors on its earnings call that both games slip out of 2022")
DELAY_NEWS = ("Diablo 4 will not arrive next year",
              "The publisher pushed the role-playing game back, Overwatch 2 too, saying the teams need more time")
DELAY_EXPLAINER = ("Diablo 4 release date: everything we know", DELAY_NEWS[1])


def grouped_with_the_first(second: tuple[str, str], days_later: float) -> bool:
    from indexer.stories.placement import group_stories
    from indexer.stories.vectors import StoryInput

    fillers = [StoryInput(f"other{n}", f"Unrelated item number {n} about gardening", "Tomatoes and basil", 100.0, None, ())
               for n in range(150)]
    first = StoryInput("first", *DELAY, 1000.0, None, (), "Eurogamer")
    later = StoryInput("second", *second, 1000.0 + days_later, None, (), "Kotaku")
    story_of = group_stories(fillers + [first, later])
    return story_of["second"] == story_of["first"]


def test_news_reports_a_day_apart_join_at_a_lower_similarity_than_service_pieces():
    """Two reports of one event, worded differently (a cosine under SIMILARITY), are one story when a day
    apart at most; not three days apart, and not when the second is a service piece (an
    explainer), however close in time."""
    from indexer.stories.rules import CLOSE_NEWS_SIMILARITY, SIMILARITY
    from indexer.stories.vectors import StoryInput, cosine, tfidf_vectors

    fillers = [(f"Unrelated item number {n} about gardening", "Tomatoes and basil") for n in range(150)]
    vectors, _ = tfidf_vectors([StoryInput(str(n), t, e, 0.0, None, ())
                                for n, (t, e) in enumerate([DELAY, DELAY_NEWS, DELAY_EXPLAINER] + fillers)])
    for other in (1, 2):
        assert CLOSE_NEWS_SIMILARITY <= cosine(vectors[0], vectors[other]) < SIMILARITY
    assert grouped_with_the_first(DELAY_NEWS, days_later=0.5)
    assert not grouped_with_the_first(DELAY_NEWS, days_later=2.5)
    assert not grouped_with_the_first(DELAY_EXPLAINER, days_later=0.5)


def test_a_news_report_placed_by_a_later_reindex_joins_at_the_lower_similarity(seeds, index_dir):
    for n in range(150):
        write_article(seeds, f"other{n}.md", **article_fields(f"Unrelated item number {n} about gardening",
                                                              "Tomatoes and basil", publishedDateTime="2023-03-01T10:00:00Z"))
    write_article(seeds, "first.md", **article_fields(*DELAY, publishedDateTime="2021-11-02T20:00:00Z",
                                                      provider={"name": "Eurogamer"}))
    reindex(seeds, index_dir)
    write_article(seeds, "second.md", **article_fields(*DELAY_NEWS, publishedDateTime="2021-11-03T08:00:00Z",
                                                       provider={"name": "Kotaku"}))
    assert reindex(seeds, index_dir).indexed == 1
    assert grouping(index_dir)["second"] == grouping(index_dir)["first"]


def test_an_article_placed_by_a_later_reindex_lands_where_the_full_grouping_puts_it():
    """Placing one new article among the stories already made is the full grouping's routine:
    a news report of a story joins it either way, an unrelated piece starts its own either way."""
    from indexer.stories.placement import group_stories, place_changed
    from indexer.stories.vectors import StoryInput, tfidf_vectors

    fillers = [StoryInput(f"other{n}", f"Unrelated item number {n} about gardening", "Tomatoes and basil", 100.0, None, ())
               for n in range(150)]
    first = StoryInput("first", *DELAY, 1000.0, None, (), "Eurogamer")
    earlier = group_stories(fillers + [first])
    for text, story in ((DELAY_NEWS, "first"), (("Planting tulips in autumn", "Bulbs need cold"), "second")):
        newest = StoryInput("second", *text, 1000.5, None, (), "Kotaku")
        everyone = fillers + [first, newest]
        _, df = tfidf_vectors(everyone)
        placed = place_changed(earlier, [newest], [first], df, len(everyone))
        assert placed["second"] == group_stories(everyone)["second"] == story
        assert {k: v for k, v in placed.items() if k != "second"} == earlier
