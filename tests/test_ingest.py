from __future__ import annotations

import json
from pathlib import Path

import pytest

from consilience.errors import InputError
from consilience.ingest import read_file, read_inputs


def test_text_file_id_is_file_name_and_title_only_when_headline_like(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Quake hits Iran\n\nA 5.6 magnitude earthquake hit an island on Sunday.")
    (tmp_path / "b.txt").write_text("A full first sentence ends with a stop.\n\nSecond paragraph.")
    a, b = read_inputs([tmp_path]).articles
    assert (a.id, a.title) == ("a.txt", "Quake hits Iran")
    assert b.title is None and b.text.startswith("A full first sentence")


def test_jsonl_and_csv_in_dataset_format(tmp_path: Path) -> None:
    record = {
        "id": "x1",
        "title": "T",
        "text": "Body text here.",
        "outlet": "o",
        "published": "2023-02-22",
        "url": None,
        "lang": "en",
    }
    (tmp_path / "a.jsonl").write_text(json.dumps(record) + "\nnot json\n")
    (tmp_path / "b.csv").write_text("id,title,text,published\nc1,Head,Some text.,2023-02-21T10:00:00Z\n")
    result = read_inputs([tmp_path / "a.jsonl", tmp_path / "b.csv"])
    assert [a.id for a in result.articles] == ["x1", "c1"]
    assert result.articles[0].published is not None and result.articles[0].published.day == 22
    assert any("invalid JSON" in w for w in result.warnings)


def test_html_page_text_and_metadata(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Quake hits Iran</title><meta property='og:site_name' content='Example News'>"
        "<meta property='article:published_time' content='2023-02-22T10:00:00Z'></head><body><article>"
        "<h1>Quake hits Iran</h1><p>A 5.6 magnitude earthquake hit an island off Iran's southern coast on Sunday, "
        "injuring five people and damaging buildings, Iranian media said.</p><p>The tremor struck an area around the "
        "town of Dargahan on Qeshm island, at the entrance to the Gulf.</p></article></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(html)
    (article,) = read_file(path)
    assert article.title == "Quake hits Iran"
    assert article.outlet == "Example News"
    assert article.published is not None and article.published.year == 2023
    assert "Dargahan" in article.text and "Quake hits Iran" not in article.text


def test_non_utf8_file_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Le président a déclaré que la coopération était très importante pour la région.".encode("cp1252"))
    (article,) = read_file(path)
    assert "président" in article.text


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"", "empty"), (b"   \n", "empty"), (b"\x00\x01\x02binary\x00" * 20, "binary")],
)
def test_unreadable_files_name_the_input(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=problem) as error:
        read_file(path)
    assert str(path) in str(error.value)


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_inputs([tmp_path / "nope.txt"])
    (tmp_path / "empty").mkdir()
    result = read_inputs([tmp_path / "empty"])
    assert result.articles == [] and "no article files" in result.warnings[0]


def test_a_folder_s_readme_is_not_read_as_an_article_unless_named(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Articles\n\nOne file per report, fetched in May.")
    (tmp_path / "LICENSE").write_text("Permission is hereby granted, free of charge, to any person.")
    (tmp_path / "quake.txt").write_text("Quake hits island\n\nAn earthquake struck the island on Sunday.")
    result = read_inputs([tmp_path])
    assert [a.id for a in result.articles] == ["quake.txt"]
    assert any("skipped LICENSE, README.md" in w for w in result.warnings)
    assert [a.id for a in read_inputs([tmp_path / "README.md"]).articles] == ["README.md"]


def test_duplicate_ids_are_renamed_not_lost(tmp_path: Path) -> None:
    lines = [json.dumps({"id": "a", "text": "First text."}), json.dumps({"id": "a", "text": "Other text."})]
    (tmp_path / "d.jsonl").write_text("\n".join(lines))
    result = read_inputs([tmp_path / "d.jsonl"])
    assert [a.id for a in result.articles] == ["a", "a~2"]


FULL_TEXT_FEED = """<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Wire</title>
<item><title>Quake hits Qeshm island</title><link>https://wire.example/quake</link>
<pubDate>Sun, 10 Sep 2008 09:00:00 GMT</pubDate><content:encoded><![CDATA[<p>{body}</p><p>{body}</p>]]></content:encoded></item>
<item><title>Aftershocks on Qeshm</title><link>https://wire.example/aftershocks</link>
<pubDate>Mon, 11 Sep 2008 09:00:00 GMT</pubDate><content:encoded><![CDATA[<p>{body}</p><p>{body}</p>]]></content:encoded></item>
</channel></rss>"""
QUAKE_BODY = (
    "A magnitude 5.6 earthquake struck Qeshm island in southern Iran on Sunday, injuring five people and damaging "
    "houses in several villages, the state news agency said, quoting the provincial governor."
)


def test_compare_and_stories_read_feeds_and_archives_as_ingest_does(tmp_path: Path) -> None:
    """A local RSS file is its entries (not XML read as text), in a folder too; a WARC archive is its pages."""
    from .test_web_ingest import make_warc

    (tmp_path / "wire.xml").write_text(FULL_TEXT_FEED.format(body=QUAKE_BODY))
    (tmp_path / "notes.txt").write_text("Quake report\n\n" + QUAKE_BODY)
    make_warc(tmp_path / "crawl.warc.gz", "")
    result = read_inputs([tmp_path])
    by_id = {a.id: a for a in result.articles}
    assert set(by_id) == {
        "https://wire.example/quake",
        "https://wire.example/aftershocks",
        "notes.txt",
        "https://archive.example/a1",
        "https://archive.example/a2",
    }, result.warnings
    quake = by_id["https://wire.example/quake"]
    assert quake.title == "Quake hits Qeshm island" and quake.published and quake.published.day == 10
    assert "<" not in quake.text and quake.text.startswith("A magnitude 5.6 earthquake")
    (tmp_path / "other.xml").write_text("<?xml version='1.0'?><config><a>1</a></config>")
    with pytest.raises(InputError, match=r"other\.xml: XML file is neither an RSS/Atom feed nor an OPML list"):
        read_inputs([tmp_path / "other.xml"])
