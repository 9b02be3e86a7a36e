"""Flesch-Kincaid grade level, small and dependency-free, for checking text the person reads.

Syllables are counted by vowel groups with the usual English adjustments (silent final "e",
"-le" endings, "-ed" and "-es" that add no syllable); good enough to tell grade 6 from grade 10."""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[.!?:]+|\n\s*\n|\n")


def syllables(word: str) -> int:
    word = word.lower()
    if len(word) <= 3:
        return 1
    word = re.sub(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$", "", word)
    word = re.sub(r"^y", "", word)
    return max(1, len(re.findall(r"[aeiouy]+", word)))


def grade(text: str) -> float:
    sentences = [s for s in _SENTENCE_END.split(text) if _WORD.search(s)]
    words = _WORD.findall(text)
    if not words:
        return 0.0
    count = sum(syllables(w) for w in words)
    return 0.39 * (len(words) / max(1, len(sentences))) + 11.8 * (count / len(words)) - 15.59
