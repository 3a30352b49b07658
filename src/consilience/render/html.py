"""A self-contained HTML report: inline CSS, no scripts, every text escaped."""

from __future__ import annotations

from html import escape

from ..model import Comparison, FactStatus
from .common import (
    STATUS_LABEL,
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

_CSS = """
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
.corroborated{color:#0a6b2a}.single-source{color:#7a5800}.conflict{color:#b00020;font-weight:bold}
.badge{display:inline-block;padding:0 .4rem;border-radius:.3rem;border:1px solid currentColor;font-size:.8rem;margin-right:.4rem}
.cite a{text-decoration:none}.muted{color:#555;font-size:.9rem}details{margin:.3rem 0}
@media (max-width:40rem){body{font-size:15px}td,th{padding:.2rem}}
"""


def _cite(ids: list[str], numbers: dict[str, int]) -> str:
    return "".join(f'<a href="#src-{numbers[a]}">[{numbers[a]}]</a>' for a in ids if a in numbers)


def to_html(comparison: Comparison) -> str:
    """The report as one HTML page that needs nothing else to display."""
    numbers = source_numbers(comparison)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>consilience report</title><style>{_CSS}</style></head><body>",
        "<h1>consilience report</h1><h2>Sources</h2><table><tr><th>#</th><th>id</th><th>outlet</th><th>published</th>"
        "<th>language</th><th>title</th></tr>",
    ]
    for article in comparison.articles:
        title = source_title(article, 120)
        published = article.published.date().isoformat() if article.published else ""
        parts.append(
            f"<tr id='src-{numbers[article.id]}'><td>{numbers[article.id]}</td><td>{escape(article.id)}</td>"
            f"<td>{escape(article.outlet or '')}</td><td>{published}</td><td>{escape(article.language or '')}</td>"
            f"<td>{escape(title)}</td></tr>"
        )
    parts.append("</table>")
    for item in comparison.stories:
        story = item.story
        tally = counts(item)
        parts.append(
            f"<h2>Story {escape(story.id)}: {counted(len(story.articles), 'article')} {_cite(story.articles, numbers)}</h2>"
        )
        if story.event_date:
            parts.append(
                f"<p><strong>Event date:</strong> {story.event_date.isoformat()} "
                f"<span class='muted'>{escape(story.event_date_evidence)}</span></p>"
            )
        for alike in story.look_alikes:
            parts.append(
                f"<p><strong>Looks like</strong> story {escape(alike.story)} "
                f"<span class='muted'>(cosine {alike.cosine:.2f}): {escape(look_alike_verdict(alike))}</span></p>"
            )
        if story.memberships:
            parts.append(
                f"<p><strong>Same event as the rest</strong> <span class='muted'>{escape(membership_line(story, numbers))}"
                "</span></p>"
            )
        for membership in weak_members(story):
            parts.append(
                f"<p><strong>Weakly filed</strong> {_cite([membership.article], numbers)} "
                f"<span class='muted'>{escape(membership_reasons(membership))}</span></p>"
            )
        parts.append(
            f"<p><span class='corroborated'>{tally[FactStatus.CORROBORATED]} corroborated</span> · "
            f"<span class='single-source'>{tally[FactStatus.SINGLE_SOURCE]} single-source</span> · "
            f"<span class='conflict'>{tally[FactStatus.CONFLICT]} conflicting</span></p><h3>Brief</h3><ul>"
        )
        for line in item.brief:
            parts.append(
                f"<li><span class='badge {line.status.value}'>{STATUS_LABEL[line.status]}</span>{escape(line.text)} "
                f"<span class='cite'>{_cite(line.sources, numbers)}</span></li>"
            )
        parts.append("</ul>")
        if item.timeline:
            parts.append("<h3>Timeline</h3><table><tr><th>date</th><th>event</th><th>sources</th></tr>")
            parts += [
                f"<tr><td>{e.date}</td><td>{escape(e.text)}</td><td>{_cite(e.sources, numbers)}</td></tr>"
                for e in item.timeline
            ]
            parts.append("</table>")
        parts.append("<h3>Facts and their sentences</h3>")
        for fact in item.facts:
            parts.append(
                f"<details><summary><span class='badge {fact.status.value}'>{STATUS_LABEL[fact.status]}</span>"
                f"{escape(fact.text)} {_cite(fact.articles, numbers)}</summary><ul>"
            )
            if fact.conflict:
                parts.append(f"<li class='conflict'>{escape(fact.conflict)}</li>")
                caveat = weak_sources_note(fact, story, numbers)
                if caveat:
                    parts.append(f"<li><strong>{escape(caveat)}</strong></li>")
            for mention in fact.mentions:
                parts.append(
                    f"<li>{_cite([mention.article], numbers)} {escape(mention.text)} "
                    f"<span class='muted'>sentence {mention.sentence}, characters {mention.start}–{mention.end}</span></li>"
                )
            parts.append("</ul></details>")
    if comparison.warnings:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{escape(w)}</li>" for w in comparison.warnings) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
