"""Grade words as Ofsted prints them → stable tokens, and the scale each token belongs to.

A scale is a set of grades Ofsted means to be compared with one another. Change detection
(monitor/) only ever compares two grades on the same scale; ``rank`` is 1 for the best grade.
"""
from __future__ import annotations

import re

# token -> (scale, rank). Lower rank is better. Adequate, satisfactory and requires improvement
# share a rank: Ofsted renamed the third point of its four-point scale twice.
SCALES: dict[str, tuple[str, int]] = {
    "outstanding": ("four_point", 1),
    "good": ("four_point", 2),
    "requires_improvement": ("four_point", 3),
    "adequate": ("four_point", 3),
    "satisfactory": ("four_point", 3),
    "inadequate": ("four_point", 4),
    # Interim inspections of children's homes (2016–2021) judge movement, not a grade.
    "improved_effectiveness": ("interim", 1),
    "sustained_effectiveness": ("interim", 2),
    "declined_effectiveness": ("interim", 3),
    # School report cards (from November 2025): five points, not comparable with four_point.
    "exceptional": ("report_card", 1),
    "strong_standard": ("report_card", 2),
    "expected_standard": ("report_card", 3),
    "needs_attention": ("report_card", 4),
    "urgent_improvement": ("report_card", 5),
    "met": ("safeguarding", 1),
    "not_met": ("safeguarding", 2),
    # Area SEND inspections (2023 framework): three outcomes.
    "send_positive": ("send", 1),
    "send_inconsistent": ("send", 2),
    "send_widespread_failings": ("send", 3),
    "not_judged": ("none", 0),
    # Ungraded school inspections (section 8, 2019–2024): the outcome sentence, not a grade.
    # A move to standards_may_have_declined is an event of its own; never compared with grades.
    "could_be_outstanding": ("ungraded_outcome", 1),
    "standards_maintained": ("ungraded_outcome", 2),
    "standards_may_have_declined": ("ungraded_outcome", 3),
    # Further education, 2023–: contribution to meeting skills needs (three points).
    "strong_contribution": ("skills_needs", 1),
    "reasonable_contribution": ("skills_needs", 2),
    "limited_contribution": ("skills_needs", 3),
}

#: The worst band of each scale: a move into it is serious whatever came before.
WORST = {"four_point": "inadequate", "report_card": "urgent_improvement",
         "safeguarding": "not_met", "send": "send_widespread_failings",
         "interim": "declined_effectiveness",
         "ungraded_outcome": "standards_may_have_declined", "skills_needs": "limited_contribution"}

_WORDS = [  # longest first: "requires improvement to be good" before "good"
    ("requires improvement to be good", "requires_improvement"),
    ("requires improvement", "requires_improvement"),
    ("improved effectiveness", "improved_effectiveness"),
    ("sustained effectiveness", "sustained_effectiveness"),
    ("declined in effectiveness", "declined_effectiveness"),
    ("declined effectiveness", "declined_effectiveness"),
    ("not judged", "not_judged"),
    ("strong standard", "strong_standard"),
    ("expected standard", "expected_standard"),
    ("needs attention", "needs_attention"),
    ("urgent improvement", "urgent_improvement"),
    ("not met", "not_met"),
    ("outstanding", "outstanding"),
    ("inadequate", "inadequate"),
    ("satisfactory", "satisfactory"),
    ("adequate", "adequate"),
    ("exceptional", "exceptional"),
    ("good", "good"),
    ("met", "met"),
]

#: each phrase as a whole-word pattern, compiled once (in _WORDS order: the first match wins)
_WORD_PATTERNS = [(re.compile(r"\b" + re.escape(phrase) + r"\b"), token)
                  for phrase, token in _WORDS]


def normalise_text(text: str) -> str:
    """Fold the typographic noise PDFs carry: NBSPs, curly quotes, dashes, runs of space."""
    text = (text.replace("\u00a0", " ").replace("\u2019", "'").replace("\u2018", "'")
            .replace("\u2013", "-").replace("\u2014", "-").replace("\u2500", "-"))
    return re.sub(r"[ \t]+", " ", text)


def grade_token(words: str) -> str | None:
    """Map a printed grade ("Requires improvement to be good", "Grade 4 Inadequate") to its token.

    Returns None when the text holds no grade word: callers must treat that as unread, not guess.
    """
    text = re.sub(r"\s+", " ", normalise_text(words)).strip().lower()
    for pattern, token in _WORD_PATTERNS:
        if pattern.search(text):
            return token
    return None


def scale_of(token: str) -> str:
    return SCALES[token][0]


def rank(token: str) -> int:
    return SCALES[token][1]
