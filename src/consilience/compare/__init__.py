"""Compare: what a story's sources agree on, what only one says, where they clash.

- :mod:`.story` aligns the sentences of a story's articles into facts (by meaning,
  across paraphrase and translation), labels them, and writes the brief and the
  timeline;
- :mod:`.slots` sets figures of the same slot (what is counted or measured, at
  what time) against each other across the whole story: corroborated, conflict,
  or updated (a value that changed in later reports).
"""

from .story import compare_story, content_words

__all__ = ["compare_story", "content_words"]
