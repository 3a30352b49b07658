"""A self-contained Markdown report."""

from __future__ import annotations

from ..model import Comparison, FactStatus
from .common import (
    STATUS_LABEL,
    cite,
    counted,
    counts,
    look_alike_verdict,
    membership_line,
    membership_reasons,
    source_numbers,
    source_title,
    weak_members,
    weak_sources_note,
)


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_").replace("\n", " ")


def to_markdown(comparison: Comparison) -> str:
    """The full report: sources, then per story the brief, conflicts, timeline and every fact with citations."""
    numbers = source_numbers(comparison)
    out = [
        "# consilience report",
        "",
        "## Sources",
        "",
        "| # | id | outlet | published | language | title |",
        "|---|---|---|---|---|---|",
    ]
    for article in comparison.articles:
        title = source_title(article, 100)
        published = article.published.date().isoformat() if article.published else ""
        out.append(
            f"| {numbers[article.id]} | {_md(article.id)} | {_md(article.outlet or '')} | {published} | "
            f"{article.language or ''} | {_md(title)} |"
        )
    for item in comparison.stories:
        story = item.story
        tally = counts(item)
        out += [
            "",
            f"## Story {story.id}: {counted(len(story.articles), 'article')} {cite(story.articles, numbers)}",
            "",
        ]
        if story.event_date:
            out.append(f"**Event date:** {story.event_date.isoformat()} ({_md(story.event_date_evidence)})")
            out.append("")
        for alike in story.look_alikes:
            out += [f"**Looks like** story {alike.story} (cosine {alike.cosine:.2f}): {look_alike_verdict(alike)}", ""]
        if story.memberships:
            out += [f"**Same event as the rest** {membership_line(story, numbers)}", ""]
        for membership in weak_members(story):
            out += [f"**Weakly filed** {cite([membership.article], numbers)} {_md(membership_reasons(membership))}", ""]
        out.append(
            f"{tally[FactStatus.CORROBORATED]} corroborated, {tally[FactStatus.SINGLE_SOURCE]} single-source, "
            f"{tally[FactStatus.CONFLICT]} conflicting facts."
        )
        out += ["", "### Brief", ""]
        out += [
            f"- **{STATUS_LABEL[line.status]}** {_md(line.text)} {cite(line.sources, numbers)}" for line in item.brief
        ]
        conflicts = [f for f in item.facts if f.status == FactStatus.CONFLICT]
        if conflicts:
            out += ["", "### Conflicts", ""]
            for fact in conflicts:
                caveat = weak_sources_note(fact, story, numbers)
                out.append(f"- **{fact.id}** {_md(fact.conflict or '')}" + (f" *{_md(caveat)}*" if caveat else ""))
                for mention in fact.mentions:
                    out.append(
                        f"  - {cite([mention.article], numbers)} {_md(mention.text)} "
                        f"(sentence {mention.sentence}, chars {mention.start}-{mention.end})"
                    )
        if item.timeline:
            out += ["", "### Timeline", "", "| date | event | sources |", "|---|---|---|"]
            out += [f"| {e.date} | {_md(e.text)} | {cite(e.sources, numbers)} |" for e in item.timeline]
        if item.entities:
            out += ["", "### Entities", ""]
            out += [
                f"- {_md(e.name)} ({e.type})" + (f": also {_md(', '.join(e.aliases))}" if e.aliases else "")
                for e in item.entities[:30]
            ]
        out += ["", "### All facts", "", "| id | status | kind | fact | sources |", "|---|---|---|---|---|"]
        out += [
            f"| {f.id} | {STATUS_LABEL[f.status]} | {f.kind} | {_md(f.text)} | {cite(f.articles, numbers)} |"
            for f in item.facts
        ]
    if comparison.warnings:
        out += ["", "## Notes", ""] + [f"- {_md(w)}" for w in comparison.warnings]
    return "\n".join(out) + "\n"
