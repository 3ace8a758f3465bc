"""Question-to-library matching engine (pure Python; numpy; optional sentence embeddings).

    index = MatchIndex(entries)
    result = index.match("Do you support SSO?")
    result.candidates[0].ref, result.confidence, result.answerable
"""
from answers.matching.index import MatchIndex
from answers.matching.model import AUTOFILL_THRESHOLD, Candidate, LibraryEntry, MatchResult

__all__ = ["AUTOFILL_THRESHOLD", "Candidate", "LibraryEntry", "MatchIndex", "MatchResult"]
