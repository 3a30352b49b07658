"""Command-line interface: ``consilience compare``, ``stories`` and ``evaluate``.

Exit codes: 0 success (inputs that could not be read are reported on stderr),
1 unexpected internal error, 2 bad command line, 3 an input could not be read
(with ``--strict``, or when every input failed), 4 no articles in the inputs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import ConsilienceError, InputError, NoArticlesError, UsageError
from .model import Article, Membership, Story, to_plain
from .settings import DEFAULT_SETTINGS

if TYPE_CHECKING:
    from .incremental import IngestReport
    from .ingest import SourceReader
    from .settings import Settings
    from .store import Store

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_INPUT, EXIT_NO_ARTICLES = 0, 1, 2, 3, 4
PIPED_COLUMNS = 160  # line width of listings and tables when stdout is not a terminal


def _output_columns() -> int | None:
    """``$COLUMNS`` when set, else the terminal's width when stdout is one, else None (then PIPED_COLUMNS)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (kept separate so docs and tests can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="consilience", description="Lay news reports of the same event side by side, fact by fact."
    )
    parser.add_argument("--version", action="version", version=f"consilience {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    compare = commands.add_parser("compare", help="compare articles: agreement, single-source facts, conflicts")
    compare.add_argument("paths", nargs="+", metavar="SOURCE", help="what `ingest` reads: text, HTML, JSONL or CSV "
                         "files, folders, globs, RSS/Atom feeds, WARC archives, URLs")  # fmt: skip
    compare.add_argument(
        "--json", action="store_true", help="print the machine form (docs/json.md) instead of the report"
    )
    compare.add_argument("--markdown", metavar="FILE", help="also write a Markdown report to FILE")
    compare.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report to FILE")
    compare.add_argument("--strict", action="store_true", help="stop at the first input that cannot be read")
    compare.add_argument("--no-cleaning-log", action="store_true", help="leave the cleaning edits out of --json")
    _pair_model_argument(compare)
    stories = commands.add_parser(
        "stories", help="group articles into stories (events): files given, or the stories of a store"
    )
    stories.add_argument("paths", nargs="*", metavar="SOURCE",
                         help="sources to cluster, as for compare (none: list the store's stories)")  # fmt: skip
    stories.add_argument("--json", action="store_true", help='print {"stories": [{"id", "articles": [...]}]}')
    stories.add_argument("--strict", action="store_true")
    _pair_model_argument(stories)
    stories.add_argument(
        "--why", action="store_true",
        help="how firmly each article belongs to its story, and the signals why",
    )  # fmt: skip
    _db_argument(stories)
    stories.add_argument("--since", metavar="DATE", help="stories with an article published on or after DATE")
    stories.add_argument("--until", metavar="DATE", help="stories with an article published on or before DATE")
    stories.add_argument("--entity", metavar="NAME", help="stories where some article mentions NAME")
    stories.add_argument("--outlet", help="stories with an article from this outlet")
    stories.add_argument("--language", help="stories with an article in this language (ISO code: en, es, ...)")
    stories.add_argument("--sort", choices=("size", "recent"), default="size")
    stories.add_argument("--limit", type=int, default=None, help="show at most this many stories")
    stories.add_argument("--min-size", type=int, default=1, help="only stories with at least this many articles")
    ingest = commands.add_parser("ingest", help="add articles to the store and file each under a story")
    ingest.add_argument(
        "sources", nargs="+", metavar="SOURCE",
        help="files, folders, globs, JSONL/CSV dumps, HTML pages, URLs, RSS/Atom feeds, OPML lists, WARC archives",
    )  # fmt: skip
    _db_argument(ingest)
    _fetch_arguments(ingest)
    _pair_model_argument(ingest)
    _compare_argument(ingest)
    ingest.add_argument("--json", action="store_true", help="print the ingest report as JSON")
    watch = commands.add_parser("watch", help="ingest feeds again and again (conditional GET, polite fetching)")
    watch.add_argument("sources", nargs="+", metavar="FEEDS", help="OPML lists, feed URLs or feed files")
    watch.add_argument("--every", default="15m", help="time between rounds: 90s, 15m, 1h (default 15m)")
    watch.add_argument("--rounds", type=int, default=None, help="stop after this many rounds (default: never)")
    _db_argument(watch)
    _fetch_arguments(watch)
    _pair_model_argument(watch)
    _compare_argument(watch)
    show = commands.add_parser("show", help="the comparison report of a stored story")
    show.add_argument("story", metavar="STORY", help="a story id from `consilience stories`")
    _db_argument(show)
    show.add_argument("--json", action="store_true", help="print the machine form (docs/json.md)")
    show.add_argument("--markdown", metavar="FILE", help="also write a Markdown report to FILE")
    show.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report to FILE")
    move = commands.add_parser(
        "move", help="an editor's correction: move a stored article to another story, or to one of its own"
    )
    move.add_argument("article", metavar="ARTICLE", help="an article id (see `consilience stories --why`)")
    where = move.add_mutually_exclusive_group(required=True)
    where.add_argument("--to", metavar="STORY", help="the story it belongs to")
    where.add_argument("--new", action="store_true", help="a story of its own")
    _db_argument(move)
    move.add_argument("--json", action="store_true", help="print the result as JSON")
    merge = commands.add_parser("merge", help="an editor's correction: one stored story's articles join another story")
    merge.add_argument("story", metavar="STORY", help="the story whose articles move (it then leads to the other)")
    merge.add_argument("--into", metavar="STORY", required=True, help="the story they join")
    _db_argument(merge)
    merge.add_argument("--json", action="store_true", help="print the result as JSON")
    review = commands.add_parser(
        "review", help="the weakly filed articles of the store, weakest first: what to check, and `move` if wrong"
    )
    _db_argument(review)
    review.add_argument("--limit", type=int, default=20, help="show at most this many articles (default 20)")
    review.add_argument("--json", action="store_true")
    conflicts = commands.add_parser(
        "conflicts", help="where sources disagree: the conflicts of the store's compared stories, most recent first"
    )
    _db_argument(conflicts)
    conflicts.add_argument("--limit", type=int, default=50, help="show at most this many conflicts (default 50)")
    conflicts.add_argument("--json", action="store_true")
    search = commands.add_parser("search", help="full-text search of the stored articles")
    search.add_argument("query", metavar="QUERY", help="words that must all appear")
    _db_argument(search)
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--json", action="store_true")
    serve = commands.add_parser("serve", help="the web app and HTTP API over the store")
    _db_argument(serve)
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)"
    )
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--token", help="token for write endpoints (default: $CONSILIENCE_TOKEN; one is made up "
                       "and printed when listening beyond loopback without one)")  # fmt: skip
    serve.add_argument("--allow-private", action="store_true", help="let ingested URLs resolve to private addresses")
    export = commands.add_parser("export", help="write every stored article with its story, or every compared fact")
    _db_argument(export)
    export.add_argument("--table", choices=("articles", "facts"), default="articles",
                        help="articles (default), or one row per fact of each compared story: status, slot, text, "
                        "the articles that state it, conflicts (docs/json.md)")  # fmt: skip
    export.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="jsonl")
    export.add_argument(
        "--output", "-o", metavar="FILE", help="write to FILE (default: standard output; parquet needs a FILE)"
    )
    spark = commands.add_parser("spark", help="run consilience on Apache Spark (archives too large for one machine)")
    spark_commands = spark.add_subparsers(dest="spark_command", required=True, metavar="WHAT")
    spark_run = spark_commands.add_parser(
        "run", help="stories and facts of JSONL/Parquet/WARC input, written as Parquet (docs/spark.md)"
    )
    _spark_run_arguments(spark_run)
    spark_load = spark_commands.add_parser("load", help="load a run's outputs into the store, for the web app")
    spark_load.add_argument("output", metavar="OUTPUT", help="the --output folder of `consilience spark run`")
    _db_argument(spark_load)
    spark_load.add_argument("--json", action="store_true", help="print the load report as JSON")
    evaluate = commands.add_parser("evaluate", help="measure consilience on a labelled dataset")
    evaluations = evaluate.add_subparsers(dest="evaluation", required=True, metavar="WHAT")
    clustering = evaluations.add_parser(
        "clustering", help="BCubed and pairwise P/R/F1 of story clustering, ours and baselines, with speed and memory"
    )
    clustering.add_argument("dataset", metavar="DATASET.jsonl", help="JSONL with id, text/title and a gold label field")
    clustering.add_argument("--field", default="story", help="the gold label field (default: story)")
    clustering.add_argument(
        "--methods",
        default="all",
        help="comma-separated: consilience,tfidf-agglomerative,minilm-agglomerative,e5-agglomerative,hdbscan,bertopic "
        "(default: all; baselines missing their extra are reported as not installed)",
    )
    clustering.add_argument(
        "--shuffle-undated", type=int, metavar="SEED", help="feed undated articles in a shuffled order, not file order"
    )
    clustering.add_argument(
        "--redate-undated",
        type=int,
        metavar="N",
        help="give undated stories dates, N stories a day, to test a dense stream where unrelated events share days",
    )
    clustering.add_argument("--json", action="store_true", help="print the results as JSON")
    _pair_model_argument(clustering)
    train = commands.add_parser(
        "train", help="fit the pair model on your own labelled stories, for --pair-model",
        description="Fit the clusterer's pair model on labelled stories (JSONL: id, title and/or text, published, "
        "a story label), as the shipped one was fitted on the development files (docs/clustering.md). Regimes "
        "your data cannot fit keep the shipped model's weights. Measure the model on stories it never saw with "
        "`consilience evaluate clustering HELD_OUT.jsonl --pair-model OUT`.",
    )  # fmt: skip
    from .cluster.train import add_arguments as add_training_arguments

    add_training_arguments(train)
    train.add_argument("--json", action="store_true", help="print what was fitted as JSON")
    comparison = evaluations.add_parser(
        "comparison", help="precision and recall of conflicts, updates and corroborations against a gold set"
    )
    comparison.add_argument("gold", metavar="GOLD.json", help="gold set (format: docs/annotation-guidelines.md)")
    comparison.add_argument(
        "datasets", nargs="+", metavar="DATASET.jsonl", help="the labelled files its stories are in"
    )
    comparison.add_argument("--json", action="store_true", help="print the results as JSON")
    comparison.add_argument("--verbose", "-v", action="store_true", help="list false and missed conflicts")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "compare":
            return _compare(args)
        if args.command == "evaluate":
            return _evaluate_clustering(args) if args.evaluation == "clustering" else _evaluate_comparison(args)
        if args.command == "stories":
            return _stories(args) if args.paths else _stored_stories(args)
        commands = {"train": _train, "ingest": _ingest, "watch": _watch, "show": _show, "move": _move, "merge": _merge,
                    "review": _review, "conflicts": _conflicts, "search": _search, "export": _export, "serve": _serve, "spark": _spark}  # fmt: skip
        return commands[args.command](args)
    except InputError as error:
        print(f"consilience: error: {error}", file=sys.stderr)
        return EXIT_INPUT
    except NoArticlesError as error:
        print(f"consilience: error: {error}", file=sys.stderr)
        return EXIT_NO_ARTICLES
    except ConsilienceError as error:
        print(f"consilience: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("consilience: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    from .pipeline import compare_paths
    from .render import print_report, to_html, to_json, to_markdown

    interactive = sys.stderr.isatty() and not args.json
    settings = replace(DEFAULT_SETTINGS, cluster_pair_model=args.pair_model)
    comparison = compare_paths(args.paths, settings, strict=args.strict, progress=interactive)
    for path, render in ((args.markdown, to_markdown), (args.html, to_html)):
        if path:
            _write(Path(path), render(comparison))
    if args.json:
        json.dump(
            to_json(comparison, include_cleaning=not args.no_cleaning_log), sys.stdout, ensure_ascii=False, indent=2
        )
        sys.stdout.write("\n")
    else:
        print_report(comparison)
    for warning in comparison.warnings if args.json else []:
        print(f"consilience: note: {warning}", file=sys.stderr)
    return EXIT_OK


def _stories(args: argparse.Namespace) -> int:
    from .clean import clean_article
    from .cluster import cluster_articles
    from .ingest import read_inputs
    from .pipeline import mark_duplicates
    from .render.common import counted, look_alike_verdict, membership_reasons

    read = read_inputs(args.paths, strict=args.strict)
    for warning in read.warnings:
        print(f"consilience: note: {warning}", file=sys.stderr)
    articles = [a for a in (clean_article(a) for a in read.articles) if a.text.strip()]
    if not articles:
        raise NoArticlesError("no articles found in " + ", ".join(args.paths))
    warnings: list[str] = []
    mark_duplicates(articles, warnings)
    settings = replace(DEFAULT_SETTINGS, cluster_pair_model=args.pair_model)
    stories = cluster_articles(articles, settings, look_alikes=True, memberships=args.why)
    by_id = {a.id: a for a in articles}
    if args.json:
        payload = {"stories": [_story_json(story, by_id, args.why) for story in stories]}
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        # one line an article, cut to the terminal's width (piped: PIPED_COLUMNS); its reasons wrapped under it
        width = _output_columns() or PIPED_COLUMNS
        for story in stories:
            print(f"{story.id}: {counted(len(story.articles), 'article')}")
            why = {membership.article: membership for membership in story.memberships}
            for article_id in story.articles:
                article = by_id[article_id]
                copy = story.republished.get(article_id) or article.duplicate_of
                note = f"  [copy of {copy}]" if copy else ""
                title = (article.title or article.text).splitlines()[0]
                print(_fit(f"  {article_id}  ", title, note, width))
                if article_id in why:
                    print(_wrap("      ", membership_reasons(why[article_id]), width))
            for alike in story.look_alikes:
                print(f"  looks like {alike.story} (cosine {alike.cosine:.2f}): {look_alike_verdict(alike)}")
    return EXIT_OK


def _spark_run_arguments(parser: argparse.ArgumentParser) -> None:
    try:
        from .spark.job import add_run_arguments
    except ImportError:  # the spark extra's pandas is missing: `spark run` says so when called
        parser.add_argument("rest", nargs=argparse.REMAINDER)
        return
    add_run_arguments(parser)


def _spark(args: argparse.Namespace) -> int:
    try:
        from .spark import job
        from .spark.load import load_results
    except ImportError as error:
        print(f"consilience: error: the Spark engine needs the spark extra ({error.name} is missing): "
              "pip install 'consilience[spark]'", file=sys.stderr)  # fmt: skip
        return EXIT_INPUT
    if args.spark_command == "run":
        return job.run_command(args, "local[*]")
    with _open(args, create=True) as store, store.writer():
        loaded = load_results(args.output, store)
    if args.json:
        print(json.dumps(loaded.to_dict(), indent=2))
    else:
        skipped = sum(loaded.skipped.values())
        print(f"loaded {loaded.stories:,} stories, {loaded.articles:,} articles ({loaded.comparisons:,} with their "
              f"comparison, {loaded.look_alikes:,} with look-alikes) into {store.location}"
              + (f"; {skipped:,} articles already stored" if skipped else ""))  # fmt: skip
    return EXIT_OK


def _db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", metavar="PATH_OR_URL",
        help="SQLite file or postgresql:// URL (default: $CONSILIENCE_DB, else consilience.db in your data folder)",
    )  # fmt: skip


def _compare_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--compare", action="store_true",
                        help="then compare each changed story of 2+ articles, so its report is ready, and say which "
                        "hold conflicts (slower: about 6 full articles/s on 2 cores, docs/benchmarks.md)")  # fmt: skip


def _pair_model_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pair-model", metavar="PATH", default="",
                        help="cluster with a pair model fitted by `consilience train` (`shipped`: the package's own; "
                        "default: a store's own model, else the shipped one)")  # fmt: skip


def _fetch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-private", action="store_true",
                        help="let URLs resolve to loopback and private addresses (refused by default)")  # fmt: skip
    parser.add_argument("--rate", type=float, default=1.0, metavar="SECONDS",
                        help="minimum seconds between two requests to one host (default 1)")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS")
    parser.add_argument("--retries", type=int, default=2)
    parser.add_argument("--ignore-robots", action="store_true", help="do not read robots.txt (only for your own sites)")
    parser.add_argument("--embedder", choices=("auto", "minilm", "minilm-static"), default="auto",
                        help="clustering vectors: MiniLM (default), or static ones distilled from it (much faster); "
                        "a store keeps the embedder it was built with")  # fmt: skip


def _open(args: argparse.Namespace, create: bool = False) -> Store:
    from .store import open_store

    return open_store(args.db, create=create)


def _reader(args: argparse.Namespace, store: Store, conditional: bool, log: list[str]) -> SourceReader:
    from .ingest import FetchHooks, SourceReader
    from .ingest.web import Fetcher, FetchPolicy

    policy = FetchPolicy(timeout=args.timeout, retries=args.retries, per_host_interval=args.rate,
                         allow_private=args.allow_private, allow_loopback=args.allow_private,
                         obey_robots=not args.ignore_robots)  # fmt: skip
    hooks = FetchHooks(
        validators=store.fetch_validators,
        record=store.log_fetch,
        known_url=lambda url: store.value("SELECT 1 FROM articles WHERE canonical_url = ?", (url,)) is not None,
    )
    return SourceReader(fetcher=Fetcher(policy, log=log.append), hooks=hooks, conditional=conditional, warnings=log)


def _ingest(args: argparse.Namespace) -> int:
    from .incremental import Ingestor, IngestReport

    with _open(args, create=True) as store, store.writer():
        report = IngestReport()
        interactive = sys.stderr.isatty() and not args.json
        with _progress(interactive) as tick:
            ingestor = Ingestor(store, _settings(args), progress=tick)
            ingestor.ingest_sources(args.sources, _reader(args, store, False, report.warnings), report)
        if args.compare:
            _compare_changed(store, report, interactive)
        total_articles, total_stories = store.count_articles(), store.count_stories()
    _print_report(report, args.json, total_articles, total_stories, store.location)
    return EXIT_INPUT if report.failed else EXIT_OK


def _move(args: argparse.Namespace) -> int:
    from .incremental import editor_move
    from .render.common import counted

    with _open(args) as store, store.writer():
        result = editor_move(store, args.article, None if args.new else args.to)
    if args.json:
        print(json.dumps(result, indent=2))
        return EXIT_OK
    left, now_in, sizes = result["from"], result["to"], result["sizes"]
    remains = (f"{left} keeps {counted(sizes[left], 'article')}, and the clusterer will not put it back with them"
               if sizes[left] else f"{left} is left empty and leads to {now_in}")  # fmt: skip
    print(f"moved {args.article} from {left} to {now_in} ({counted(sizes[now_in], 'article')}); {remains}")
    return EXIT_OK


def _merge(args: argparse.Namespace) -> int:
    from .incremental import editor_merge
    from .render.common import counted

    with _open(args) as store, store.writer():
        result = editor_merge(store, args.story, args.into)
    merged, size = result["into"], result["size"]
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"merged {args.story} into {merged} ({counted(size, 'article')}); {args.story} leads to {merged}, and the "
              "clusterer will not split the moved articles off again")  # fmt: skip
    return EXIT_OK


def _train(args: argparse.Namespace) -> int:
    from .cluster.pairs import PairModel
    from .cluster.train import fit, fitted_regimes

    model = fit(args, log=lambda line: None if args.json else print(line, file=sys.stderr))
    assert model.embedder is not None  # fit names it
    own = fitted_regimes(model, PairModel.for_embedder(model.embedder))
    kept = [regime for regime in model.weights if regime not in own]
    result = {"out": args.out, "embedder": model.embedder,
              "trained_on": [{"file": f.name, "articles": f.articles, "stories": f.stories} for f in model.trained_on],
              "fitted_regimes": own, "shipped_regimes": kept}  # fmt: skip
    if args.json:
        print(json.dumps(result, indent=2))
        return EXIT_OK
    files = "; ".join(f"{f.name} ({f.articles:,} articles, {f.stories:,} stories)" for f in model.trained_on)
    print(f"wrote {args.out}: a pair model for {model.embedder} vectors, fitted on {files}")
    print(f"regimes fitted on your stories: {', '.join(own) or 'none'}; kept from the shipped model: "
          f"{', '.join(kept) or 'none'} (docs/clustering.md, 'Regimes and training')")  # fmt: skip
    print(f"use it: consilience stories SOURCE... --pair-model {args.out}; measure it on stories it never saw: "
          f"consilience evaluate clustering HELD_OUT.jsonl --pair-model {args.out}")  # fmt: skip
    return EXIT_OK


def _settings(args: argparse.Namespace) -> Settings:
    return replace(DEFAULT_SETTINGS, cluster_embedder=args.embedder, cluster_pair_model=args.pair_model)


def _print_report(report: IngestReport, as_json: bool, articles: int, stories: int, location: str) -> None:
    from .render.common import counted

    for warning in report.warnings:
        print(f"consilience: note: {warning}", file=sys.stderr)
    for failure in report.failed:
        print(f"consilience: error: {failure}", file=sys.stderr)
    if as_json:
        payload = report.to_dict() | {"store": {"location": location, "articles": articles, "stories": stories}}
        json.dump(payload, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    duplicates = sum(report.duplicates.values())
    rate = f" ({report.added / report.seconds:.0f} articles/s)" if report.seconds and report.added else ""
    print(f"read {report.read}, added {report.added}{rate}, already stored or duplicated {duplicates}, "
          f"republished copies {report.republished}, new stories {report.new_stories}, failed inputs {len(report.failed)}")  # fmt: skip
    print(f"store {location}: {counted(articles, 'article')} in {counted(stories, 'story', 'stories')}")
    for line in _compared_lines(report):
        print(line)


def _compare_changed(store: Store, report: IngestReport, interactive: bool) -> None:
    """``--compare``: the changed stories' comparisons, with a progress bar on a terminal."""
    from .incremental import compare_changed

    if not interactive:
        compare_changed(store, report)
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("comparing changed stories", total=len(report.changed_stories))
        compare_changed(store, report, progress=lambda done: bar.update(task, completed=done))


def _compared_lines(report: IngestReport) -> list[str]:
    """What ``--compare`` found, for people: how many stories were compared, and which hold conflicts."""
    from .render.common import counted

    if not report.compared:
        return []
    disputed = [c for c in report.compared if c["conflicts"]]
    lines = [f"compared {counted(len(report.compared), 'changed story', 'changed stories')} of 2+ articles; "
             f"{counted(len(disputed), 'holds', 'hold')} conflicts" + (":" if disputed else "")]  # fmt: skip
    lines += [f"  {c['story']}: {counted(c['conflicts'], 'conflict')} among {c['articles']} articles "
              f"(consilience show {c['story']})" for c in disputed]  # fmt: skip
    return lines


class _progress:
    """A rich progress counter on stderr when interactive; a no-op otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self):  # type: ignore[no-untyped-def]
        if not self.enabled:
            return lambda added: None
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._bar = Progress(SpinnerColumn(), TextColumn("{task.completed} articles stored"), TimeElapsedColumn(),
                             transient=True)  # fmt: skip
        self._bar.start()
        task = self._bar.add_task("ingest", total=None)
        return lambda added: self._bar.update(task, completed=added)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._bar.stop()


def _watch(args: argparse.Namespace) -> int:
    import time

    from .incremental import Ingestor, IngestReport

    interval = _duration(args.every)
    round_number = 0
    with _open(args, create=True) as store, store.writer():
        ingestor = Ingestor(store, _settings(args))
        while True:
            round_number += 1
            report = IngestReport()
            ingestor.ingest_sources(args.sources, _reader(args, store, True, report.warnings), report)
            if args.compare:
                _compare_changed(store, report, interactive=False)
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            print(f"[{stamp}] round {round_number}: added {report.added}, new stories {report.new_stories}, "
                  f"failed {len(report.failed)}", flush=True)  # fmt: skip
            for failure in report.failed:
                print(f"[{stamp}]   failed: {failure}", flush=True)
            for warning in report.warnings:
                print(f"[{stamp}]   note: {warning}", flush=True)
            for line in _compared_lines(report):
                print(f"[{stamp}]   {line.strip()}", flush=True)
            if args.rounds is not None and round_number >= args.rounds:
                return EXIT_OK
            time.sleep(interval)


def _duration(text: str) -> float:
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*", text)
    if not match:
        raise UsageError(f"--every {text!r}: give a duration like 90s, 15m, 1h")
    value = float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2) or "s"]
    if value <= 0:
        raise UsageError(f"--every {text!r}: must be longer than zero")
    return value


def _stored_stories(args: argparse.Namespace) -> int:
    from .store import StoryFilter

    where = StoryFilter(since=args.since, until=args.until, entity=args.entity, outlet=args.outlet,
                        language=args.language, sort=args.sort, limit=args.limit, min_size=args.min_size)  # fmt: skip
    with _open(args) as store:
        records = store.stories(where)
        why: dict[str, list[Membership]] = {}
        if args.why and records:  # the clusterer and its models load only for this
            from .incremental import stored_memberships

            why = stored_memberships(store, [r.id for r in records])
    if args.json:
        stories = [r.to_dict() | ({"memberships": [to_plain(m) for m in why.get(r.id, [])]} if args.why else {})
                   for r in records]  # fmt: skip
        json.dump({"stories": stories}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(width=_output_columns() or PIPED_COLUMNS)
    rows = [
        {
            "story": r.id,
            "articles": str(r.size),
            "weak": str(r.weakly_filed or ""),
            "first": (r.first_published or "")[:10],
            "last": (r.last_published or "")[:10],
            "lang": ",".join(r.languages),
            "outlets": ", ".join(r.outlets[:3]) + ("…" if len(r.outlets) > 3 else ""),
            "title": r.label[:70],
        }
        for r in records
    ]
    # one line a story, fitted to the terminal: a narrow one drops languages and outlets, then the dates; the
    # title takes what is left and is cut
    columns = ["story", "articles", "weak", "first", "last", "lang", "outlets"]
    if console.width < 100:
        columns = [c for c in columns if c not in ("lang", "outlets")]
    if not any(row["weak"] for row in rows):
        columns.remove("weak")
    if console.width < 70:
        columns = [c for c in columns if c not in ("first", "last")]
    widths = {c: min(30, max([len(c), *(len(row[c]) for row in rows)])) for c in columns}
    title_width = max(10, console.width - sum(widths.values()) - 3 * (len(columns) + 1))  # padding and a rule
    table = Table(
        title=f"{len(records)} stor{'y' if len(records) == 1 else 'ies'}",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        show_edge=False,
    )
    for column in columns:
        table.add_column(column, justify="right" if column in ("articles", "weak") else "left", no_wrap=True,
                         overflow="ellipsis", width=widths[column])  # fmt: skip
    table.add_column("title", no_wrap=True, overflow="ellipsis", max_width=title_width)
    for row in rows:
        table.add_row(*(row[c] for c in [*columns, "title"]))
    console.print(table)
    for record in records:  # --why: under the table, each story's articles with their reasons
        if why.get(record.id):
            _print_memberships(record.id, why[record.id], console.width)
    return EXIT_OK


def _print_memberships(story_id: str, memberships: list[Membership], width: int) -> None:
    from .render.common import membership_reasons

    print(f"{story_id}:")
    for membership in memberships:
        print(_wrap(f"  {membership.article}  ", membership_reasons(membership), width))


def _show(args: argparse.Namespace) -> int:
    from .incremental import compare_stored_story
    from .render import print_report, to_html, to_json, to_markdown

    with _open(args) as store:
        comparison = compare_stored_story(store, args.story)
    for path, render in ((args.markdown, to_markdown), (args.html, to_html)):
        if path:
            _write(Path(path), render(comparison))
    if args.json:
        json.dump(to_json(comparison), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print_report(comparison)
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    import os

    try:
        import uvicorn

        from .web import create_app, write_token
    except ImportError as error:
        raise ConsilienceError(f"the web app needs {error.name}: pip install 'consilience[web]'") from None
    token, made_up = write_token(args.host, args.token or os.environ.get("CONSILIENCE_TOKEN"))
    if made_up:
        print(f"consilience: listening beyond this machine; write endpoints need: Authorization: Bearer {token}",
              file=sys.stderr)  # fmt: skip
    app = create_app(args.db, token=token, allow_private=args.allow_private)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", server_header=False)
    return EXIT_OK


def _review(args: argparse.Namespace) -> int:
    from .render.common import counted, membership_reasons

    if args.limit < 1:
        raise UsageError("--limit: must be at least 1")
    with _open(args) as store:
        doubts = store.weakly_filed(args.limit)
    if args.json:
        json.dump({"weakly_filed": [to_plain(d) for d in doubts]}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    if not doubts:
        print("no weakly filed article: every stored story's articles are firmly in it, or placed by an editor")
        return EXIT_OK
    width = _output_columns() or PIPED_COLUMNS
    for doubt in doubts:
        dated = f"  {doubt.published[:10]}" if doubt.published else ""
        print(_fit(f"{doubt.membership.article}  in {doubt.story} ({doubt.story_size} articles){dated}  ",
                   doubt.title or "", "", width))  # fmt: skip
        print(_wrap("    ", membership_reasons(doubt.membership), width))
    print(f"\n{counted(len(doubts), 'weakly filed article')}, weakest first. If one is in the wrong story: "
          "consilience move ARTICLE --to STORY | --new")  # fmt: skip
    return EXIT_OK


def _conflicts(args: argparse.Namespace) -> int:
    from .incremental import stored_conflicts, uncompared
    from .render.common import counted

    if args.limit < 1:
        raise UsageError("--limit: must be at least 1")
    with _open(args) as store:
        found = stored_conflicts(store, args.limit)
        missing, several = uncompared(store)
    if args.json:
        payload = {"conflicts": found, "uncompared_stories": missing, "stories_of_several": several}
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    width = _output_columns() or PIPED_COLUMNS
    shown = None
    for conflict in found:
        if conflict["story"] != shown:
            shown = conflict["story"]
            dated = f", last {conflict['last_published'][:10]}" if conflict["last_published"] else ""
            print(_fit(f"{shown}  ", conflict["label"], f"  ({conflict['story_size']} articles{dated})", width))
        print(_wrap("    ", conflict["conflict"] or "", width))
    stories = len({c["story"] for c in found})
    if found:
        print(f"\n{counted(len(found), 'conflict')} in {counted(stories, 'story', 'stories')}, the most recent first; "
              "consilience show STORY lays each one's sentences side by side")  # fmt: skip
    else:
        print("no conflict in the compared stories")
    if missing:
        print(f"{missing} of {several} stories of 2+ articles are not compared yet (ingest --compare, or show STORY)")
    return EXIT_OK


def _search(args: argparse.Namespace) -> int:
    with _open(args) as store:
        hits = store.search(args.query, args.limit)
    if args.json:
        json.dump({"query": args.query, "hits": [vars(h) for h in hits]}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    if not hits:
        print(f"no article matches {args.query!r}", file=sys.stderr)
    for hit in hits:
        about = "  ".join(part for part in ((hit.published or "")[:10], hit.outlet or "") if part)
        print(f"{hit.article}  [story {hit.story}]" + (f"  {about}" if about else ""))
        if hit.title:
            print(f"    {hit.title}")
        print(f"    {' '.join(hit.snippet.split())}")
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    import csv

    from .incremental import FACT_EXPORT_COLUMNS, fact_export_rows, uncompared
    from .store.base import EXPORT_COLUMNS

    facts = args.table == "facts"
    with _open(args) as store:
        rows = fact_export_rows(store) if facts else store.export_rows()
        columns = FACT_EXPORT_COLUMNS if facts else EXPORT_COLUMNS
        if args.format == "parquet":
            if not args.output:
                raise UsageError("--format parquet needs --output FILE")
            _write_parquet(rows, columns, Path(args.output))
        else:
            out = Path(args.output).open("w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: SIM115
            try:
                if args.format == "jsonl":
                    for row in rows:
                        out.write(json.dumps(row, ensure_ascii=False) + "\n")
                else:
                    writer = csv.DictWriter(out, fieldnames=list(columns))
                    writer.writeheader()
                    writer.writerows(_flat(row) for row in rows)
            finally:
                if out is not sys.stdout:
                    out.close()
        missing, several = uncompared(store) if facts else (0, 0)
    if missing:
        print(f"consilience: note: {missing} of {several} stories of 2+ articles have no current comparison and are "
              "not exported: `ingest --compare` compares the stories an ingest changes, `show STORY` one",
              file=sys.stderr)  # fmt: skip
    return EXIT_OK


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """A row for CSV: lists of ids joined by ";", nested data as JSON."""
    return {key: ";".join(value) if isinstance(value, list) and all(isinstance(v, str) for v in value)
            else json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value
            for key, value in row.items()}  # fmt: skip


def _write_parquet(rows: Iterator[dict[str, Any]], columns: Sequence[str], path: Path) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ConsilienceError("parquet export needs pyarrow: pip install 'consilience[export]'") from None
    # a fixed schema: a column null throughout the first batch (no URLs, no story of several yet) keeps its type
    types = {"membership": pa.float64(), "sources": pa.int64(), "articles": pa.list_(pa.string()),
             "disputed_by": pa.list_(pa.string())}  # fmt: skip
    schema = pa.schema([(c, types.get(c, pa.string())) for c in columns])
    temporary = path.with_name(path.name + ".part")
    try:
        with pq.ParquetWriter(temporary, schema) as writer:
            batch: list[dict[str, object]] = []
            for row in rows:
                # nested data (a fact's mentions) as JSON text, as the Spark job's facts table holds it
                batch.append({k: json.dumps(v, ensure_ascii=False) if k == "mentions" else v for k, v in row.items()})
                if len(batch) >= 5000:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    batch = []
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    except BaseException:
        temporary.unlink(missing_ok=True)  # no half-written file left behind
        raise
    temporary.replace(path)


def _fit(head: str, text: str, tail: str, width: int) -> str:
    """``head + text + tail`` with ``text`` cut to fit ``width`` columns (never below 20 of it)."""
    room = max(20, width - len(head) - len(tail))
    return f"{head}{text if len(text) <= room else text[: room - 1] + '…'}{tail}"


def _wrap(head: str, text: str, width: int) -> str:
    """``head + text``, ``text`` wrapped to ``width`` columns, continuation lines indented under its start."""
    import textwrap

    indent = " " * min(len(head), 12)
    return textwrap.fill(text, max(40, width), initial_indent=head, subsequent_indent=indent, break_on_hyphens=False)


def _story_json(story: Story, by_id: dict[str, Article], memberships: bool = False) -> dict[str, object]:
    members = [by_id[a] for a in story.articles]
    dates = sorted(a.published.isoformat() for a in members if a.published)
    return {
        "id": story.id,
        "articles": story.articles,
        "size": len(story.articles),
        "republished": story.republished | {a.id: a.duplicate_of for a in members if a.duplicate_of},
        "first_published": dates[0] if dates else None,
        "last_published": dates[-1] if dates else None,
        "languages": sorted({a.language for a in members if a.language}),
        "outlets": sorted({a.outlet for a in members if a.outlet}),
        "titles": [a.title for a in members if a.title][:3],
        "look_alikes": [to_plain(alike) for alike in story.look_alikes],
    } | ({"memberships": [to_plain(membership) for membership in story.memberships]} if memberships else {})


def _evaluate_clustering(args: argparse.Namespace) -> int:
    from .evaluate.clustering import BASELINES, METHODS, OURS, MethodResult, evaluate_clustering
    from .evaluate.datasets import load_labelled, redate_undated

    methods = [OURS, *BASELINES] if args.methods == "all" else [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise UsageError(f"--methods: unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}")
    dataset = load_labelled(args.dataset, field=args.field)
    if args.redate_undated is not None:
        if args.redate_undated < 1:
            raise UsageError("--redate-undated: the number of stories a day must be at least 1")
        dataset = redate_undated(dataset, args.redate_undated)
    print(
        f"{dataset.name}: {len(dataset.articles)} articles, {dataset.stories} gold stories; running {', '.join(methods)}",
        file=sys.stderr,
    )

    def report(result: MethodResult) -> None:
        if result.error:
            print(f"  {result.method}: {result.error}", file=sys.stderr)
        else:
            print(f"  {result.method}: done in {result.seconds:.1f} s", file=sys.stderr)

    settings = replace(DEFAULT_SETTINGS, cluster_pair_model=args.pair_model)
    results = evaluate_clustering(dataset, methods, args.shuffle_undated, on_result=report, settings=settings)
    if any(r.in_sample for r in results):
        print(
            f"note: our pair model was fitted on the stories of {dataset.name}, so our scores on it are in "
            "sample; docs/benchmarks.md gives held-out ones",
            file=sys.stderr,
        )
    if args.json:
        payload = {"dataset": args.dataset, "articles": len(dataset.articles), "stories": dataset.stories,
                   "results": [r.to_dict() for r in results]}  # fmt: skip
        json.dump(payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{dataset.name} ({len(dataset.articles)} articles, {dataset.stories} stories)")
    for column in ("method", "B3 P", "B3 R", "B3 F1", "pair P", "pair R", "pair F1", "art/s", "peak MB", "setting"):
        table.add_column(column, justify="left" if column in ("method", "setting") else "right")
    for r in results:
        if r.scores is None:
            table.add_row(r.method, *[""] * 8, r.error)
            continue
        s = r.scores
        table.add_row(
            r.method, *(f"{v:.3f}" for v in (s.bcubed_precision, s.bcubed_recall, s.bcubed_f1, s.pairwise_precision,
                                             s.pairwise_recall, s.pairwise_f1)),
            f"{r.articles_per_second:.0f}", f"{r.peak_rss_mb:.0f}", r.setting + (", in sample" if r.in_sample else ""),
        )  # fmt: skip
    Console(width=_output_columns() or PIPED_COLUMNS).print(table)
    return EXIT_OK


def _evaluate_comparison(args: argparse.Namespace) -> int:
    from .evaluate.comparison import evaluate_comparison, load_gold
    from .evaluate.datasets import load_labelled

    gold = load_gold(args.gold)
    datasets = [load_labelled(path) for path in args.datasets]
    print(f"{args.gold}: {len(gold)} gold stories", file=sys.stderr)
    from rich.progress import Progress

    with Progress(transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task("comparing gold stories", total=len(gold))
        scores = evaluate_comparison(gold, datasets, on_story=lambda *_: progress.advance(task))
    if args.json:
        json.dump({"gold": args.gold, "datasets": args.datasets, **scores.to_dict()}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{Path(args.gold).name}: {scores.stories} stories, {scores.articles} articles")
    for column in ("label", "gold", "predicted", "precision", "recall"):
        table.add_column(column, justify="left" if column == "label" else "right")
    table.add_row(
        "conflict",
        str(scores.gold_conflicts),
        str(scores.predicted_conflicts),
        f"{scores.conflict_precision:.3f}",
        f"{scores.conflict_recall:.3f}",
    )
    table.add_row(
        "updated",
        str(scores.gold_updates),
        str(scores.predicted_updates),
        f"{scores.update_precision:.3f}",
        f"{scores.update_recall:.3f}",
    )
    table.add_row("corroborated", str(scores.gold_corroborated), "", "", f"{scores.corroboration_recall:.3f}")
    table.add_row("traps (false conflicts)", str(scores.gold_traps), str(scores.traps_hit), "", "")  # fmt: skip
    if scores.gold_apart:
        table.add_row("apart (joined in one fact)", str(scores.gold_apart), str(scores.apart_joined), "", "")
    if scores.gold_drawn:
        drawn, joined = sum(scores.gold_drawn.values()), sum(scores.drawn_joined.values())
        table.add_row("drawn corroborations: right", str(drawn), str(joined), f"{scores.drawn_precision:.3f}",
                      f"{scores.drawn_recall:.3f}")  # fmt: skip
        table.add_row("drawn: right or partly", "", "", f"{scores.drawn_precision_lenient:.3f}", "")
    console = Console(width=_output_columns() or PIPED_COLUMNS)
    console.print(table)
    console.print(f"annotation {scores.seconds_annotate:.1f} s, comparison {scores.seconds_compare:.1f} s")
    if args.verbose:
        for title, lines in (("false conflicts", scores.false_conflicts), ("missed conflicts", scores.missed_conflicts),
                             ("traps hit", scores.traps), ("apart sentences joined", scores.joined),
                             ("drawn pairs labelled wrong, still corroborated", scores.drawn_wrong),
                             ("missed corroborations", scores.missed_corroborations)):  # fmt: skip
            if lines:
                console.print(f"[bold]{title}[/]", highlight=False)
                for line in lines:
                    console.print(f"  {line}", highlight=False, markup=False)
    return EXIT_OK


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".part")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as error:
        raise ConsilienceError(f"{path}: cannot write report: {error.strerror}") from None


def run() -> None:
    """Console-script entry point."""
    try:
        code = main()
    except Exception as error:  # the last line of defence: one line, not a traceback
        print(f"consilience: internal error: {type(error).__name__}: {error} (please report it)", file=sys.stderr)
        code = EXIT_INTERNAL
    sys.exit(code)


if __name__ == "__main__":
    run()
