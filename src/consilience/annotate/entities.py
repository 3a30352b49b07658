"""Named entities: mentions per article, merged across articles into entities with aliases.

Merging rules, in order: the same normalised name; a person's shorter name whose
words all belong to a longer one ("Putin" in "Vladimir Putin", "Wang" in "Wang
Yi"); a spelling variant within edit distance ("Patrusev" / "Patrushev"); and a
role stated next to the name ("Russian President Vladimir Putin" makes "the
President of Russia" and "the Russian head of state" name the same person).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from rapidfuzz import fuzz

from ..model import Article, Entity, EntityMention
from ..settings import DEFAULT_SETTINGS, Settings

ENTITY_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "WORK_OF_ART", "LAW", "PRODUCT"}
_TITLE_WORDS = (
    r"president|vice president|prime minister|premier|chancellor|minister|foreign minister|secretary|spokesman|"
    r"spokeswoman|spokesperson|governor|mayor|senator|general|director|head|chief|leader|king|queen|ambassador|"
    r"chairman|chairwoman|ceo|coach|judge|prosecutor|mr|mrs|ms|dr|sir|lord|pope|prince|princess"
)
_LEADING_TITLE = re.compile(rf"^(?:(?:the|former|then|late|new|acting)\s+)*(?:(?:{_TITLE_WORDS})\.?\s+)+", re.I)
_TITLE_SYNONYMS = {
    "head of state": "president", "president": "president", "prime minister": "prime minister",
    "premier": "prime minister", "head of government": "prime minister", "foreign minister": "foreign minister",
    "minister of foreign affairs": "foreign minister", "top diplomat": "foreign minister",
    "spokesman": "spokesperson", "spokeswoman": "spokesperson", "spokesperson": "spokesperson",
    "chancellor": "chancellor", "king": "king", "queen": "queen", "governor": "governor", "mayor": "mayor",
    "secretary of state": "secretary of state", "defense minister": "defence minister",
    "defence minister": "defence minister", "ceo": "ceo", "chief executive": "ceo", "coach": "coach",
}  # fmt: skip
_ROLE_TITLES = "|".join(sorted((re.escape(t) for t in _TITLE_SYNONYMS), key=len, reverse=True))
_ROLE_BEFORE_NAME = re.compile(rf"(?P<place>[A-Z][a-z]+)\s+(?P<title>{_ROLE_TITLES})\s+$", re.I)
_ROLE_PHRASE = re.compile(
    rf"^(?:the\s+)?(?:(?P<place>[A-Z][a-z]+)(?:'s)?\s+)?(?P<title>{_ROLE_TITLES})(?:\s+of\s+(?P<place2>[A-Z][a-z]+))?$",
    re.I,
)


def mentions_from_doc(doc: Any, offset: int, sentence_of: dict[int, int]) -> list[EntityMention]:
    """Entity mentions of a spaCy ``doc`` whose text starts at ``offset``."""
    mentions = []
    for ent in doc.ents:
        if ent.label_ not in ENTITY_LABELS:
            continue
        text = re.sub(r"(?:'s|’s|')$", "", ent.text.strip()).strip()
        text = re.sub(r"^(the|The)\s+", "", text)
        if len(text) < 2 or not any(c.isalpha() for c in text):
            continue
        start = offset + ent.start_char + ent.text.find(text)
        mentions.append(
            EntityMention(
                text=text,
                label=ent.label_,
                start=start,
                end=start + len(text),
                sentence=sentence_of.get(ent.sent.start, 0),
            )
        )
    return mentions


def normalise_name(name: str) -> str:
    """A mention's comparable form: no leading titles, articles or possessives; folded case."""
    name = _LEADING_TITLE.sub("", name.strip())
    name = re.sub(r"(?:'s|’s)$", "", name)
    return " ".join(name.split()).casefold()


def merge_entities(
    articles: Iterable[Article], settings: Settings = DEFAULT_SETTINGS, prefix: str = "e"
) -> list[Entity]:
    """Merge the articles' mentions into entities; sets ``EntityMention.entity_id`` in place."""
    articles = list(articles)
    forms: Counter[str] = Counter()
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    for article in articles:
        for mention in article.entities:
            key = normalise_name(mention.text)
            if not key:
                continue
            forms[key] += 1
            labels[key][mention.label] += 1
            surfaces[key][mention.text] += 1

    def label_of(key: str) -> str:
        return labels[key].most_common(1)[0][0]

    clusters: list[dict[str, Any]] = []
    key_to_cluster: dict[str, int] = {}
    for key in sorted(forms, key=lambda k: (-len(k.split()), -forms[k], k)):
        label = label_of(key)
        target = _find_cluster(key, label, clusters, settings)
        if target is None:
            clusters.append({"keys": [key], "label": Counter({label: forms[key]}), "tokens": set(key.split())})
            key_to_cluster[key] = len(clusters) - 1
        else:
            clusters[target]["keys"].append(key)
            clusters[target]["label"][label] += forms[key]
            key_to_cluster[key] = target

    entities: list[Entity] = []
    order = sorted(range(len(clusters)), key=lambda i: -sum(forms[k] for k in clusters[i]["keys"]))
    id_of_cluster: dict[int, str] = {}
    for rank, index in enumerate(order, 1):
        cluster = clusters[index]
        all_surfaces: Counter[str] = Counter()
        for key in cluster["keys"]:
            all_surfaces.update(surfaces[key])
        name = max(all_surfaces, key=lambda s: (len(normalise_name(s).split()), all_surfaces[s], -len(s)))
        entity_id = f"{prefix}{rank}"
        id_of_cluster[index] = entity_id
        entities.append(
            Entity(
                id=entity_id,
                name=name,
                type=cluster["label"].most_common(1)[0][0],
                aliases=sorted(s for s in all_surfaces if s != name),
                mentions=sum(all_surfaces.values()),
            )
        )
    for article in articles:
        for mention in article.entities:
            key = normalise_name(mention.text)
            if key in key_to_cluster:
                mention.entity_id = id_of_cluster[key_to_cluster[key]]
    _add_role_aliases(articles, entities)
    return entities


def _find_cluster(key: str, label: str, clusters: list[dict[str, Any]], settings: Settings) -> int | None:
    tokens = set(key.split())
    best: tuple[float, int] | None = None
    for index, cluster in enumerate(clusters):
        cluster_label = cluster["label"].most_common(1)[0][0]
        compatible = (
            cluster_label == label
            or {cluster_label, label} <= {"PERSON", "ORG"}
            or {cluster_label, label} <= {"GPE", "LOC"}
        )
        if not compatible:
            continue
        if key in cluster["keys"]:
            return index
        score = 0.0
        if label in ("PERSON", "ORG") and cluster_label == "PERSON" and tokens <= cluster["tokens"]:
            score = 100.0 + sum(cluster["label"].values())
        elif len(key) >= settings.entity_fuzzy_min_len:
            ratio = max(fuzz.ratio(key, other) for other in cluster["keys"])
            long_tokens = [t for t in cluster["tokens"] if len(t) >= settings.entity_fuzzy_min_len]
            if len(tokens) == 1 and long_tokens and {label, cluster_label} <= {"PERSON", "ORG"}:
                ratio = max(ratio, *(fuzz.ratio(key, t) for t in long_tokens))  # "Patrusev" ~ "Nikolai Patrushev"
            if ratio >= settings.entity_fuzzy_ratio:
                score = ratio
        if score and (best is None or score > best[0]):
            best = (score, index)
    return best[1] if best else None


def role_key(phrase: str) -> tuple[str, str] | None:
    """("russ", "president") for "the President of Russia", "Russian President", "the Russian head of state"."""
    match = _ROLE_PHRASE.match(phrase.strip())
    if not match:
        return None
    place = match.group("place") or match.group("place2") or ""
    title = _TITLE_SYNONYMS[match.group("title").lower()]
    return place[:4].casefold(), title


def _add_role_aliases(articles: list[Article], entities: list[Entity]) -> None:
    """Record "Russian President" as an alias of the person named right after it."""
    by_id = {e.id: e for e in entities}
    for article in articles:
        for mention in article.entities:
            if mention.label != "PERSON" or mention.entity_id is None:
                continue
            before = article.text[max(0, mention.start - 60) : mention.start]
            match = _ROLE_BEFORE_NAME.search(before)
            if match:
                role = f"{match.group('place')} {match.group('title')}"
                entity = by_id[mention.entity_id]
                if role not in entity.aliases and role_key(role):
                    entity.aliases.append(role)


def resolve_speaker(speaker: str | None, entities: list[Entity]) -> Entity | None:
    """The entity a speaker phrase names: by alias, by a person's name part, or by role."""
    if not speaker:
        return None
    key = normalise_name(speaker)
    people = [e for e in entities if e.type == "PERSON"]
    for entity in entities:
        if key in {normalise_name(a) for a in [entity.name, *entity.aliases]}:
            return entity
    tokens = set(key.split())
    candidates = [e for e in people if tokens and tokens <= set(normalise_name(e.name).split())]
    if candidates:
        return max(candidates, key=lambda e: e.mentions)
    wanted = role_key(speaker)
    if wanted:
        for entity in people:
            if any(role_key(alias) == wanted for alias in entity.aliases):
                return entity
    return None
