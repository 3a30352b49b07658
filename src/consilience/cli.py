"""Command-line interface: ``consilience compare`` and ``consilience stories``.

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "compare":
            return _compare(args)
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
    from .annotate import annotate_articles
    from .clean import clean_article
    from .cluster import cluster_articles
    from .ingest import read_inputs

    read = read_inputs(args.paths, strict=args.strict)
    for warning in read.warnings:
        print(f"consilience: note: {warning}", file=sys.stderr)
    if not read.articles:
        raise NoArticlesError("no articles found in " + ", ".join(args.paths))
    articles = annotate_articles([clean_article(a) for a in read.articles])
    stories = cluster_articles(articles)
    if args.json:
        payload = {"stories": [{"id": s.id, "articles": s.articles, "size": len(s.articles)} for s in stories]}
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        titles = {a.id: a.title or (a.sentences[0].text if a.sentences else "") for a in articles}
        for story in stories:
            print(f"{story.id}: {len(story.articles)} article(s)")
            for article_id in story.articles:
                print(f"  {article_id}  {titles[article_id][:80]}")
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
