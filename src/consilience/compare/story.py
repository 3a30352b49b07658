"""Compare: align the sentences of a story's articles into facts and label them.

Every sentence is a candidate claim. Sentences of different articles are linked
when their embeddings are close (or fairly close with many shared content
words) and one is the other's best match; linked sentences form one fact. A fact
stated by two or more independent articles is ``corroborated``; by one,
``single-source``; and ``conflict`` when two of its sources give incompatible
values for the same slot (a number of the same unit or currency, or the speaker
of the same quote). Conversions ("US$200 billion (S$267.5 billion)") and
rounding are not conflicts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from ..annotate.dates import resolve_dates
from ..annotate.entities import merge_entities, resolve_speaker
from ..annotate.slots import ROLES
from ..embed import Embedder, get_sentence_embedder
from ..model import (
    Article,
    BriefLine,
    Entity,
    Fact,
    FactMention,
    FactStatus,
    Quantity,
    Quote,
    Story,
    StoryComparison,
    TimelineEntry,
)
from ..settings import DEFAULT_SETTINGS, Settings
from .claims import Claim, compatible, content_words, is_strong, other_time, value_dict
from .slots import slot_facts


def compare_story(
    story: Story, articles: Sequence[Article], settings: Settings = DEFAULT_SETTINGS, embedder: Embedder | None = None
) -> StoryComparison:
    """Align the facts of one story's articles; label, brief and date them."""
    by_id = {a.id: a for a in articles}
    members = [by_id[a] for a in story.articles if a in by_id]
    independent = [a for a in members if not a.duplicate_of and a.id not in story.republished]
    entities = merge_entities(members, settings, prefix=f"{story.id}-e")
    _fill_story_dates(story, independent)
    claims = _claims(independent)
    groups, similarity = _align(claims, settings, embedder or get_sentence_embedder(settings.compare_vector_cache))
    facts = [_fact(f"{story.id}-f{n}", [claims[i] for i in group], similarity, group, entities, settings, story.event_date)
             for n, group in enumerate(groups, 1)]  # fmt: skip
    facts += slot_facts(story.id, claims, similarity, settings, story.event_date)
    facts.sort(key=_fact_rank)
    for number, fact in enumerate(facts, 1):
        fact.id = f"{story.id}-f{number}"
    _mark_disputed(facts)
    return StoryComparison(
        story=story,
        entities=entities,
        facts=facts,
        brief=_brief(facts, settings),
        timeline=_timeline(facts, independent),
    )


def _fill_story_dates(story: Story, articles: list[Article]) -> None:
    """Resolve undated articles' relative dates from the story, then pick the event date."""
    anchors = Counter(a.reference_date for a in articles if a.reference_date)
    if anchors:
        anchor, _ = anchors.most_common(1)[0]
        source = next(a for a in articles if a.reference_date == anchor)
        for article in articles:
            if article.reference_date is None:
                article.reference_date = anchor
                article.reference_evidence = (
                    f"same story as {source.id}, which speaks from {anchor} ({source.reference_evidence})"
                )
                resolve_dates(article.text, article.dates, anchor, article.reference_evidence)
    votes: dict[dt.date, float] = defaultdict(float)
    evidence: dict[dt.date, tuple[tuple[bool, int], str]] = {}
    for article in articles:
        for date in article.dates:
            if date.granularity != "day" or date.value is None or article.reference_date is None:
                continue
            gap = (article.reference_date - date.value).days
            if not -1 <= gap <= 7:
                continue  # background dates (last year's events, future plans) are not the event
            weight = 2.0 if date.sentence < 3 else 1.0
            votes[date.value] += weight
            # cite the earliest mention in an article that dates itself, not one resolved from a borrowed day
            rank = (not article.reference_evidence.startswith("same story as"), -date.start)
            if date.value not in evidence or rank > evidence[date.value][0]:
                why = date.evidence.removeprefix(f"'{date.text}': ")
                evidence[date.value] = (rank, f"'{date.text}' in {article.id}: {why}")
    if votes:
        best = max(votes, key=lambda d: (votes[d], d))
        story.event_date = best
        supporters = sorted({a.id for a in articles for d in a.dates if d.value == best and d.granularity == "day"})
        articles_word = "article" if len(supporters) == 1 else "articles"
        story.event_date_evidence = (
            f"{evidence[best][1]}; the day of {len(supporters)} {articles_word}: {', '.join(supporters)}"
        )
    elif anchors:
        story.event_date = anchors.most_common(1)[0][0]
        story.event_date_evidence = "reference day of the articles (no dated event in the text)"


def _claims(articles: list[Article]) -> list[Claim]:
    claims = []
    for article in articles:
        for sentence in article.sentences:
            words = content_words(sentence.text)
            if len(words) < 2:
                continue
            claims.append(Claim(article, sentence.index, sentence.text, sentence.start, sentence.end, words))
    return claims


def _align(claims: list[Claim], settings: Settings, embedder: Embedder) -> tuple[list[list[int]], np.ndarray]:
    """Group claims of different articles that say the same thing (union of best-match links).

    Links are taken strongest first; two groups join only when their sentences match on average
    (``fact_group_mean``), the sentences of one article they would put together say one thing
    (``fact_link``): an article's conviction, escape and shooting sentences, each matched in
    another report, are three facts, not one. Last, a sentence that counts one thing differently
    from another source's in its group, or gives another share, leaves it (:func:`_without_clashing_counts`:
    "25 points and 16 rebounds" and "22 points and nine rebounds" are two games).
    """
    if not claims:
        return [], np.zeros((0, 0), dtype=np.float32)
    vectors = embedder.encode([c.text for c in claims])
    similarity = vectors @ vectors.T
    parent = list(range(len(claims)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_article: dict[str, list[int]] = defaultdict(list)
    for index, claim in enumerate(claims):
        by_article[claim.article.id].append(index)
    score = similarity + settings.fact_overlap_weight * _overlap_matrix(claims)
    counts = [_counts(claim) for claim in claims]
    members: dict[int, list[int]] = {i: [i] for i in range(len(claims))}
    candidates: list[tuple[float, int, int]] = []
    article_ids = list(by_article)
    for a_pos, a in enumerate(article_ids):
        for b in article_ids[a_pos + 1 :]:
            rows, cols = by_article[a], by_article[b]
            block = score[np.ix_(rows, cols)]
            best_col = block.argmax(axis=1)
            best_row = block.argmax(axis=0)
            for r, row in enumerate(rows):
                for c, col in enumerate(cols):
                    mutual = best_col[r] == c and best_row[c] == r
                    one_way = best_col[r] == c or best_row[c] == r
                    value = float(block[r, c])
                    if (mutual and value >= settings.fact_link) or (one_way and value >= settings.fact_link_one_way):
                        candidates.append((value, row, col))
    for _, row, col in sorted(candidates, reverse=True):
        root_a, root_b = find(row), find(col)
        if root_a == root_b:
            continue
        cross = [
            score[i, j] for i in members[root_a] for j in members[root_b] if claims[i].article is not claims[j].article
        ]
        if cross and float(np.mean(cross)) < settings.fact_group_mean:
            continue  # joining would chain two different facts through one sentence
        if any(score[i, j] < settings.fact_link for i in members[root_a] for j in members[root_b]
               if claims[i].article is claims[j].article):  # fmt: skip
            continue  # one source's two sentences in one fact say it alike (headline and lead), else two facts
        parent[root_a] = root_b
        members[root_b].extend(members.pop(root_a))
    groups: dict[int, list[int]] = defaultdict(list)
    for index in range(len(claims)):
        groups[find(index)].append(index)
    return [
        part for group in groups.values() for part in _without_clashing_counts(group, claims, counts, score, settings)
    ], similarity


def _without_clashing_counts(
    group: list[int],
    claims: list[Claim],
    counts: list[dict[str, list[Quantity]]],
    score: np.ndarray,
    settings: Settings,
) -> list[list[int]]:
    """``group``, and apart from it each sentence that counts a thing differently from other sources in it.

    The sentence with the most such clashes leaves first (the least like the rest on a tie), until none is left.
    """
    group = list(group)
    apart: list[list[int]] = []
    while True:
        clashes = {
            i: sum(1 for j in group if claims[i].article is not claims[j].article
                   and counts[j] and _counts_clash(counts[i], counts[j], settings))
            for i in group if counts[i]
        }  # fmt: skip
        worst = max(clashes, key=lambda i: (clashes[i], -float(np.mean([score[i, j] for j in group]))), default=None)
        if worst is None or clashes[worst] == 0:
            return [group, *apart]
        group.remove(worst)
        apart.append([worst])


def _counts(claim: Claim) -> dict[str, list[Quantity]]:
    """The counts a sentence gives, by what they count ("point", "killed"), and its shares (under "%").

    Conversions are left out, and so are ages (a person's: "Subryan, 23" and "Chohan, 59" in one fact are no
    clash) and a toll's part of a list, which counts a subset ("killed two women and a man"; "25 points and 16
    rebounds" count all).
    """
    found: dict[str, list[Quantity]] = defaultdict(list)
    for quantity in claim.article.quantities:
        if quantity.sentence != claim.sentence or quantity.conversion_of is not None:
            continue
        if quantity.part and quantity.slot in ROLES:
            continue
        if quantity.slot and quantity.slot != "age" and quantity.measure == "count":
            found[quantity.slot].append(quantity)
        elif quantity.unit == "percent" and not quantity.part:
            # "stocks plunged 5.4 per cent" and "closed down 3.9 percent": shares are not compared within a fact either
            found["%"].append(quantity)
    return found


def _counts_clash(a: dict[str, list[Quantity]], b: dict[str, list[Quantity]], settings: Settings) -> bool:
    """Whether two sentences count one thing with values neither also gives ("14 rifles" against "six rifles").

    Such sentences speak of two things (two games, one seizure and the warship's total so far) far more often
    than they contradict each other on one: counts of nouns are not set against each
    other within a fact (see :func:`_conflict`), so linking them would show two different statements as one
    corroborated fact. Tolls and other counts with an event role are still set against each other story-wide
    (:mod:`.slots`).
    """
    for slot in a.keys() & b.keys():
        ours, theirs = a[slot], b[slot]
        if any(compatible(x, y, settings) for x in ours for y in theirs):
            continue
        return True
    return False


def _overlap_matrix(claims: list[Claim]) -> np.ndarray:
    """Shared content words of each pair over the smaller sentence's count."""
    size = len(claims)
    overlap = np.zeros((size, size), dtype=np.float32)
    for i in range(size):
        for j in range(i + 1, size):
            shared = len(claims[i].words & claims[j].words)
            if shared:
                overlap[i, j] = overlap[j, i] = shared / min(len(claims[i].words), len(claims[j].words))
    return overlap


def _fact(
    fact_id: str,
    claims: list[Claim],
    similarity: np.ndarray,
    indices: list[int],
    entities: list[Entity],
    settings: Settings,
    event_date: dt.date | None = None,
) -> Fact:
    indices_sorted = sorted(range(len(claims)), key=lambda k: (claims[k].article.id, claims[k].sentence))
    claims = [claims[k] for k in indices_sorted]
    indices = [indices[k] for k in indices_sorted]
    mentions: list[FactMention] = []
    quantities: list[tuple[Claim, Quantity]] = []
    speakers: list[tuple[Claim, Entity | None, Quote]] = []  # claim, speaker entity, the sentence's first quote
    for claim in claims:
        article = claim.article
        own = [q for q in article.quantities if q.sentence == claim.sentence and q.conversion_of is None]
        quantities.extend((claim, q) for q in own)
        quotes = [q for q in article.quotes if q.sentence == claim.sentence]
        speaker_entity = None
        speaker_text = None
        if quotes:
            speaker_text = quotes[0].speaker
            speaker_entity = resolve_speaker(speaker_text, entities)
            for quote in quotes:
                entity = resolve_speaker(quote.speaker, entities)
                quote.speaker_entity = entity.id if entity else None
            speakers.append((claim, speaker_entity, quotes[0]))
        day = next(
            (d for d in article.dates if d.sentence == claim.sentence and d.granularity == "day" and d.value), None
        )
        mentions.append(
            FactMention(
                article=article.id, sentence=claim.sentence, start=claim.start, end=claim.end, text=claim.text,
                value=None, speaker=speaker_entity.name if speaker_entity else speaker_text,
                date=day.value.isoformat() if day and day.value else None,
            )
        )  # fmt: skip
    value = _fact_value(quantities)
    main_dimension = value.pop("dimension") if value else None
    for mention, claim in zip(mentions, claims, strict=True):
        own = [q for c, q in quantities if c is claim]
        if own:  # the figure in the fact's slot first, then money, then other measured figures
            best = min(own, key=lambda q: (q.dimension != main_dimension, q.currency is None, not is_strong(q)))
            mention.value = value_dict(best, claim.article)
    articles = list(dict.fromkeys(c.article.id for c in claims))
    representative = _representative(claims, similarity, indices)
    kind = "statement"
    if speakers and any(quote.direct for _, _, quote in speakers):
        kind = "quote"
    elif any(is_strong(q) for _, q in quantities):
        kind = "quantity"
    elif speakers:
        kind = "quote"
    elif any(m.date for m in mentions):
        kind = "date"
    speaker_names = Counter(e.name for _, e, _ in speakers if e is not None)
    speaker = speaker_names.most_common(1)[0][0] if speaker_names else None
    conflict = _conflict(claims, quantities, speakers, similarity, indices, settings, event_date)
    status = (
        FactStatus.CONFLICT if conflict else FactStatus.CORROBORATED if len(articles) >= 2 else FactStatus.SINGLE_SOURCE
    )
    dates = Counter(m.date for m in mentions if m.date)
    score = float(np.mean([similarity[i, j] for i in indices for j in indices if i < j])) if len(indices) > 1 else 0.0
    return Fact(
        id=fact_id, kind=kind, status=status, text=representative.text, mentions=mentions,  # type: ignore[arg-type]
        speaker=speaker, value=value, date=dates.most_common(1)[0][0] if dates else None, conflict=conflict, score=score,
    )  # fmt: skip


def _fact_value(quantities: list[tuple[Claim, Quantity]]) -> dict[str, object] | None:
    strong = [(c, q) for c, q in quantities if is_strong(q)]
    if not strong:
        return None
    dimension = Counter(q.dimension for _, q in strong).most_common(1)[0][0]
    _claim, quantity = next((c, q) for c, q in strong if q.dimension == dimension)
    return {"amount": quantity.amount, "unit": quantity.unit, "currency": quantity.currency, "dimension": dimension}


def _conflict(
    claims: list[Claim],
    quantities: list[tuple[Claim, Quantity]],
    speakers: list[tuple[Claim, Entity | None, Quote]],
    similarity: np.ndarray,
    indices: list[int],
    settings: Settings,
    event_date: dt.date | None,
) -> str | None:
    """Why two sources of this fact disagree, or None when they do not."""
    index_of = {id(c): i for c, i in zip(claims, indices, strict=True)}
    by_slot: dict[str, list[tuple[Claim, Quantity]]] = defaultdict(list)
    for claim, quantity in quantities:
        if other_time(claim, event_date):
            continue  # "a 6.1 quake in September": a figure about another event or period
        if quantity.slot in ROLES or quantity.part or quantity.measure == "count":
            # figures with an event role are set against each other story-wide (slots.py); parts never; counts of
            # nouns without a role ("two rifles", "17 passes") too often count different things in like sentences
            continue
        if is_strong(quantity) and quantity.measure in _COMPARED_MEASURES:
            by_slot[quantity.measure].append((claim, quantity))
    for slot, values in by_slot.items():
        for a_pos, (claim_a, qa) in enumerate(values):
            for claim_b, qb in values[a_pos + 1 :]:
                if claim_a.article.id == claim_b.article.id:
                    continue
                if similarity[index_of[id(claim_a)], index_of[id(claim_b)]] < settings.conflict_similarity:
                    continue
                if (
                    compatible(qa, qb, settings)
                    or _has_match(claim_a, qb, values, settings)
                    or _has_match(claim_b, qa, values, settings)
                ):
                    continue
                return (
                    f"{claim_a.article.id} says {qa.text}, {claim_b.article.id} says {qb.text} "
                    f"({slot.replace('money:', '')})"
                )
    # a misattribution needs the same quoted words and both speakers named where the quote is attributed: "he
    # said" resolved to the last person named is a guess, and two guesses that differ are no evidence that the
    # sources disagree
    named = [(c, e, q) for c, e, q in speakers
             if e is not None and q.direct and not q.speaker_inferred and e.type == "PERSON"]  # fmt: skip
    for a_pos, (claim_a, ea, quote_a) in enumerate(named):
        for claim_b, eb, quote_b in named[a_pos + 1 :]:
            if (
                claim_a.article.id != claim_b.article.id
                and ea.id != eb.id
                and _same_words(quote_a.text, quote_b.text, settings.speaker_conflict_overlap)
                and not _names(eb, claim_a.text)
                and not _names(ea, claim_b.text)
            ):
                return f"{claim_a.article.id} attributes it to {ea.name}, {claim_b.article.id} to {eb.name}"
    return None


_COMPARED_MEASURES = frozenset({"kg", "t"})  # weights; distances, money and shares need a role (slots.py)


def _same_words(a: str, b: str, share: float) -> bool:
    """Two quotes give the same words: the shorter's content words are (mostly) in the longer."""
    words_a, words_b = content_words(a), content_words(b)
    if len(words_a) > len(words_b):
        words_a, words_b = words_b, words_a
    return len(words_a) >= 3 and len(words_a & words_b) >= share * len(words_a)


def _names(entity: Entity, text: str) -> bool:
    """The sentence names the entity (so it does not give the words to someone else)."""
    return any(len(name) > 2 and name in text for name in [entity.name, *entity.aliases])


def _has_match(claim: Claim, quantity: Quantity, values: list[tuple[Claim, Quantity]], settings: Settings) -> bool:
    """The article of ``claim`` also states a value compatible with ``quantity`` for this fact."""
    return any(c.article.id == claim.article.id and compatible(q, quantity, settings) for c, q in values)


def _representative(claims: list[Claim], similarity: np.ndarray, indices: list[int]) -> Claim:
    """The sentence closest to all the others (ties: the shorter), as the fact's wording."""
    if len(claims) == 1:
        return claims[0]
    scores = [float(np.mean([similarity[i, j] for j in indices if j != i])) for i in indices]
    best = max(range(len(claims)), key=lambda k: (round(scores[k], 2), -len(claims[k].text)))
    return claims[best]


def _fact_rank(fact: Fact) -> tuple[int, int, float, int]:
    """Order: facts several sources share first, then the closest agreement, then the earliest."""
    first_sentence = min(m.sentence for m in fact.mentions)
    status_order = 1 if fact.status == FactStatus.SINGLE_SOURCE else 0
    return (status_order, -len(fact.articles), -fact.score, first_sentence)


def _mark_disputed(facts: list[Fact]) -> None:
    """Point each fact not in conflict at the conflicting slot facts that hold one of its sentences
    (``Fact.disputed_by``).

    Figures with an event role ("stolen", "injured") are set against each
    other story-wide (slots.py), not inside the aligned fact: twelve reports
    that a Paris jeweller was robbed corroborate the robbery, and the amounts
    they give (80 or 85 million euros) are the slot's conflict; a magnitude
    corroborated in a sentence that also gives a disputed toll, likewise.
    """
    conflicts = [f for f in facts if f.slot and f.status == FactStatus.CONFLICT]
    sentences_of = {f.id: {(m.article, m.sentence) for m in f.mentions} for f in conflicts}
    for fact in facts:
        if fact.status == FactStatus.CONFLICT:
            continue
        own = {(m.article, m.sentence) for m in fact.mentions}
        fact.disputed_by = [c.id for c in conflicts if own & sentences_of[c.id]]


def _brief(facts: list[Fact], settings: Settings) -> list[BriefLine]:
    """Best-supported facts first (conflicts and updates always shown), each citing its sources.

    A fact whose every sentence an earlier line already cites is left out: a
    figure's slot fact and the aligned sentences that state it are one line.
    """
    lines: list[BriefLine] = []
    chosen = [f for f in facts if f.status in (FactStatus.CONFLICT, FactStatus.UPDATED)]
    chosen += [f for f in facts if f.status == FactStatus.CORROBORATED]
    chosen += sorted(
        (f for f in facts if f.status == FactStatus.SINGLE_SOURCE and f.kind != "statement"),
        key=lambda f: min(m.sentence for m in f.mentions),
    )
    chosen += sorted(
        (f for f in facts if f.status == FactStatus.SINGLE_SOURCE and f.kind == "statement"),
        key=lambda f: min(m.sentence for m in f.mentions),
    )
    limit = max(settings.brief_lines, sum(f.status in (FactStatus.CONFLICT, FactStatus.UPDATED) for f in facts))
    slot_of = {f.id: f.slot for f in facts}
    cited: set[tuple[str, int]] = set()
    for fact in chosen:
        if len(lines) >= limit:
            break
        sentences = {(m.article, m.sentence) for m in fact.mentions}
        if sentences <= cited:
            continue
        cited |= sentences
        text = fact.text
        if fact.status == FactStatus.CONFLICT and fact.conflict:
            text = f"{text} [sources disagree: {fact.conflict}]"
        elif fact.status == FactStatus.UPDATED and fact.updates:
            steps = " -> ".join(
                f"{u['value']} ({u['published'] or '?'}: {', '.join(u['articles'])})" for u in fact.updates
            )
            text = f"{text} [{fact.slot} updated: {steps}]"
        elif fact.disputed_by:
            slots = ", ".join(dict.fromkeys(str(slot_of[d]) for d in fact.disputed_by))
            text = f"{text} [the figures differ: {slots}]"
        lines.append(BriefLine(text=text, facts=[fact.id], sources=fact.articles, status=fact.status))
    return lines


def _timeline(facts: list[Fact], articles: list[Article]) -> list[TimelineEntry]:
    """Dated facts in date order (day or month precision), citing their sources.

    An entry reads as the sentence that carries the date (a fact's sources may
    word it without one), so the reader sees where the day comes from.
    """
    entries: dict[tuple[str, str], TimelineEntry] = {}
    mention_of_sentence = {(m.article, m.sentence): (f, m) for f in facts for m in f.mentions}
    for article in articles:
        for date in article.dates:
            if date.value is None or date.granularity not in ("day", "month"):
                continue
            found = mention_of_sentence.get((article.id, date.sentence))
            if found is None:
                continue
            fact, mention = found
            label = date.value.isoformat() if date.granularity == "day" else date.value.strftime("%Y-%m")
            key = (label, fact.id)
            entry = entries.get(key)
            if entry is None:
                entries[key] = TimelineEntry(
                    date=label,
                    granularity=date.granularity,
                    text=mention.text,
                    facts=[fact.id],
                    sources=list(fact.articles),
                )
    return sorted(entries.values(), key=lambda e: (e.date, e.facts))
