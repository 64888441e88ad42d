"""The newsfinder command: reindex summaries and exit statuses, search output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import PROJECT_DIR, article_fields, free_port, lock_held_elsewhere, write_article
from webapp.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_reindex_prints_a_summary_and_lists_rejections(small_collection, index_dir):
    (small_collection / "bad.md").write_text("---\n- not a mapping\n---\n")
    result = run("reindex", "--seeds", small_collection, "--index", index_dir)
    assert result.exit_code == 0
    assert "indexed 4, updated 0, removed 0, unchanged 0, rejected 1 — 4 articles searchable" in result.output
    assert "rejected bad.md: has front matter that is a list, not a mapping" in result.output


def test_strict_reindex_fails_on_rejections(small_collection, index_dir):
    (small_collection / "bad.md").write_text("nothing")
    assert run("reindex", "--strict", "--seeds", small_collection, "--index", index_dir).exit_code == 1


def test_reindex_json_report(small_collection, index_dir):
    result = run("reindex", "--json", "--seeds", small_collection, "--index", index_dir)
    report = json.loads(result.output)
    assert (report["indexed"], report["docs"], report["rejected"]) == (4, 4, [])


def test_reindex_of_named_files(small_index, small_collection, monkeypatch):
    (small_collection / "cookies.md").unlink()
    result = run("reindex", "--json", "--seeds", small_collection, "--index", small_index, small_collection / "cookies.md")
    report = json.loads(result.output)
    assert (report["removed"], report["unchanged"], report["docs"]) == (1, 0, 3)
    # a path relative to the current folder, as the shell completes it
    monkeypatch.chdir(small_collection.parent)
    write_article(small_collection, "beta.md", **article_fields("Closed beta instead", "Changed."))
    result = run("reindex", "--json", "--seeds", "seeds", "--index", small_index, "seeds/beta.md")
    report = json.loads(result.output)
    assert (report["updated"], report["rejected"], report["docs"]) == (1, [], 3)


def test_missing_seeds_folder_exits_4_with_one_line(tmp_path):
    result = run("reindex", "--seeds", tmp_path / "missing", "--index", tmp_path / "index")
    assert result.exit_code == 4
    assert result.output.strip().startswith("error: seeds folder") and result.output.count("\n") == 1


def test_locked_index_exits_3(small_index, small_collection):
    with lock_held_elsewhere(small_index):
        result = run("reindex", "--seeds", small_collection, "--index", small_index)
    assert result.exit_code == 3 and "another reindex" in result.output


def test_help_documents_exit_statuses_and_examples():
    text = run("reindex", "--help").output
    assert "Exit statuses:" in text and "3  another reindex" in text and "Examples:" in text
    assert "Examples:" in run("serve", "--help").output and "Examples:" in run("search", "--help").output


def test_search_prints_a_plain_table_when_piped(small_index):
    result = run("search", "facial recognition", "--index", small_index)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith(f"1 stories for 'facial recognition' in {small_index} (")
    assert lines[1].startswith("  1  Parliament votes to ban facial recognition")
    assert "Example News" in lines[1] and "2024-01-15" in lines[1]
    assert lines[2].strip().startswith("https://example.org/") and lines[2].strip().endswith("[ban]")
    assert "\x1b[" not in result.output


def test_search_takes_words_unquoted_an_excluded_word_and_tells_its_version(small_index):
    result = run("search", "open", "beta", "-cookies", "--index", small_index, "--json")
    assert result.exit_code == 0 and json.loads(result.output)["query"] == "open beta -cookies"
    version = run("--version")
    assert version.exit_code == 0 and version.output.startswith("newsfinder, version ")


def test_search_is_coloured_on_a_terminal(small_index):
    result = CliRunner().invoke(main, ["search", "facial recognition", "--index", str(small_index)], color=True)
    assert "\x1b[" in result.output and "Parliament votes" in result.output


def test_search_offers_the_corrected_query(small_index):
    assert "did you mean: facial recognition" in run("search", "facial recognitoin", "--index", small_index).output


def test_search_json_is_the_api_response(small_index):
    body = json.loads(run("search", "cookies", "--json", "--index", small_index).output)
    assert body["total"] == 1 and body["hits"][0]["id"] == "cookies"


def test_search_without_index_is_one_clear_error(tmp_path):
    result = run("search", "x", "--index", tmp_path / "none")
    assert result.exit_code == 4 and "run `newsfinder reindex` first" in result.output


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "newsfinder"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, cwd=PROJECT_DIR)
    assert result.returncode == 0 and "reindex" in result.stdout and "serve" in result.stdout


def test_an_empty_seeds_folder_is_a_one_line_error_not_a_traceback(tmp_path):
    (tmp_path / "seeds").mkdir()
    for command in (["reindex"], ["serve", "--port", free_port()]):
        result = run(*command, "--seeds", tmp_path / "seeds", "--index", tmp_path / "index")
        assert result.exit_code == 4 and "no article files in" in result.output
        assert "Traceback" not in result.output and result.output.count("\n") <= 2


def test_serve_on_a_port_in_use_says_so_in_one_line(small_index, small_collection):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--seeds", small_collection, "--index", small_index, "--port", port)
    assert result.exit_code == 4 and f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "--port" in result.output and "Traceback" not in result.output


def test_another_seeds_folder_gets_an_index_of_its_own(tmp_path, monkeypatch):
    """`serve --seeds ~/news` served the bundled index without a word: the default index
    followed the checkout, not the folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("NEWSFINDER_INDEX", raising=False)
    news = tmp_path / "news"
    write_article(news, "own.md", **article_fields("My own zeppelin news"))
    assert run("reindex", "--seeds", news).exit_code == 0
    found = run("search", "zeppelin", "--seeds", news)
    assert found.exit_code == 0 and "1 stories for 'zeppelin' in " + str(tmp_path / "cache" / "newsfinder") in found.output
    assert "My own zeppelin news" in found.output


def test_a_folder_of_non_articles_says_why_nothing_was_indexed(tmp_path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "readme.md").write_text("just text\n")
    (tmp_path / "seeds" / "notes.md").write_text("---\ntitle: [unclosed\n---\n")
    result = run("reindex", "--seeds", tmp_path / "seeds", "--index", tmp_path / "index")
    assert result.exit_code == 5
    assert "none of its 2 article files could be read (notes.md: has invalid YAML front matter" in result.output
    assert "and 1 more" in result.output and "no index was made" in result.output


def test_search_takes_the_pages_filters_and_sort(small_index):
    """The CLI had no filters or sort: the page's, with the page's checks, named as options."""
    def found(*options):
        return [hit["id"] for hit in json.loads(run("search", "", "--index", small_index, "--json", *options).output)["hits"]]

    assert found("--topic", "Privacy", "--sort", "quality") == ["ban", "cookies"]
    assert found("--topic", "Privacy", "--min-quality", "100") == ["ban"]
    assert found("--type", "video") == ["beta"]
    assert found("--topic", "Games", "--topic", "AI", "--sort", "quality") == ["ban", "beta"]
    bad = run("search", "privacy", "--index", small_index, "--from", "2023-13-01")
    assert bad.exit_code == 2 and "--from: from must be a date" in bad.output
