"""Evaluation: consilience measures itself on labelled public datasets."""

from .datasets import LabelledDataset, load_labelled
from .metrics import ClusteringScores, score_clustering

__all__ = ["ClusteringScores", "LabelledDataset", "load_labelled", "score_clustering"]
