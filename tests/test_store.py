"""The store, run against both backends (SQLite always; PostgreSQL when the test server is configured)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from consilience.incremental import Ingestor, IngestReport, compare_stored_story, stored_memberships
from consilience.ingest import SourceReader
from consilience.model import Article, to_plain
from consilience.settings import DEFAULT_SETTINGS, Settings
from consilience.store import SCHEMA_VERSION, StoreError, StoryFilter, open_store

from .conftest import EXAMPLES

EXAMPLE_FILES = [str(EXAMPLES / "ecbplus-paris-jewel-heist.jsonl"), str(EXAMPLES / "ecbplus-qeshm-earthquake.jsonl")]


def ingest(location: str, sources: list[str], embedder: object, settings: Settings = DEFAULT_SETTINGS) -> IngestReport:
    with open_store(location) as store, store.writer():
        report = IngestReport()
        Ingestor(store, settings, embedder=embedder).ingest_sources(sources, SourceReader(), report)  # type: ignore[arg-type]
        return report


# the one-sentence "$160 million" heist report stays a story of its own, a look-alike of the other 14 reports' story,
# when consolidation weighs it against the whole story rather than the members nearest to it
APART = replace(DEFAULT_SETTINGS, cluster_lone_core=0)


def partition(location: str) -> set[frozenset[str]]:
    with open_store(location, create=False) as store:
        return {frozenset(r.articles) for r in store.stories()}


def test_new_store_has_the_current_schema(store_location: str) -> None:
    with open_store(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.count_articles() == 0
        assert store.stories() == []


def test_an_older_store_is_migrated_and_keeps_its_data(store_location: str, hashing_embedder: object) -> None:
    from consilience.store.base import Store

    # make a version-1 store by hand (what consilience 0.1 before migration 2 wrote), with an article in it
    from consilience.store.postgres import PostgresStore
    from consilience.store.sqlite import SQLiteStore

    old: Store = (
        PostgresStore(store_location) if store_location.startswith("postgresql") else SQLiteStore(store_location)
    )
    old.prepare(target_version=1)
    with old.transaction():
        old.execute(
            "INSERT INTO articles (id, content_hash, text, ingested_at) VALUES (?, ?, ?, ?)",
            ("old-1", "h1", "An article stored by an older version.", "2024-01-01T00:00:00+00:00"),
        )
    assert old.schema_version == 1
    assert "comparisons" not in old._tables()
    old.close()
    with open_store(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert [a.text for a in store.articles(["old-1"])] == ["An article stored by an older version."]
        assert "comparisons" in store._tables()


def test_ingest_files_stories_and_reingest_changes_nothing(store_location: str, hashing_embedder: object) -> None:
    report = ingest(store_location, EXAMPLE_FILES, hashing_embedder)
    assert report.added == 20 and not report.failed
    first = partition(store_location)
    assert sum(len(s) for s in first) == 20
    assert report.new_stories == len(first)  # stories started and then merged into another are not new ones
    assert all(len({a[:6] for a in story}) == 1 for story in first)  # no story mixes the quake and the heist
    assert frozenset(f"ecb-20_{n}ecb" for n in range(1, 6)) in first  # the five quake reports are one story
    again = ingest(store_location, EXAMPLE_FILES, hashing_embedder)
    assert again.added == 0 and sum(again.duplicates.values()) == 20
    assert partition(store_location) == first


def test_a_story_of_untitled_articles_is_named_by_its_opening_words(
    store_location: str, tmp_path: Path, hashing_embedder: object
) -> None:
    opening = (
        "Russian President Vladimir Putin stressed the importance of China-Russia relations in stabilizing the world."
    )
    first_line = f"{opening} He met Wang Yi in Moscow on Wednesday, and more was said."
    (tmp_path / "putin.txt").write_text(f"{first_line}\n\nMore.")
    (tmp_path / "short.txt").write_text("Two ferries collided off Hong Kong on Monday evening, the police said.")
    ingest(store_location, [str(tmp_path / "putin.txt"), str(tmp_path / "short.txt")], hashing_embedder)
    with open_store(store_location, create=False) as store:
        labels = {r.articles[0]: (r.titles, r.label, r.to_dict()["label"]) for r in store.stories()}
    titles, label, in_json = labels["putin.txt"]
    assert titles == [] and label == in_json and label.endswith("…") and len(label) <= 121
    assert first_line.startswith(label[:-1] + " ")  # cut at a word
    assert labels["short.txt"][1] == "Two ferries collided off Hong Kong on Monday evening, the police said."


def test_ingesting_in_two_runs_gives_the_stories_of_one(
    store_location: str, tmp_path: Path, hashing_embedder: object
) -> None:
    one = str(tmp_path / "one.db")
    ingest(one, EXAMPLE_FILES, hashing_embedder)
    ingest(store_location, EXAMPLE_FILES[:1], hashing_embedder)  # the clusterer is rebuilt from the store between runs
    ingest(store_location, EXAMPLE_FILES[1:], hashing_embedder)
    assert partition(store_location) == partition(one)


def test_duplicates_by_url_and_by_text_are_not_stored_twice(
    store_location: str, tmp_path: Path, hashing_embedder: object
) -> None:
    text = "The central bank raised its main interest rate by half a point on Thursday, the third rise this year."
    rows = [
        {"id": "a", "text": text, "url": "https://news.example/rates?utm_source=x#top"},
        {"id": "b", "text": text.upper(), "url": "https://news.example/other"},  # same text, different case
        {"id": "c", "text": "Another story entirely, about a football final.", "url": "https://news.example/rates/"},
    ]
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join(json.dumps(r) for r in rows))
    report = ingest(store_location, [str(dump)], hashing_embedder)
    assert report.added == 1 and sum(report.duplicates.values()) == 2
    with open_store(store_location) as store:
        assert store.count_articles() == 1


def test_one_id_for_two_texts_rejects_the_input_and_writes_nothing(
    store_location: str, tmp_path: Path, hashing_embedder: object
) -> None:
    dump = tmp_path / "clash.jsonl"
    dump.write_text(json.dumps({"id": "x", "text": "First text about a storm."}) + "\n"
                    + json.dumps({"id": "x", "text": "Second, different text about an election."}) + "\n")  # fmt: skip
    report = ingest(store_location, [str(dump)], hashing_embedder)
    assert report.added == 0
    assert len(report.failed) == 1 and "clash.jsonl" in report.failed[0] and "'x'" in report.failed[0]
    with open_store(store_location) as store:
        assert store.count_articles() == 0
    ingest(store_location, EXAMPLE_FILES[:1], hashing_embedder)
    clash = tmp_path / "clash2.jsonl"
    clash.write_text(json.dumps({"id": "ecb-24_1ecb", "text": "A different text under a stored id."}))
    report = ingest(store_location, [str(clash)], hashing_embedder)
    assert report.added == 0 and "already stored with a different text" in report.failed[0]


def test_republished_copy_is_linked_to_its_original(
    store_location: str, tmp_path: Path, hashing_embedder: object
) -> None:
    original = json.loads((EXAMPLES / "ecbplus-qeshm-earthquake.jsonl").read_text().splitlines()[0])
    words = original["text"].split()
    copy = dict(original, id="copy", url=None, outlet="Wire reprint", text=" ".join([*words[:-1], "(AFP)"]))
    dump = tmp_path / "copy.jsonl"
    dump.write_text(json.dumps(original) + "\n" + json.dumps(copy) + "\n")
    ingest(store_location, [str(dump)], hashing_embedder)
    with open_store(store_location) as store:
        (story,) = store.stories()
        assert story.republished == {"copy": original["id"]}


def test_search_and_filters(store_location: str, hashing_embedder: object) -> None:
    ingest(store_location, EXAMPLE_FILES, hashing_embedder)
    with open_store(store_location) as store:
        hits = store.search("Qeshm earthquake")
        assert hits and all(h.article.startswith("ecb-20") for h in hits)
        # both backends mark the words; neighbours read as one phrase
        assert any("[Harry Winston]" in h.snippet for h in store.search("Harry Winston"))
        assert isinstance(store.search('"unbalanced AND (quote* NEAR'), list)  # operators are plain words, no crash
        assert store.search("") == []
        quake = store.stories(StoryFilter(entity="Qeshm"))
        assert quake and all(a.startswith("ecb-20") for r in quake for a in r.articles)
        assert store.stories(StoryFilter(entity="Winston")) and all(
            a.startswith("ecb-24") for r in store.stories(StoryFilter(entity="Harry Winston")) for a in r.articles
        )
        assert store.stories(StoryFilter(language="xx")) == []
        assert len(store.stories(StoryFilter(limit=2))) == 2
        sizes = [r.size for r in store.stories()]
        assert sizes == sorted(sizes, reverse=True)


def test_date_and_outlet_filters(store_location: str, tmp_path: Path, hashing_embedder: object) -> None:
    rows = [
        {"id": "p1", "outlet": "Daily One", "published": "2024-03-01T10:00:00Z",
         "text": "Parliament approved the budget on Friday after a long night of debate in the capital."},
        {"id": "p2", "outlet": "Evening Two", "published": "2024-05-20T10:00:00Z",
         "text": "Firefighters contained the forest fire near the coastal town after three days of work."},
    ]  # fmt: skip
    dump = tmp_path / "dated.jsonl"
    dump.write_text("\n".join(json.dumps(r) for r in rows))
    ingest(store_location, [str(dump)], hashing_embedder)
    with open_store(store_location) as store:
        assert [r.articles for r in store.stories(StoryFilter(since="2024-04-01"))] == [["p2"]]
        assert [r.articles for r in store.stories(StoryFilter(until="2024-03-01"))] == [["p1"]]
        assert [r.articles for r in store.stories(StoryFilter(outlet="daily one"))] == [["p1"]]
        assert [r.articles[0] for r in store.stories(StoryFilter(sort="recent"))] == ["p2", "p1"]


def test_export_and_dataframe(store_location: str, tmp_path: Path, hashing_embedder: object) -> None:
    ingest(store_location, EXAMPLE_FILES, hashing_embedder)
    with open_store(store_location) as store:
        rows = list(store.export_rows())
        assert len(rows) == 20 and all(r["story"] for r in rows)
        # each article's stored membership of its story (none for a story of one)
        found = {
            m.article: m.probability for ms in store.memberships([r.id for r in store.stories()]).values() for m in ms
        }
        assert {r["id"]: r["membership"] for r in rows} == {r["id"]: found.get(r["id"]) for r in rows}
        assert len(found) >= 10 and all(r["placed_by_editor"] is None for r in rows)
        frame = store.dataframe()
        assert len(frame) == 20 and {"id", "story", "text", "published"} <= set(frame.columns)


def test_show_caches_annotations_and_comparison(store_location: str) -> None:
    ingest(store_location, EXAMPLE_FILES[:1], None)
    with open_store(store_location) as store:
        biggest = store.stories()[0]
        first = compare_stored_story(store, biggest.id)
        assert store.value("SELECT COUNT(*) FROM annotations") == biggest.size
        again = compare_stored_story(store, biggest.id)  # from the cache
        assert [f.text for f in again.stories[0].facts] == [f.text for f in first.stories[0].facts]
        assert store.stories()[0].conflicts == sum(1 for f in first.stories[0].facts if f.status.value == "conflict")
        with pytest.raises(Exception, match="no such story"):
            compare_stored_story(store, "nope")


def test_stored_stories_keep_their_look_alikes(store_location: str) -> None:
    """Each ingest stores the changed stories' look-alikes; `show` reads them, merges followed, never the story itself."""
    ingest(store_location, EXAMPLE_FILES[:1], None, APART)  # the heist: 14 reports and the "$160 million" one
    with open_store(store_location) as store:
        records = store.stories()
        ids = {r.id for r in records}
        found = {r.id: r.look_alikes for r in records}
        assert found == store.look_alikes(sorted(ids))
        pairs = [(story, alike) for story, alikes in found.items() for alike in alikes]
        assert pairs, "the lone heist report reads like the heist story"
        for story, alike in pairs:
            assert alike.story in ids and alike.story != story and alike.days_apart is None  # undated
            assert alike.probability is not None and alike.probability < 0.5 and alike.cosine >= 0.5
        story, alike = pairs[0]
        for _ in range(2):  # computed, then from the cached comparison: the stored look-alikes both times
            shown = compare_stored_story(store, story).stories[0].story.look_alikes
            assert [(a.story, a.probability) for a in shown] == [(a.story, a.probability) for a in found[story]]
        with store.writer(), store.transaction():
            store.set_story_status(alike.story, "merged", merged_into=story)
        assert alike.story not in [a.story for a in store.look_alikes([story])[story]]  # merged into the story itself
    ingest(store_location, EXAMPLE_FILES[1:], None, APART)  # the quake, a run later: the heist's rows stay
    with open_store(store_location) as store:
        record = store.story(story)
        assert record is not None and record.to_dict()["look_alikes"] == [
            to_plain(a) for a in found[story] if a.story != alike.story
        ]


def test_stored_stories_say_why_each_article_belongs_active_or_retired(store_location: str) -> None:
    """Memberships of stored stories: stored at ingest, close to those scored later by the restored clusterer (a store
    made before they were stored), for the same articles whether a story is active, retired in the restored archive
    or read back from its stored signals, and the lone "$160 million" report the weakest heist member, as over files."""
    ingest(store_location, EXAMPLE_FILES, None)
    with open_store(store_location) as store:
        records = {r.id: r for r in store.stories()}
        stored = store.memberships(list(records))
        assert stored == stored_memberships(store, list(records))
        weak = {story_id: sum(m.probability < 0.5 for m in found) for story_id, found in stored.items()}
        assert {r.id: r.weakly_filed for r in records.values()} == weak and sum(weak.values()) >= 1  # "$160 million"
        with store.writer(), store.transaction():
            store.execute("DELETE FROM memberships")
        found = stored_memberships(store, [*records, "no-such-story"])
        # scored later, each member's terms are weighted by the IDF of the whole store, not of when it arrived
        assert {s: {m.article: pytest.approx(m.probability, abs=0.1) for m in ms} for s, ms in stored.items()} == {
            s: {m.article: m.probability for m in ms} for s, ms in found.items() if s != "no-such-story"
        }
        assert set(found) == set(records)
        for story_id, memberships in found.items():
            assert sorted(m.article for m in memberships) == sorted(records[story_id].articles)
            assert all(0.0 <= m.probability <= 1.0 and m.evidence for m in memberships)
        heist = next(m for m in found.values() if any(x.article == "ecb-24_8ecb" for x in m))
        assert min(heist, key=lambda m: m.probability).article == "ecb-24_8ecb"
        assert [story for story, _, _ in store.story_signals(["active", "retired"], ids=[])] == []
        with store.writer(), store.transaction():
            for story_id in records:
                store.set_story_status(story_id, "retired")
        for settings in (
            DEFAULT_SETTINGS,
            replace(DEFAULT_SETTINGS, cluster_archive_limit=0),
        ):  # archived, or read back
            retired = stored_memberships(store, list(records), settings)
            assert {s: sorted(m.article for m in ms) for s, ms in retired.items()} == {
                s: sorted(m.article for m in ms) for s, ms in found.items()
            }


def test_a_story_listing_a_changed_story_is_judged_again(store_location: str, tmp_path: Path) -> None:
    """When one of two look-alikes grows, both stored lists give the pair's probability as the two now stand."""
    ingest(store_location, EXAMPLE_FILES[:1], None, APART)
    late = tmp_path / "late.jsonl"
    text = (
        "Police in Paris are hunting four armed robbers, two of them dressed as women, who emptied the Harry Winston "
        "jewellery store on the Avenue Montaigne on Thursday. The diamonds, rings and watches they took are worth "
        "about 85 million euros, investigators said, in what may be the biggest jewellery theft in French history."
    )
    late.write_text(json.dumps({"id": "heist-late", "title": "Paris police hunt jewel robbers", "text": text}) + "\n")
    ingest(store_location, [str(late)], None, APART)
    with open_store(store_location) as store:
        records = {r.id: r for r in store.stories()}
        (grown,) = [r for r in records.values() if "heist-late" in r.articles]
        assert len(grown.articles) == 15
        (lone,) = [r for r in records.values() if len(r.articles) == 1]
        (there,) = [a for a in grown.look_alikes if a.story == lone.id]
        # rewritten although the lone story itself did not change
        (back,) = [a for a in lone.look_alikes if a.story == grown.id]
        assert back.probability == pytest.approx(there.probability, abs=1e-3) and back.cosine == there.cosine


def test_a_story_retired_beyond_the_archive_keeps_its_stored_look_alikes(store_location: str) -> None:
    ingest(store_location, EXAMPLE_FILES[:1], None, APART)
    with open_store(store_location) as store:
        before = {r.id: r.look_alikes for r in store.stories()}
    assert any(before.values())
    # the next run retires every story but one at once and the in-memory archive forgets them at once
    settings = replace(APART, cluster_max_active=1, cluster_archive_limit=0)
    with open_store(store_location) as store, store.writer():
        Ingestor(store, settings).ingest_sources(EXAMPLE_FILES[1:], SourceReader(), IngestReport())
        after = store.look_alikes(sorted(before))
    assert after == before


def test_readers_see_committed_data_while_a_writer_holds_a_transaction(
    store_location: str, hashing_embedder: object
) -> None:
    ingest(store_location, EXAMPLE_FILES[:1], hashing_embedder)
    with open_store(store_location) as writer, open_store(store_location) as reader:
        with writer.transaction():
            writer.execute("UPDATE articles SET title = 'changed' WHERE id = 'ecb-24_1ecb'")
            assert reader.count_articles() == 15  # not blocked by the open write
            assert reader.articles(["ecb-24_1ecb"])[0].title != "changed"  # and not seeing uncommitted data
        assert reader.articles(["ecb-24_1ecb"])[0].title == "changed"


def test_a_second_writer_is_refused(store_location: str) -> None:
    with (
        open_store(store_location) as first,
        open_store(store_location) as second,
        first.writer(),
        pytest.raises(StoreError, match="another process is ingesting"),
        second.writer(),
    ):
        pass


def test_a_file_that_is_not_a_store_is_refused_untouched(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("not a database at all\n" * 50)
    before = text.read_bytes()
    with pytest.raises(StoreError, match="not a consilience store"):
        open_store(text)
    assert text.read_bytes() == before
    other = tmp_path / "other.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE customers (name TEXT)")
    connection.commit()
    connection.close()
    with pytest.raises(StoreError, match="not a consilience store"):
        open_store(other)
    with pytest.raises(StoreError, match="no store here"):
        open_store(tmp_path / "missing.db", create=False)


def test_a_postgresql_url_that_does_not_answer() -> None:
    with pytest.raises(StoreError, match=r"127\.0\.0\.1:9/nothing: cannot connect to PostgreSQL"):
        open_store("postgresql://someone:secret@127.0.0.1:9/nothing")
    try:
        open_store("postgresql://someone:secret@127.0.0.1:9/nothing")
    except StoreError as error:
        assert "secret" not in str(error)


def test_articles_round_trip(store_location: str, hashing_embedder: object) -> None:
    ingest(store_location, EXAMPLE_FILES[1:], hashing_embedder)
    with open_store(store_location) as store:
        (article,) = store.articles(["ecb-20_3ecb"])
        assert isinstance(article, Article) and "Qeshm" in article.text
        assert [a.id for a in store.iter_articles(batch=3)][:2] == [a.id for a in store.iter_articles()][:2]
        assert sum(1 for _ in store.iter_articles(batch=3)) == 5


def test_a_store_keeps_the_embedder_it_was_built_with(tmp_path: Path, hashing_embedder: object) -> None:
    from consilience.embed import HashingEmbedder

    class OtherVectors(HashingEmbedder):
        name = "other-vectors"

    location = str(tmp_path / "one-embedder.db")
    ingest(location, EXAMPLE_FILES[1:], hashing_embedder)
    with open_store(location) as store, pytest.raises(StoreError, match="built with the hashing-bow embedder"):
        Ingestor(store, embedder=OtherVectors(384))


def test_default_store_location_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from consilience.store import default_location

    monkeypatch.setenv("CONSILIENCE_DB", str(tmp_path / "from-env.db"))
    assert default_location() == str(tmp_path / "from-env.db")
    with open_store() as store:
        assert store.location == str(tmp_path / "from-env.db")
    monkeypatch.delenv("CONSILIENCE_DB")
    assert default_location().endswith("consilience.db")


def test_cli_postgresql_url_that_does_not_answer_exits_5() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "consilience.cli", "stories", "--db", "postgresql://u:pw@127.0.0.1:9/x"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 5
    assert (
        "postgresql://u:***@127.0.0.1:9/x: cannot connect to PostgreSQL" in done.stderr
        and "Traceback" not in done.stderr
    )


def test_signals_keep_their_numbers_and_years_through_the_store_codec() -> None:
    """Years share the numbers column, prefixed; a row written before years were kept reads as naming none."""
    import numpy as np

    from consilience.cluster.signals import ArticleSignals
    from consilience.store.codec import row_to_signals, signals_to_row

    signals = ArticleSignals(
        "a", "en", 19000.0, None, "lead", np.ones(4, dtype=np.float32), {7: 1.0}, frozenset({3}),
        frozenset({"2000", "2008", "160"}), words=12, years=frozenset({2008}),
    )  # fmt: skip
    back = row_to_signals(signals_to_row(signals))
    assert (back.numbers, back.years) == (signals.numbers, signals.years)
    older = list(signals_to_row(signals))
    older[11] = "160 2000 2008"  # the numbers column as an older version wrote it
    assert row_to_signals(older).years == frozenset()


def test_an_editor_moves_an_article_and_later_ingests_keep_to_it(store_location: str, tmp_path: Path) -> None:
    from consilience.errors import InputError
    from consilience.incremental import restore_clusterer
    from consilience.render.common import membership_line, membership_reasons

    ingest(store_location, EXAMPLE_FILES, None)
    with open_store(store_location) as store, store.writer():
        heist = store.story_of("ecb-24_8ecb")
        assert heist is not None and len(store.story(heist).articles) == 15  # type: ignore[union-attr]
        assert [d.membership.article for d in store.weakly_filed()] == ["ecb-24_8ecb"]  # the review queue
        left, alone = Ingestor(store).move("ecb-24_8ecb", None, IngestReport())
        assert left == heist and alone != heist and store.story_of("ecb-24_8ecb") == alone
        assert store.story(alone).articles == ["ecb-24_8ecb"]  # type: ignore[union-attr]
        assert [m.article for m in store.memberships([heist])[heist]] == [
            a
            for a in store.story(heist).articles  # type: ignore[union-attr]
        ] and "ecb-24_8ecb" not in store.story(heist).articles  # type: ignore[union-attr]
        assert [(f, t) for f, t, _ in store.editor_moves(["ecb-24_8ecb"])["ecb-24_8ecb"]] == [(heist, alone)]
        for article, to, problem in (
            ("nope", heist, "no such article"),
            ("ecb-24_8ecb", "s999", "no such story"),
            ("ecb-24_8ecb", None, "already alone"),
            ("ecb-24_8ecb", alone, "already in"),
        ):
            with pytest.raises(InputError, match=problem):
                Ingestor(store).move(article, to, IngestReport())
        assert len(store.editor_moves(["ecb-24_8ecb"])["ecb-24_8ecb"]) == 1  # refused moves leave no trace
    late = tmp_path / "late.jsonl"
    late.write_text(json.dumps({"id": "heist-late", "title": "Paris police hunt jewel robbers", "text": (
        "Police in Paris are hunting four armed robbers, two of them dressed as women, who emptied the Harry Winston "
        "jewellery store on the Avenue Montaigne on Thursday. The loot is worth about 85 million euros, or $ 160 "
        "million, investigators said, in what may be the biggest jewellery theft in French history.")}) + "\n")  # fmt: skip
    ingest(store_location, [str(late)], None)
    with open_store(store_location) as store, store.writer():
        assert store.story_of("heist-late") == heist and store.story_of("ecb-24_8ecb") == alone
        rules = {"home": {"ecb-24_8ecb": alone}, "apart": {"ecb-24_8ecb": [heist]}}
        assert restore_clusterer(store).editor_rules() == rules  # saved with the clusterer's state
        assert store.story(heist).weakly_filed == 0  # type: ignore[union-attr]
        assert Ingestor(store).move("ecb-24_8ecb", heist, IngestReport()) == (alone, heist)  # back: the rule goes
        assert store.resolve_story(alone) == heist and store.story_of("ecb-24_8ecb") == heist
        assert restore_clusterer(store).editor_rules() == {"home": {"ecb-24_8ecb": heist}, "apart": {}}
        assert len(store.story(heist).articles) == 16  # type: ignore[union-attr]
        # an editor put it there: said with the model's view, and never counted as weakly filed
        (placed,) = [m for m in store.memberships([heist])[heist] if m.article == "ecb-24_8ecb"]
        assert placed.placed_by_editor and not placed.weak and store.story(heist).weakly_filed == 0  # type: ignore[union-attr]
        assert membership_reasons(placed).startswith(f"placed here by an editor on {placed.placed_by_editor[:10]}")
        assert "ecb-24_8ecb" not in [d.membership.article for d in store.weakly_filed()]
        shown = compare_stored_story(store, heist).stories[0].story
        numbers = {a: n for n, a in enumerate(shown.articles, 1)}
        assert f"[{numbers['ecb-24_8ecb']}] {placed.probability:.2f} placed by an editor" in membership_line(
            shown, numbers
        )


def test_an_editor_merges_two_stories_and_the_moved_articles_stay(
    store_location: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from consilience.cli import main
    from consilience.errors import InputError
    from consilience.incremental import restore_clusterer

    ingest(store_location, EXAMPLE_FILES, None)
    with open_store(store_location) as store:
        quake, heist = store.story_of("ecb-20_1ecb"), store.story_of("ecb-24_1ecb")
    assert quake and heist and quake != heist
    assert main(["merge", quake, "--into", heist, "--db", store_location, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"story": quake, "into": heist, "size": 20}
    with open_store(store_location) as store, store.writer():
        assert store.resolve_story(quake) == heist and [r.id for r in store.stories()] == [heist]
        rules = restore_clusterer(store).editor_rules()
        assert rules["apart"] == {} and {a for a, s in rules["home"].items() if s == heist} >= {
            f"ecb-20_{n}ecb" for n in range(1, 6)
        }  # pinned: the re-check of weak joins never splits them off
        for story, into, problem in ((quake, heist, "already merged into story"), (heist, heist, "same story"),
                                     ("s999", heist, "no such story"), (heist, "s999", "no such story")):  # fmt: skip
            with pytest.raises(InputError, match=problem):
                Ingestor(store).merge(story, into, IngestReport())
    assert main(["merge", "s999", "--into", heist, "--db", store_location]) == 3
    assert "s999: no such story" in capsys.readouterr().err
