"""Small readers for the printed fields and fixed sentences of social-care reports.

Each takes page text (pdfplumber, already folded by ``grades.normalise_text``) and returns what it
read, or None when the wording is absent; callers decide what a missing value means.
"""
from __future__ import annotations

import re

from ..grades import grade_token

#: Enforcement words → tokens, as truth and the monitor use them.
_ENFORCEMENT = [
    ("restriction_of_accommodation",
     re.compile(r"restrict\w*\s+accommodation|restriction\s+(?:of|on)\s+accommodation", re.I)),
    ("compliance_notice", re.compile(r"compliance\s+notices?", re.I)),
    ("suspension", re.compile(r"\bsuspen(?:d|ded|ding|sion)\b", re.I)),
    ("notice_of_proposal", re.compile(r"notice\s+of\s+proposal", re.I)),
    ("cancellation", re.compile(r"\bcancel(?:led|lation|ling)?\b", re.I)),
    ("warning_letter", re.compile(r"warning\s+letter", re.I)),
]

#: A sentence that says Ofsted took enforcement action ("As a result of this inspection, Ofsted
#: has issued a compliance notice ..."; "Following this visit, Ofsted has issued ..."), or the
#: footnote under requirements that a compliance notice covers.
SENTENCE_CUE = re.compile(
    r"\bOfsted\s+(?:has\s+)?(?:issued|served|imposed|suspended|cancelled|restricted)\b", re.I)
FOOTNOTE_CUE = re.compile(r"subject\s+to\s+a\s+compliance\s+notice", re.I)
ENFORCEMENT_CUE = re.compile(f"{SENTENCE_CUE.pattern}|{FOOTNOTE_CUE.pattern}", re.I)

_NONE = re.compile(r"^(?:none|no|nil|not applicable)\b\.?", re.I)


def enforcement_tokens(text: str) -> list[str]:
    """Enforcement tokens named in ``text``, in the order they first appear."""
    text = re.sub(r"\s+", " ", text)
    found = []
    for token, pattern in _ENFORCEMENT:
        probe = text
        if token == "cancellation":  # "a notice of proposal to cancel" is the proposal only
            probe = re.sub(r"proposal\s+to\s+cancel", "", probe, flags=re.I)
        match = pattern.search(probe)
        if match:
            found.append((match.start(), token))
    return [token for _, token in sorted(found)]


def is_none(value: str) -> bool:
    return bool(_NONE.match(value.strip()))


def enforcement_sentences(text: str) -> tuple[list[str], bool]:
    """Sentences of ``text`` that carry an enforcement cue; the flag is True when the last such
    sentence runs off the end of the text (it may finish on the next page)."""
    flat = re.sub(r"\s+", " ", text)
    sentences = []
    unfinished = False
    for match in ENFORCEMENT_CUE.finditer(flat):
        start = flat.rfind(". ", 0, match.start()) + 1  # 0 when no earlier sentence
        end = flat.find(".", match.end())
        if end < 0:
            unfinished = True
            end = len(flat)
        sentences.append(flat[start:end + 1].strip())
    return sentences, unfinished


def interim_outcome(text: str) -> tuple[str | None, str | None, list[str]]:
    """(token, label as printed, problems) of an interim inspection's outcome on page 1.

    Confirmed wording: the outcome words; assumed: "Judgement outcome: …" and "At this interim
    inspection, Ofsted judges that the home has …"; "No judgement is given at this interim
    inspection" for a home with no children yet."""
    flat = re.sub(r"\s+", " ", text)
    readings = []
    field = re.search(r"^(?:Judgement outcome|Interim (?:inspection )?judgement"
                      r"|Outcome of (?:this|the) interim inspection):?\s*(.+)$", text, re.M | re.I)
    sentence = re.search(
        r"(At this interim inspection,? (?:Ofsted|we|the inspectors?) judges? that the home has)"
        r"\s+([^.]+)\.", flat, re.I)
    if field and grade_token(field.group(1)):
        readings.append((grade_token(field.group(1)), "Judgement outcome"))
    if sentence and grade_token(sentence.group(2)):
        readings.append((grade_token(sentence.group(2)), sentence.group(1)))
    not_judged = re.search(r"No judgement is given at this interim inspection", flat, re.I)
    if not_judged:
        readings.append(("not_judged", not_judged.group(0)))
    if not readings:
        return None, None, ["interim outcome not found on page 1"]
    tokens = {token for token, _ in readings}
    if len(tokens) > 1:
        return None, None, [f"interim outcome printed two ways: {sorted(tokens)}"]
    return readings[0][0], readings[0][1], []


def assurance_concerns(text: str) -> tuple[bool | None, list[str]]:
    """Whether an assurance visit/inspection found serious and/or widespread concerns."""
    flat = re.sub(r"\s+", " ", text)
    answers = set()
    for match in re.finditer(r"serious and/or widespread concerns", flat, re.I):
        before = flat[flat.rfind(". ", 0, match.start()) + 1:match.start()]
        after = flat[match.end():match.end() + 40]
        if "Judgement outcome:" in before or re.search(
                r"\b(?:identified|identify|found|find)\b", before + after):
            answers.add(not re.search(r"\b(?:no|not|any)\b", before, re.I))
    if len(answers) == 1:
        return answers.pop(), []
    if not answers:
        return None, ["assurance outcome (serious and/or widespread concerns) not found"]
    return None, ["assurance outcome printed both ways"]
