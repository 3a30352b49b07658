"""Annotate: language, sentences, entities, quotes, quantities and dates of cleaned articles.

One spaCy pass per article (``nlp.pipe`` over paragraph chunks) gives sentences,
entity mentions and the parse the quote finder needs; quantities and dates are
rule-based over the cleaned text. All offsets index ``Article.text``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ..model import Article, Sentence, sentence_index
from ..settings import DEFAULT_SETTINGS, Settings
from .dates import extract_dates, infer_reference, resolve_dates
from .entities import mentions_from_doc, merge_entities, resolve_speaker
from .language import detect_language
from .nlp import chunk_text, load_pipeline
from .quantities import extract_quantities
from .quotes import TITLE_ABBREVIATIONS, extract_quotes
from .slots import assign_slots

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

__all__ = ["annotate_article", "annotate_articles", "merge_entities", "resolve_dates", "resolve_speaker"]


def annotate_articles(
    articles: Iterable[Article], settings: Settings = DEFAULT_SETTINGS, progress: bool = False
) -> list[Article]:
    """Annotate articles in place (batched through spaCy) and return them."""
    articles = list(articles)
    nlp = load_pipeline(settings.spacy_model)
    jobs = [(article, start, chunk) for article in articles for start, chunk in chunk_text(article.text, settings)]
    for article in articles:
        article.sentences, article.entities, article.quotes = [], [], []
    docs: Iterator[Doc] = nlp.pipe(
        (chunk for _, _, chunk in jobs), batch_size=16, n_process=_processes(len(jobs), settings)
    )
    if progress:
        from rich.progress import track

        docs = iter(track(docs, total=len(jobs), description="Annotating", transient=True))
    for (article, start, _), doc in zip(jobs, docs, strict=True):
        _add_doc(article, doc, start)
    for article in articles:
        _annotate_rules(article, settings)
    return articles


def _processes(chunks: int, settings: Settings) -> int:
    """spaCy worker processes: the setting, or (0) one per core up to 4 once there is enough work to pay for them."""
    if settings.annotate_processes > 0:
        return settings.annotate_processes
    if chunks < settings.annotate_parallel_min:
        return 1
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def annotate_article(article: Article, settings: Settings = DEFAULT_SETTINGS) -> Article:
    """Annotate one article (see :func:`annotate_articles`)."""
    return annotate_articles([article], settings)[0]


def _add_doc(article: Article, doc: Doc, offset: int) -> None:
    sentence_of: dict[int, int] = {}
    for span, joined in _sentences(doc):
        text = span.text.strip()
        if not text:
            continue
        lead = span.text.find(text)
        index = len(article.sentences)
        sentence_of[span.start] = index
        sentence_of.update(dict.fromkeys(joined, index))
        begin = offset + span.start_char + lead
        article.sentences.append(Sentence(index=index, start=begin, end=begin + len(text), text=text))
    for span in doc.sents:
        if span.start not in sentence_of:
            sentence_of[span.start] = max(0, len(article.sentences) - 1)
    mentions = mentions_from_doc(doc, offset, sentence_of)
    article.entities.extend(mentions)
    article.quotes.extend(extract_quotes(doc, offset, article.entities))


# titles written before a name: the parser ends a sentence at "police Const." and the name starts the next one, so
# "Vancouver police Const." alone was a sentence, and a fact with another report's "city police spokesman Const."
_TITLE_AT_END = re.compile(rf"\b(?:{'|'.join(t.capitalize() for t in sorted(TITLE_ABBREVIATIONS))})\.$")


def _sentences(doc: Doc) -> Iterator[tuple[Span, list[int]]]:
    """The parser's sentences, one ending on a title ("Sgt.") joined to the next when that starts on a name.

    Yields each sentence with the starts of the parser's sentences joined into it.
    """
    pending: Span | None = None
    joined: list[int] = []
    for span in doc.sents:
        if pending is not None:
            before = doc[span.start - 1]
            if span[0].text[:1].isupper() and "\n" not in before.text + before.whitespace_:
                joined.append(span.start)
                span = doc[pending.start : span.end]
            else:
                yield pending, joined
                joined = []
            pending = None
        if _TITLE_AT_END.search(span.text.rstrip()):
            pending = span
        else:
            yield span, joined
            joined = []
    if pending is not None:
        yield pending, joined


def _annotate_rules(article: Article, settings: Settings) -> None:
    if not article.language:
        article.language = detect_language(f"{article.title or ''}\n{article.text}", settings)
    for quote in article.quotes:
        quote.sentence = sentence_index(article.sentences, quote.start)
    article.quantities = extract_quantities(article.text, article.sentences)
    assign_slots(article.text, article.quantities, article.entities, article.sentences)
    article.dates = extract_dates(article.text, article.sentences)
    if article.published is not None:
        reference: dt.date | None = article.published.date()
        evidence = "publication date"
    else:
        reference, evidence = infer_reference(article.text, article.dates)
    article.reference_date, article.reference_evidence = reference, evidence
    resolve_dates(article.text, article.dates, reference, evidence)
