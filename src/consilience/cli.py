"""Command-line interface: ``consilience compare``, ``stories`` and ``evaluate``.

Exit codes: 0 success (inputs that could not be read are reported on stderr),
1 unexpected internal error, 2 bad command line, 3 an input could not be read
(with ``--strict``, or when every input failed), 4 no articles in the inputs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import ConsilienceError, InputError, NoArticlesError
from .model import Article, Story

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_INPUT, EXIT_NO_ARTICLES = 0, 1, 2, 3, 4


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (kept separate so docs and tests can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="consilience", description="Lay news reports of the same event side by side, fact by fact."
    )
    parser.add_argument("--version", action="version", version=f"consilience {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    compare = commands.add_parser("compare", help="compare articles: agreement, single-source facts, conflicts")
    compare.add_argument("paths", nargs="+", metavar="PATH", help="text, HTML, JSONL or CSV files, folders or globs")
    compare.add_argument(
        "--json", action="store_true", help="print the machine form (docs/json.md) instead of the report"
    )
    compare.add_argument("--markdown", metavar="FILE", help="also write a Markdown report to FILE")
    compare.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report to FILE")
    compare.add_argument("--strict", action="store_true", help="stop at the first input that cannot be read")
    compare.add_argument("--no-cleaning-log", action="store_true", help="leave the cleaning edits out of --json")
    stories = commands.add_parser("stories", help="group articles into stories (events)")
    stories.add_argument("paths", nargs="+", metavar="PATH")
    stories.add_argument("--json", action="store_true", help='print {"stories": [{"id", "articles": [...]}]}')
    stories.add_argument("--strict", action="store_true")
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
    clustering.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "compare":
            return _compare(args)
        if args.command == "evaluate":
            return _evaluate_clustering(args)
        return _stories(args)
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
    comparison = compare_paths(args.paths, strict=args.strict, progress=interactive)
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

    read = read_inputs(args.paths, strict=args.strict)
    for warning in read.warnings:
        print(f"consilience: note: {warning}", file=sys.stderr)
    articles = [a for a in (clean_article(a) for a in read.articles) if a.text.strip()]
    if not articles:
        raise NoArticlesError("no articles found in " + ", ".join(args.paths))
    warnings: list[str] = []
    mark_duplicates(articles, warnings)
    stories = cluster_articles(articles)
    by_id = {a.id: a for a in articles}
    if args.json:
        payload = {"stories": [_story_json(story, by_id) for story in stories]}
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for story in stories:
            print(f"{story.id}: {len(story.articles)} article(s)")
            for article_id in story.articles:
                article = by_id[article_id]
                copy = story.republished.get(article_id) or article.duplicate_of
                note = f"  [copy of {copy}]" if copy else ""
                print(f"  {article_id}  {(article.title or article.text).splitlines()[0][:80]}{note}")
    return EXIT_OK


def _story_json(story: Story, by_id: dict[str, Article]) -> dict[str, object]:
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
    }


def _evaluate_clustering(args: argparse.Namespace) -> int:
    from .evaluate.clustering import BASELINES, METHODS, OURS, MethodResult, evaluate_clustering
    from .evaluate.datasets import load_labelled

    methods = [OURS, *BASELINES] if args.methods == "all" else [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ConsilienceError(f"--methods: unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}")
    dataset = load_labelled(args.dataset, field=args.field)
    print(
        f"{dataset.name}: {len(dataset.articles)} articles, {dataset.stories} gold stories; running {', '.join(methods)}",
        file=sys.stderr,
    )

    def report(result: MethodResult) -> None:
        if result.error:
            print(f"  {result.method}: {result.error}", file=sys.stderr)
        else:
            print(f"  {result.method}: done in {result.seconds:.1f} s", file=sys.stderr)

    results = evaluate_clustering(dataset, methods, args.shuffle_undated, on_result=report)
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
            f"{r.articles_per_second:.0f}", f"{r.peak_rss_mb:.0f}", r.setting,
        )  # fmt: skip
    Console(width=None if sys.stdout.isatty() else 160).print(table)
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
