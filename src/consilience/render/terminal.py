"""A readable terminal report (rich), sized to the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..model import Comparison, FactStatus
from .common import (
    STATUS_LABEL,
    cite,
    counted,
    counts,
    look_alike_verdict,
    membership_line,
    membership_reasons,
    notable_single_source,
    source_numbers,
    source_title,
    weak_members,
    weak_sources_note,
)

_STYLE = {
    FactStatus.CORROBORATED: "green",
    FactStatus.SINGLE_SOURCE: "yellow",
    FactStatus.CONFLICT: "bold red",
    FactStatus.UPDATED: "cyan",
}


def print_report(comparison: Comparison, console: Console | None = None, single_source_limit: int = 8) -> None:
    """Print sources, then for each story: event date, brief, conflicts, timeline, single-source facts."""
    console = console or Console()
    numbers = source_numbers(comparison)
    sources = Table(title="Sources", show_lines=False, expand=True)
    for column in ("#", "id", "outlet", "published", "lang"):
        sources.add_column(column, no_wrap=True, overflow="ellipsis", max_width=28)
    sources.add_column("title", no_wrap=True, overflow="ellipsis", ratio=1)
    for article in comparison.articles:
        title = source_title(article, 90)
        sources.add_row(
            str(numbers[article.id]),
            escape(article.id),
            escape(article.outlet or "-"),
            article.published.date().isoformat() if article.published else "-",
            article.language or "-",
            escape(title),
        )
    console.print(sources)
    for item in comparison.stories:
        story = item.story
        tally = counts(item)
        console.rule(
            f"[bold]Story {story.id}[/]: {counted(len(story.articles), 'article')} {cite(story.articles, numbers)}"
        )
        if story.event_date:
            console.print(
                f"[bold]Event date[/] {story.event_date.isoformat()}  [dim]{escape(story.event_date_evidence)}[/]"
            )
        for alike in story.look_alikes:
            console.print(
                f"[bold]Looks like[/] story {alike.story} [dim](cosine {alike.cosine:.2f}): {look_alike_verdict(alike)}[/]"
            )
        if story.memberships:
            console.print(f"[bold]Same event as the rest[/] [dim]{membership_line(story, numbers)}[/]")
        for membership in weak_members(story):
            console.print(
                f"[bold yellow]Weakly filed[/] {cite([membership.article], numbers)} "
                f"[dim]{escape(membership_reasons(membership))}[/]"
            )
        console.print(
            f"[green]{tally[FactStatus.CORROBORATED]} corroborated[/] · "
            f"[yellow]{tally[FactStatus.SINGLE_SOURCE]} single-source[/] · "
            f"[red]{tally[FactStatus.CONFLICT]} conflicting[/] facts"
        )
        people = [e for e in item.entities if e.type in ("PERSON", "ORG", "GPE")][:8]
        if people:
            console.print(
                "[bold]Who and where[/] "
                + "; ".join(escape(e.name + (f" ({', '.join(e.aliases[:3])})" if e.aliases else "")) for e in people)
            )
        console.print("\n[bold]Brief[/]")
        for line in item.brief:
            console.print(
                f" • [{_STYLE[line.status]}]{STATUS_LABEL[line.status]}[/] {escape(line.text)} {cite(line.sources, numbers)}"
            )
        conflicts = [f for f in item.facts if f.status == FactStatus.CONFLICT]
        if conflicts:
            console.print("\n[bold red]Conflicts[/]")
            for fact in conflicts:
                console.print(f" [bold]{fact.id}[/] {escape(fact.conflict or '')}")
                caveat = weak_sources_note(fact, story, numbers)
                if caveat:
                    console.print(f"   [yellow]{escape(caveat)}[/]")
                for mention in fact.mentions:
                    value = f" [bold]{escape(str(mention.value['text']))}[/]" if mention.value else ""
                    console.print(f"   {cite([mention.article], numbers)}{value} {escape(mention.text)}")
        if item.timeline:
            console.print("\n[bold]Timeline[/]")
            for entry in item.timeline:
                console.print(f" {entry.date:<10} {escape(entry.text)} {cite(entry.sources, numbers)}")
        single = notable_single_source(item, single_source_limit)
        if single:
            console.print("\n[bold]Only one source says[/]")
            for fact in single:
                console.print(f" • {escape(fact.text)} {cite(fact.articles, numbers)}")
    for warning in comparison.warnings:
        console.print(f"[dim]note: {escape(warning)}[/]")
