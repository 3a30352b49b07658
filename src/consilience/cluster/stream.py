"""Cluster stage: file each article under a story the moment it arrives.

:class:`StreamClusterer` keeps the *active* stories (those that changed
recently) with their summed signals. A new article is compared with the
active stories nearest to it (dense retrieval, restricted to the time window
when both are dated) by the pair model; it joins the most probable one if
the probability clears the model's threshold, else it starts a story. Then:

- if the article also matches a second story well, the two stories are
  compared as wholes and merged when the model says they are one event;
- members that joined a story on weak evidence are re-checked against the
  grown story and split off again when they no longer fit (a wrong join undone);
- stories idle for longer than the window, or beyond the active capacity, are
  retired to an archive (the store, or a bounded in-memory one) from which a
  later article can reopen them.

Every change is reported as a :class:`ClusterEvent`; :class:`StoryLedger`
replays events into the current article -> story map, so the clusterer itself
holds nothing but the active window.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from ..embed import Embedder, Vectors, get_embedder, get_multilingual_embedder
from ..model import Article, Evidence, LookAlike, Membership, Story
from ..settings import DEFAULT_SETTINGS, Settings
from .neardup import NearDuplicateIndex
from .pairs import PairModel, StoryState, pair_features, rivals
from .signals import ArticleSignals, SignalExtractor, TermStats

EventKind = Literal["new", "join", "republished", "merge", "move", "retire", "reopen"]


@dataclass(frozen=True)
class ClusterEvent:
    """One change to the clustering.

    ``new``/``join``/``republished``: ``article`` is now in ``story`` (for
    ``republished``, ``other`` is the article it copies); ``merge``: story
    ``other`` was absorbed into ``story``; ``move``: ``article`` left ``other``
    for ``story``; ``retire``/``reopen``: ``story`` left or re-entered the
    active window.
    """

    kind: EventKind
    story: str
    article: str | None = None
    other: str | None = None
    probability: float | None = None


class StoryArchive(Protocol):
    """Where retired stories go, and where a late article can find them again."""

    def retire(self, state: StoryState) -> None:
        """Keep ``state`` out of the active window."""
        ...

    def candidates(self, signals: ArticleSignals, limit: int, named: int = 0, at_least: int = 1) -> list[StoryState]:
        """Retired stories that might match ``signals`` (they stay archived).

        The ``limit`` nearest by centroid, best first, then up to ``named``
        more that share the most of its names, at least ``at_least`` of them.
        """
        ...

    def reopen(self, story_id: str) -> StoryState | None:
        """Take a retired story back out of the archive."""
        ...

    def peek(self, story_id: str) -> StoryState | None:
        """A retired story, left in the archive (None when the archive does not hold it)."""
        ...


class MemoryArchive:
    """The most recent ``limit`` retired stories, held in memory (older ones are forgotten).

    Their centroids sit in one matrix, so finding the archived stories nearest
    to an article (within ``window_days`` of it when both are dated) is one
    matrix product, not a pass over every archived story.
    """

    def __init__(self, limit: int = 2000, window_days: float | None = None) -> None:
        self.limit = limit
        self.window_days = window_days
        self._states: OrderedDict[str, StoryState] = OrderedDict()
        self._index: StoryIndex | None = None

    def retire(self, state: StoryState) -> None:
        """Archive ``state``, dropping the oldest archived story beyond the limit."""
        if state.dense_sum is None:
            return
        if self._index is None:
            self._index = StoryIndex(len(state.dense_sum), capacity=min(self.limit, 1024) or 1)
        self._states[state.id] = state
        self._index.update(state)
        while len(self._states) > self.limit:
            old, _ = self._states.popitem(last=False)
            self._index.remove(old)

    def candidates(self, signals: ArticleSignals, limit: int, named: int = 0, at_least: int = 1) -> list[StoryState]:
        """Archived stories with the closest centroids, then those sharing the most names (within the time window
        when one is set)."""
        if self._index is None or not self._states:
            return []
        time = signals.time if self.window_days is not None else None
        ids = self._index.nearest(signals.dense, limit, time, self.window_days or 0.0) if limit > 0 else []
        ids += self._index.named(signals.names, named, ids, at_least, time, self.window_days or 0.0)
        return [self._states[i] for i in ids]

    def reopen(self, story_id: str) -> StoryState | None:
        """Remove and return an archived story."""
        state = self._states.pop(story_id, None)
        if state is not None and self._index is not None:
            self._index.remove(story_id)
        return state

    def peek(self, story_id: str) -> StoryState | None:
        """An archived story, left in place."""
        return self._states.get(story_id)

    def states(self) -> list[StoryState]:
        """Every story the archive holds, oldest retired first."""
        return list(self._states.values())

    def __len__(self) -> int:
        return len(self._states)


class StreamClusterer:
    """Assigns articles to stories one at a time; see the module docstring."""

    def __init__(
        self,
        settings: Settings = DEFAULT_SETTINGS,
        embedder: Embedder | None = None,
        multilingual: Embedder | Literal["auto"] | None = "auto",
        model: PairModel | None = None,
        archive: StoryArchive | None = None,
    ) -> None:
        self.settings = settings
        self.multilingual = get_multilingual_embedder() if multilingual == "auto" else multilingual
        self.extractor = SignalExtractor(
            embedder or get_embedder(settings.cluster_embedder),
            settings.cluster_lead_chars,
            multilingual=self.multilingual,
        )
        self.model = model or PairModel.chosen(settings.cluster_pair_model, self.extractor.embedder.name)
        self.archive: StoryArchive = (
            archive if archive is not None else MemoryArchive(settings.cluster_archive_limit, _reopen_days(settings))
        )
        self.stats = TermStats()
        self.near_duplicates = NearDuplicateIndex(settings.near_duplicate_jaccard)
        self.active: dict[str, StoryState] = {}
        self.story_of_article: dict[str, str] = {}  # active articles only
        self.clock: float | None = None  # latest publication time seen (days)
        self.position = 0
        self.next_story_number = 1
        self._join_probability: dict[str, float] = {}
        self._index = StoryIndex(self.extractor.embedder.dimension)
        self._consolidated_at = 0
        # editors' decisions (move_by_editor): the story an article was put in, never moved by the re-check, and the
        # stories its story may not merge with; story ids follow merges
        self.editor_home: dict[str, str] = {}
        self.kept_apart: dict[str, set[str]] = {}

    # -- feeding ------------------------------------------------------------------------------------------------
    def add(self, article: Article) -> list[ClusterEvent]:
        """File one article; returns what changed."""
        return self.add_signals(self.extractor.extract([article])[0], article.duplicate_of)

    def add_many(self, articles: Sequence[Article], batch: int = 256) -> Iterator[list[ClusterEvent]]:
        """File articles in the given order, embedding them ``batch`` at a time; yields each one's events."""
        for begin in range(0, len(articles), batch):
            chunk = articles[begin : begin + batch]
            for article, signals in zip(chunk, self.extractor.extract(chunk), strict=True):
                yield self.add_signals(signals, article.duplicate_of)

    def add_signals(
        self, signals: ArticleSignals, duplicate_of: str | None = None, position: int | None = None
    ) -> list[ClusterEvent]:
        """File one article given its signals.

        ``position`` (from 1) is the article's place in a larger stream this
        clusterer sees part of (a Spark partition): consolidation passes then
        fall where they would in the whole stream, after every
        ``cluster_consolidate_every`` articles of it.
        """
        previous = self.position
        self.position = previous + 1 if position is None else max(position, previous + 1)
        if signals.time is not None:
            self.clock = signals.time if self.clock is None else max(self.clock, signals.time)
        self.stats.add(list(signals.terms.keys() | signals.names))
        signals.lexical = self.stats.lexical_vector(signals.terms)
        # stories the advanced clock leaves idle go to the archive first, where this article can reopen one: kept
        # active, a story idle beyond the window is no candidate at all (a sparse stream's follow-up weeks later)
        events: list[ClusterEvent] = self._retire_idle()
        original = duplicate_of if duplicate_of in self.story_of_article else None
        original = original or self.near_duplicates.find(signals)
        self.near_duplicates.add(signals)
        if original is not None and original in self.story_of_article:
            state = self.active[self.story_of_article[original]]
            self._add_member(state, signals, 1.0)
            events.append(ClusterEvent("republished", state.id, signals.id, original, 1.0))
        else:
            events.extend(self._place(signals))
        every = self.settings.cluster_consolidate_every
        if self.position // every > previous // every:
            events.extend(self.consolidate())
        events.extend(self._retire_idle())
        return events

    def consolidate(self) -> list[ClusterEvent]:
        """Merge active stories that changed since the last pass with their nearest stories, as wholes.

        An article is compared with a story as it stood when the article
        arrived; once both sides have grown, their centroids, names and
        numbers say more, and two halves of one event can be recognised.
        """
        events: list[ClusterEvent] = []
        changed = [s for s in self.active.values() if s.last_seen > self._consolidated_at]
        self._consolidated_at = self.position
        for state in sorted(changed, key=lambda s: s.size):
            if state.id not in self.active:
                continue
            nearest = self._index.nearest(state.centroid, self.settings.cluster_merge_checks + 1, None, 0.0)
            best: tuple[float, StoryState] | None = None
            for other_id in nearest:
                if other_id == state.id or other_id not in self.active:
                    continue
                other = self.active[other_id]
                if _far_apart(state, other, self.settings.cluster_window_days) or self._kept_apart(state, other):
                    continue
                threshold = self.settings.cluster_lone_merge if state.size == 1 else self.model.threshold
                probability = self._probability(*self._as_wholes(state, other), self._rival(state, other), threshold)
                if probability >= threshold and (best is None or probability > best[0]):
                    best = (probability, other)
            if best is not None:
                self._merge(state, best[1], best[0], events)
        return events

    def look_alikes(
        self, stories: Sequence[StoryState], limit: int | None = None, of: Iterable[str] | None = None
    ) -> dict[str, list[LookAlike]]:
        """For each of ``stories``, the others nearest to it and the pair model's probability that they are one event.

        What a reader checks when two stories read alike: the ``limit`` nearest
        by centroid cosine (default ``cluster_look_alikes``), from
        ``cluster_look_alike_cosine`` up, most alike first, each pair scored as
        wholes as consolidation scores them. Stories further apart in time than
        the window are listed with no probability: the clusterer never merges
        them (the same island's quake three years earlier); two stories an
        editor keeps apart are not listed. The rival of a
        dated pair (the ``dense_margin`` feature) is the story's best other
        story among ``stories`` within the window. ``of``: only the look-alikes
        of these story ids (default: of every story).
        """
        limit = self.settings.cluster_look_alikes if limit is None else limit
        wanted = None if of is None else set(of)
        rows = [i for i, state in enumerate(stories) if wanted is None or state.id in wanted]
        found: dict[str, list[LookAlike]] = {stories[i].id: [] for i in rows}
        if limit <= 0 or len(stories) < 2:
            return found
        centroids = np.stack([state.centroid for state in stories])
        nan = float("nan")
        firsts = np.array([nan if s.first is None else s.first for s in stories])
        lasts = np.array([nan if s.last is None else s.last for s in stories])
        window = self.settings.cluster_window_days
        block = 512
        for begin in range(0, len(rows), block):
            chunk = rows[begin : begin + block]
            for row, cosines in zip(chunk, centroids[chunk] @ centroids.T, strict=True):
                cosines[row] = -np.inf
                nearest = np.argsort(-cosines, kind="stable")[:limit]
                chosen = [int(i) for i in nearest if cosines[i] >= self.settings.cluster_look_alike_cosine]
                if self.kept_apart:  # two stories an editor split are two events: nothing left for a reader to check
                    chosen = [i for i in chosen if not self._kept_apart(stories[row], stories[i])]
                if not chosen:
                    continue
                # days between the spans; NaN when either side is undated, and NaN compares False: never apart
                gaps = np.maximum(np.maximum(firsts - lasts[row], firsts[row] - lasts), 0.0)
                near = np.where(gaps > window, -np.inf, cosines)
                best, runner_up = np.argsort(-near, kind="stable")[:2]
                compared = [i for i in chosen if not gaps[i] > window]
                rival = [max(float(near[runner_up if i == best else best]), 0.0) for i in compared]
                state = stories[row]
                sides = [self._as_wholes(state, stories[i]) for i in compared]
                whole = [k for k, (a, b) in enumerate(sides) if a is state and b is stories[compared[k]]]
                scored = self._probabilities(state, [sides[k][1] for k in whole], [rival[k] for k in whole])
                probability = {compared[k]: p for k, p in zip(whole, scored, strict=True)}
                for k, (a, b) in enumerate(sides):  # a lone article and a story's core (_as_wholes): undated, no rival
                    if compared[k] not in probability:
                        probability[compared[k]] = self._probability(a, b)
                found[state.id] = [
                    LookAlike(
                        stories[i].id,
                        round(float(cosines[i]), 4),
                        round(probability[i], 4) if i in probability else None,
                        None if np.isnan(gaps[i]) else round(float(gaps[i]), 1),
                    )
                    for i in chosen
                ]
        return found

    def memberships(self, state: StoryState) -> list[Membership]:
        """Each article ``state`` holds against the rest of it: how firmly it belongs, and the signals why.

        Scored as the clusterer re-checks a weak join (the article alone
        against the other members, with the best other active story as rival)
        and, either side undated, against the members nearest to it, as
        consolidation files a lone report (:meth:`_as_wholes`): a low
        probability marks an article that joined on evidence its story, as it
        stands, no longer gives. Stories of one article get none; of a story
        longer than the clusterer holds, its most recent members only.
        """
        if len(state.members) < 2:
            return []
        embed = self._embed_multilingual if self.multilingual else None
        found = []
        for member in state.members:
            rest = StoryState.of(state.id, [m for m in state.members if m is not member])
            single = StoryState.of("", [member])
            regime, features = pair_features(
                *self._as_wholes(single, rest), self.stats, embed, self._rival(single, state)
            )
            bias, effects = self.model.evidence(regime, features)
            found.append(
                Membership(
                    member.id,
                    round(self.model.probability(regime, features), 4),
                    regime,
                    round(bias, 4),
                    [Evidence(name, round(value, 4), round(logit, 4)) for name, value, logit in effects],
                )
            )
        return found

    # -- decisions ----------------------------------------------------------------------------------------------
    def _place(self, signals: ArticleSignals) -> list[ClusterEvent]:
        single = StoryState.of("", [signals])
        candidates = self._candidates(signals)
        rival = rivals([float(np.dot(c.centroid, signals.dense)) for c in candidates])
        threshold = self.model.threshold
        scored = sorted(
            zip(self._probabilities(single, candidates, rival, threshold), candidates, strict=True),
            key=lambda x: -x[0],
        )
        events: list[ClusterEvent] = []
        if not scored or scored[0][0] < threshold:
            state = StoryState(self._new_story_id())
            self._activate(state)
            self._add_member(state, signals, 0.0)
            return [ClusterEvent("new", state.id, signals.id)]
        probability, state = scored[0]
        if state.id not in self.active:
            reopened = self.archive.reopen(state.id)
            if reopened is not None:
                self._activate(reopened)
                for member in reopened.members:
                    self.story_of_article[member.id] = reopened.id
                    self.near_duplicates.add(member)
                events.append(ClusterEvent("reopen", reopened.id))
        self._add_member(state, signals, probability)
        events.append(ClusterEvent("join", state.id, signals.id, probability=probability))
        for other_probability, other in scored[1 : self.settings.cluster_merge_checks + 1]:
            if other_probability < threshold or other.id not in self.active or other.id == state.id:
                continue
            if _far_apart(state, other, self.settings.cluster_window_days) or self._kept_apart(state, other):
                continue
            merged = (
                self._probability(state, other, self._rival(state, other), threshold)
                if state.id in self.active
                else 0.0
            )
            if merged >= threshold:
                state = self._merge(state, other, merged, events)
        events.extend(self._recheck_weak_members(state))
        return events

    def _probabilities(
        self, a: StoryState, others: Sequence[StoryState], rivals: Sequence[float], floor: float = 0.0
    ) -> list[float]:
        """The pair model's probability of ``a`` with each of ``others`` (``rivals``: see :func:`pair_features`).

        Where the caller acts only from ``floor`` up, a pair across languages
        that cannot reach it is 0 without multilingual vectors
        (:meth:`PairModel.scored`); events and look-alikes carry exact ones.
        """
        embed = self._embed_multilingual if self.multilingual else None
        return [probability for _, probability in self.model.scored(a, others, self.stats, embed, rivals, floor)]

    def _probability(self, a: StoryState, b: StoryState, rival: float = 0.0, floor: float = 0.0) -> float:
        return self._probabilities(a, [b], [rival], floor)[0]

    def _as_wholes(self, a: StoryState, b: StoryState) -> tuple[StoryState, StoryState]:
        """The two sides compared when ``a`` and ``b`` are scored as wholes (consolidation, look-alikes).

        A lone article and a larger story, either undated, meet as the article and
        the ``cluster_lone_core`` members of the story nearest to it: the undated
        regimes' ``size`` weight, fitted where a story's undated articles come
        together, takes 4 (excerpts) to 10 (full articles) logits off a pairing
        with a story of a dozen, and a straggler that matches the members most
        like it is a report of that story (docs/benchmarks.md, "A lone article
        against a story's core").
        """
        core = self.settings.cluster_lone_core
        lone, story = (a, b) if a.size <= b.size else (b, a)
        if core <= 0 or lone.size != 1 or story.size <= core or len(story.members) < core:
            return a, b
        if lone.last is not None and story.last is not None:
            return a, b
        nearest = _nearest_members(story, lone.centroid, core)
        return (lone, nearest) if lone is a else (nearest, lone)

    def _rival(self, state: StoryState, other: StoryState) -> float:
        """Best centroid cosine between ``state`` and an active story, within the time window, other than ``other``.

        What ``other`` has to stand out from when the two are compared as wholes
        (the ``dense_margin`` feature); an article's rivals are the other candidates.
        """
        if state.last is None or other.last is None:
            return 0.0  # an undated pair has no margin (pair_features): skip the search
        excluded = {state.id, other.id}
        window = self.settings.cluster_window_days
        for story_id in self._index.nearest(state.centroid, len(excluded) + 1, state.last, window):
            if story_id not in excluded and story_id in self.active:
                return float(np.dot(self.active[story_id].centroid, state.centroid))
        return 0.0

    def _candidates(self, signals: ArticleSignals) -> list[StoryState]:
        window = self.settings.cluster_window_days
        ids = self._index.nearest(signals.dense, self.settings.cluster_candidates, signals.time, window)
        named, at_least = self.settings.cluster_name_candidates, self.settings.cluster_name_min_shared
        ids += self._index.named(signals.names, named, ids, at_least, signals.time, window)
        found = [self.active[i] for i in ids]
        archived = self.archive.candidates(signals, self.settings.cluster_archive_candidates, named, at_least)
        if signals.time is None:
            return found + archived
        return near_in_time(found, signals.time, window) + near_in_time(
            archived, signals.time, _reopen_days(self.settings)
        )

    def _merge(self, a: StoryState, b: StoryState, probability: float, events: list[ClusterEvent]) -> StoryState:
        keep, gone = (a, b) if a.size >= b.size else (b, a)
        keep.absorb(gone)
        for member in gone.members:
            self.story_of_article[member.id] = keep.id
        self._forget(keep)
        del self.active[gone.id]
        self._index.remove(gone.id)
        self._index.update(keep)
        keep.last_seen = self.position
        self._follow_merge(gone.id, keep.id)
        events.append(ClusterEvent("merge", keep.id, other=gone.id, probability=probability))
        return keep

    def _recheck_weak_members(self, state: StoryState) -> list[ClusterEvent]:
        """Split off members whose join was weak and that no longer fit the grown story."""
        if state.size < 3 or state.size > self.settings.cluster_recheck_max_size or state.size != len(state.members):
            return []
        events = []
        for member in list(state.members):
            if self._join_probability.get(member.id, 1.0) >= self.settings.cluster_firm_join:
                continue
            if member.id in self.editor_home:
                continue  # an editor put it here
            rest = StoryState.of(state.id, [m for m in state.members if m.id != member.id])
            single = StoryState.of("", [member])
            probability = self._probability(single, rest, self._rival(single, state))
            if probability >= self.settings.cluster_undo_below:
                self._join_probability[member.id] = max(self._join_probability[member.id], probability)
                continue
            rest.last_seen = state.last_seen
            self.active[state.id] = state = rest  # rebuilt sums: every aggregate without the member
            self._index.update(state)
            alone = StoryState(self._new_story_id())
            self._activate(alone)
            self._add_member(alone, member, 0.0)
            events.append(ClusterEvent("move", alone.id, member.id, state.id, probability))
        return events

    def join_probability(self, article_id: str) -> float | None:
        """How firmly an active article joined its story (1.0 for a story's first article)."""
        return self._join_probability.get(article_id)

    def resume_story(self, state: StoryState, join_probabilities: Mapping[str, float]) -> None:
        """Put a stored story back into the active window (a clusterer rebuilt from a store).

        ``state.last_seen`` is kept; members get lexical vectors under the
        current IDF, the near-duplicate index learns them again.
        """
        last_seen = state.last_seen
        state.forgotten.clear()
        for member in state.members:
            member.lexical = self.stats.lexical_vector(member.terms)
            self.story_of_article[member.id] = state.id
            self._join_probability[member.id] = join_probabilities.get(member.id, 1.0)
            self.near_duplicates.add(member)
        state._cache.clear()
        self._activate(state)
        state.last_seen = last_seen

    # -- editors' decisions -------------------------------------------------------------------------------------
    def move_by_editor(
        self,
        article_id: str,
        source: tuple[str, list[ArticleSignals]],
        target: tuple[str | None, list[ArticleSignals]],
        join_probabilities: Mapping[str, float],
    ) -> list[ClusterEvent]:
        """An editor moves ``article_id`` out of its story into another one, or into a story of its own.

        ``source`` and ``target`` give each story's id and every member's
        signals (from the store: a story may be longer than it holds in memory,
        or retired); a target id of None starts a new story. Both stories are
        rebuilt from their members and become active. The decision stands: the
        re-check of weak joins never moves the article, and its story never
        merges with the one it left (nor with a story that absorbs that one);
        moving it back lifts that. ``join_probabilities`` are the other members'
        stored ones. Events: ``move`` (``story`` the target, ``other`` the
        source), then ``merge`` of the source into the target if it is left
        empty.
        """
        source_id, source_members = source
        target_id, target_members = target
        moved = next((m for m in source_members if m.id == article_id), None)
        if moved is None:
            raise ValueError(f"{article_id} is not a member of {source_id}")
        if target_id == source_id:
            raise ValueError(f"{article_id} is already in {source_id}")
        rest = [m for m in source_members if m.id != article_id]
        target_id = target_id or self._new_story_id()
        probabilities = dict(join_probabilities) | {article_id: 1.0}
        for story_id, members in ((source_id, rest), (target_id, [*target_members, moved])):
            self._drop_held(story_id)
            if members:
                state = StoryState.of(story_id, members)
                state.forgotten.clear()
                self.resume_story(state, probabilities)
                state.last_seen = self.position
        events = [ClusterEvent("move", target_id, article_id, source_id, 1.0)]
        self.editor_home[article_id] = target_id
        apart = self.kept_apart.setdefault(article_id, set())
        apart.discard(target_id)
        if rest:
            apart.add(source_id)
        else:
            self._follow_merge(source_id, target_id)
            events.append(ClusterEvent("merge", target_id, other=source_id, probability=1.0))
        return events

    def editor_rules(self) -> dict[str, Any]:
        """The editors' decisions in force, as JSON-ready data (:meth:`restore_editor_rules` reads it)."""
        return {
            "home": dict(self.editor_home),
            "apart": {article: sorted(stories) for article, stories in self.kept_apart.items() if stories},
        }

    def restore_editor_rules(self, rules: Mapping[str, Any]) -> None:
        """Put back the decisions :meth:`editor_rules` gave."""
        self.editor_home = dict(rules.get("home", {}))
        self.kept_apart = {article: set(stories) for article, stories in rules.get("apart", {}).items()}

    def _kept_apart(self, a: StoryState, b: StoryState) -> bool:
        """Whether an editor keeps ``a`` and ``b`` apart: one holds an article moved out of the other."""
        for article, stories in self.kept_apart.items():  # only articles moved out of a story that still exists
            home = self.editor_home.get(article)
            if (home == a.id and b.id in stories) or (home == b.id and a.id in stories):
                return True
        return False

    def _follow_merge(self, gone: str, keep: str) -> None:
        """Editors' decisions that named a story merged away now name the story that absorbed it."""
        for article, home in self.editor_home.items():
            if home == gone:
                self.editor_home[article] = keep
        for stories in self.kept_apart.values():
            if gone in stories:
                stories.discard(gone)
                stories.add(keep)
        for article, home in self.editor_home.items():
            self.kept_apart.get(article, set()).discard(home)

    def _drop_held(self, story_id: str) -> None:
        """Let go of a story the clusterer holds, active or archived (it is rebuilt or gone)."""
        state = self.active.pop(story_id, None)
        if state is None:
            self.archive.reopen(story_id)
            return
        self._index.remove(story_id)
        for member in state.members:
            if self.story_of_article.get(member.id) == story_id:
                del self.story_of_article[member.id]
            self._join_probability.pop(member.id, None)
            self.near_duplicates.remove(member.id)

    # -- bookkeeping --------------------------------------------------------------------------------------------
    def _new_story_id(self) -> str:
        self.next_story_number += 1
        return f"s{self.next_story_number - 1}"

    def _activate(self, state: StoryState) -> None:
        self.active[state.id] = state
        state.last_seen = self.position
        if state.members:
            self._index.update(state)

    def _add_member(self, state: StoryState, signals: ArticleSignals, probability: float) -> None:
        state.add(signals)
        state.last_seen = self.position
        self.story_of_article[signals.id] = state.id
        self._join_probability[signals.id] = probability if state.size > 1 else 1.0
        self._index.update(state)
        self._forget(state)

    def _forget(self, state: StoryState) -> None:
        """Drop what the clusterer holds of members a story no longer keeps (see ``MAX_KEPT_MEMBERS``)."""
        for member in state.forgotten:
            if self.story_of_article.get(member.id) == state.id:
                del self.story_of_article[member.id]
            self._join_probability.pop(member.id, None)
            self.near_duplicates.remove(member.id)
        state.forgotten.clear()

    def _retire_idle(self) -> list[ClusterEvent]:
        events = []
        idle: list[StoryState] = []
        if self.clock is not None:
            horizon = self.clock - self.settings.cluster_window_days
            idle = [self.active[i] for i in self._index.dated_before(horizon)]
        overflow = len(self.active) - len(idle) - self.settings.cluster_max_active
        if overflow > 0:
            chosen = {s.id for s in idle}
            rest = sorted((s for s in self.active.values() if s.id not in chosen), key=lambda s: s.last_seen)
            idle += rest[:overflow]
        for state in idle:
            self.retire(state)
            events.append(ClusterEvent("retire", state.id))
        return events

    def retire(self, state: StoryState) -> None:
        """Move ``state`` out of the active window into the archive."""
        del self.active[state.id]
        self._index.remove(state.id)
        for member in state.members:
            self.story_of_article.pop(member.id, None)
            self._join_probability.pop(member.id, None)
            self.near_duplicates.remove(member.id)
            member.minhash = None
        self.archive.retire(state)

    def _embed_multilingual(self, members: list[ArticleSignals]) -> None:
        assert self.multilingual is not None
        vectors = self.multilingual.encode([m.lead for m in members])
        for member, vector in zip(members, vectors, strict=True):
            member.multilingual = vector


def _reopen_days(settings: Settings) -> float:
    """How far from its span a retired story still takes candidates (never less than the active window)."""
    return max(settings.cluster_window_days, settings.cluster_reopen_days)


def near_in_time(states: list[StoryState], time: float, days: float) -> list[StoryState]:
    """The stories whose span, widened by ``days`` on each side, holds ``time`` (undated stories too)."""
    return [s for s in states if s.last is None or s.first is None or s.first - days <= time <= s.last + days]


def _nearest_members(story: StoryState, vector: Vectors, count: int) -> StoryState:
    """A story of the ``count`` members of ``story`` (of those it still holds) nearest to ``vector``, with its span."""
    members = sorted(story.members, key=lambda member: -float(np.dot(member.dense, vector)))[:count]
    core = StoryState.of(story.id, members)
    core.first, core.last = story.first, story.last
    return core


def _far_apart(a: StoryState, b: StoryState, window: float) -> bool:
    if a.first is None or a.last is None or b.first is None or b.last is None:
        return False
    return b.first - a.last > window or a.first - b.last > window


# a name held by more stories than both of these is left out of retrieval by names: it tells few stories apart (its
# weight is under log(1 + 1 / share)), and its holders need not be walked for every article that names it
NAME_COMMON_HOLDERS = 50
NAME_COMMON_SHARE = 0.05


class StoryIndex:
    """Stories' centroids in one matrix and their names in postings, for retrieving the nearest stories fast.

    By centroid: one matrix product. By names: the stories sharing the most
    of an article's names, each name weighted by how few stories hold it.
    Names survive translation and need no embedding, so they find a story
    the dense vectors miss: a Dutch report, read by English vectors, of a
    story whose centroid mixes four languages, among thousands of stories
    of the same weeks or in the archive.
    """

    def __init__(self, dimension: int, capacity: int = 1024) -> None:
        self.matrix = np.zeros((capacity, dimension), dtype=np.float32)
        self.first = np.full(capacity, np.nan)
        self.last = np.full(capacity, np.nan)
        self.ids: list[str | None] = [None] * capacity
        self.row: dict[str, int] = {}
        self.free: list[int] = list(range(capacity - 1, -1, -1))
        self.used = np.zeros(capacity, dtype=bool)
        self.postings: dict[int, set[str]] = {}  # name -> stories holding it
        # names posted per story: a story that lost a member keeps its postings until it leaves (a superset only
        # adds a candidate), and leaving removes exactly what was posted
        self.posted: dict[str, set[int]] = {}

    def update(self, state: StoryState) -> None:
        """Insert or refresh a story's row and postings."""
        row = self.row.get(state.id)
        if row is None:
            if not self.free:
                self._grow()
            row = self.free.pop()
            self.row[state.id] = row
            self.ids[row] = state.id
            self.used[row] = True
        self.matrix[row] = state.centroid
        self.first[row] = np.nan if state.first is None else state.first
        self.last[row] = np.nan if state.last is None else state.last
        posted = self.posted.setdefault(state.id, set())
        new = state.names.keys() - posted
        for name in new:
            self.postings.setdefault(name, set()).add(state.id)
        posted |= new

    def remove(self, story_id: str) -> None:
        """Drop a story's row and postings."""
        row = self.row.pop(story_id, None)
        if row is not None:
            self.matrix[row] = 0.0
            self.first[row] = self.last[row] = np.nan  # else dated_before() keeps finding the freed row
            self.ids[row] = None
            self.used[row] = False
            self.free.append(row)
        for name in self.posted.pop(story_id, ()):
            holders = self.postings[name]
            holders.discard(story_id)
            if not holders:
                del self.postings[name]

    def named(
        self,
        names: Iterable[int],
        limit: int,
        exclude: Iterable[str] = (),
        at_least: int = 1,
        time: float | None = None,
        window: float = 0.0,
    ) -> list[str]:
        """Ids of up to ``limit`` stories sharing the most of ``names``, a name counting log(1 + stories / holders).

        Only stories holding at least ``at_least`` of the names count, and
        when ``time`` is given only those within ``window`` days of it (or
        undated), as in :meth:`nearest`. Ties go to the story in the lower
        row, so the choice does not depend on the order of a set of strings
        (which changes with the hash seed).
        """
        if limit <= 0 or not self.row:
            return []
        stories = len(self.row)
        common = max(NAME_COMMON_HOLDERS, NAME_COMMON_SHARE * stories)
        walked = [holders for holders in map(self.postings.get, names) if holders and len(holders) <= common]
        shared: Counter[str] = Counter()
        for holders in walked:  # counting in C first: only stories past the floor are scored name by name
            shared.update(holders)
        excluded = set(exclude)
        found = [story_id for story_id, count in shared.items() if count >= at_least and story_id not in excluded]
        if time is not None:
            found = [story_id for story_id in found if not self._outside(self.row[story_id], time, window)]
        weights = [math.log1p(stories / len(holders)) for holders in walked]
        scores = {
            story_id: sum(weight for holders, weight in zip(walked, weights, strict=True) if story_id in holders)
            for story_id in found
        }
        return heapq.nsmallest(limit, found, key=lambda story_id: (-scores[story_id], self.row[story_id]))

    def _outside(self, row: int, time: float, window: float) -> bool:
        """Whether the story in ``row`` is dated and more than ``window`` days from ``time``."""
        return bool(self.first[row] - window > time or self.last[row] + window < time)  # NaN (undated): False

    def nearest(self, vector: np.ndarray, limit: int, time: float | None, window: float) -> list[str]:
        """Ids of up to ``limit`` stories with the highest centroid cosine (within the time window when dated)."""
        if not self.row:
            return []
        scores = self.matrix @ vector
        scores[~self.used] = -np.inf
        if time is not None:
            with np.errstate(invalid="ignore"):
                outside = (self.first - window > time) | (self.last + window < time)
            scores[outside] = -np.inf
        count = min(limit, len(self.row))
        best = np.argpartition(-scores, count - 1)[:count]
        best = best[np.argsort(-scores[best])]
        return [self.ids[i] for i in best if np.isfinite(scores[i]) and self.ids[i] is not None]

    def dated_before(self, horizon: float) -> list[str]:
        """Ids of stories whose latest dated article is older than ``horizon`` (one vector comparison)."""
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero(self.last < horizon)
        return [i for i in (self.ids[r] for r in rows) if i is not None]

    def _grow(self) -> None:
        old = len(self.ids)
        self.matrix = np.vstack([self.matrix, np.zeros_like(self.matrix)])
        self.first = np.concatenate([self.first, np.full(old, np.nan)])
        self.last = np.concatenate([self.last, np.full(old, np.nan)])
        self.ids += [None] * old
        self.used = np.concatenate([self.used, np.zeros(old, dtype=bool)])
        self.free.extend(range(2 * old - 1, old - 1, -1))


class StoryLedger:
    """Replays :class:`ClusterEvent` streams into the current article -> story map."""

    def __init__(self) -> None:
        self.story_of: dict[str, str] = {}
        self._merged_into: dict[str, str] = {}
        self.republished_of: dict[str, str] = {}

    def apply(self, events: Iterable[ClusterEvent]) -> None:
        """Record events in the order they happened."""
        for event in events:
            if event.kind in ("new", "join", "republished", "move") and event.article:
                self.story_of[event.article] = event.story
                if event.kind == "republished" and event.other:
                    self.republished_of[event.article] = event.other
            elif event.kind == "merge" and event.other:
                self._merged_into[event.other] = event.story

    def resolve(self, story_id: str) -> str:
        """The story a (possibly merged) story id now belongs to."""
        seen = []
        while story_id in self._merged_into:
            seen.append(story_id)
            story_id = self._merged_into[story_id]
        for old in seen:  # path compression
            self._merged_into[old] = story_id
        return story_id

    def stories(self, order: Sequence[str] | None = None) -> list[Story]:
        """Stories with their articles (in ``order``, default: first filed first), largest first."""
        grouped: dict[str, list[str]] = {}
        for article in order if order is not None else self.story_of:
            if article in self.story_of:
                grouped.setdefault(self.resolve(self.story_of[article]), []).append(article)
        stories = [Story(id=story_id, articles=members) for story_id, members in grouped.items()]
        return sorted(stories, key=lambda s: -len(s.articles))


def publication_order(articles: Sequence[Article]) -> list[int]:
    """Indices of ``articles`` by publication time; undated articles last, ties and undated in input order."""

    def key(index: int) -> tuple[int, float, int]:
        published = articles[index].published
        if published is None:
            return (1, 0.0, index)
        if published.tzinfo is None:
            published = published.replace(tzinfo=dt.UTC)
        return (0, published.timestamp(), index)

    return sorted(range(len(articles)), key=key)


def cluster_articles(
    articles: Sequence[Article],
    settings: Settings = DEFAULT_SETTINGS,
    embedder: Embedder | None = None,
    clusterer: StreamClusterer | None = None,
    look_alikes: bool = False,
    memberships: bool = False,
) -> list[Story]:
    """Group articles into stories, feeding them once each in publication order.

    ``look_alikes``: also give each story its nearest other stories with the
    probability that they are one event (:meth:`StreamClusterer.look_alikes`).
    ``memberships``: also give each article of a story of several how firmly
    it belongs there, with the signals why (:meth:`StreamClusterer.memberships`).
    """
    keep = look_alikes or memberships
    if clusterer is None:
        archive = KeepingArchive(settings.cluster_archive_limit, _reopen_days(settings)) if keep else None
        clusterer = StreamClusterer(settings, embedder, archive=archive)
    ordered = [articles[i] for i in publication_order(articles)]
    ledger = StoryLedger()
    for events in clusterer.add_many(ordered):
        ledger.apply(events)
    ledger.apply(clusterer.consolidate())
    stories = ledger.stories([a.id for a in ordered])
    story_of = {a: story for story in stories for a in story.articles}
    for article, original in ledger.republished_of.items():
        story_of[article].republished[article] = original
    if not keep:
        return stories
    kept = clusterer.archive.retired if isinstance(clusterer.archive, KeepingArchive) else {}
    states = [clusterer.active.get(s.id) or kept.get(s.id) or clusterer.archive.peek(s.id) for s in stories]
    if look_alikes:
        found = clusterer.look_alikes([state for state in states if state is not None])
        for story in stories:
            story.look_alikes = found.get(story.id, [])
    if memberships:
        for story, state in zip(stories, states, strict=True):
            if state is not None:
                order = {article: rank for rank, article in enumerate(story.articles)}
                story.memberships = sorted(clusterer.memberships(state), key=lambda m: order.get(m.article, len(order)))
    return stories


class KeepingArchive(MemoryArchive):
    """A :class:`MemoryArchive` that also keeps the last state of every story it retired (``retired``).

    For a run over a finite input whose stories are compared with each other
    at the end (:func:`cluster_articles` with look-alikes): the archive itself
    still forgets beyond its limit, so the stories are the same as without it.
    """

    def __init__(self, limit: int = 2000, window_days: float | None = None) -> None:
        super().__init__(limit, window_days)
        self.retired: dict[str, StoryState] = {}

    def retire(self, state: StoryState) -> None:
        """Archive ``state`` and keep it."""
        super().retire(state)
        self.retired[state.id] = state
