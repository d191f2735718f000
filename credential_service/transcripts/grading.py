"""Circular 22/2021/TT-BGDĐT (assessment of THCS and THPT students) as pure functions.

Every rule returns its result together with a trace: a tuple of :class:`TraceStep`, each naming the
article applied (``rule``, e.g. ``"TT22/Điều 9.1.b"``) and saying in Vietnamese and English what was
applied, with the numbers. The trace is stored with the transcript so that appeals and audits can replay
the decision.

Arithmetic is :class:`decimal.Decimal` only, never float. Scores are 0.0–10.0 with at most one decimal.

Usage::

    >>> r = semester_average([Decimal("8"), Decimal("7.5"), Decimal("9")], Decimal("7"), Decimal("8.5"))
    >>> r.value
    Decimal('8.0')
    >>> year_average(Decimal("7.2"), Decimal("7.3")).value   # (7.2 + 14.6) / 3 = 7.2666… → 7.3
    Decimal('7.3')

The rules live in one module per topic; this module re-exports them so callers can keep importing from
``grading``:

* :mod:`~credential_service.transcripts.grading_types`: levels, verdicts, traces;
* :mod:`~credential_service.transcripts.grading_scores`: score checks and subject results (Art. 5, 6, 9.1);
* :mod:`~credential_service.transcripts.grading_levels`: learning result and conduct (Art. 8, 9.2, 9.3);
* :mod:`~credential_service.transcripts.grading_promotion`: promotion, summer training, re-assessment
  (Art. 12–14);
* :mod:`~credential_service.transcripts.grading_awards`: year awards (Art. 15).
"""

from __future__ import annotations

from credential_service.transcripts.grading_awards import GIOI, XUAT_SAC, Award, award
from credential_service.transcripts.grading_levels import MIN_SUBJECTS_COUNTED, conduct_year, learning_result
from credential_service.transcripts.grading_promotion import (
    COMPLETION_GRADES,
    MAX_ABSENCES,
    Promotion,
    PromotionDecision,
    learning_after_reassessment,
    promotion,
    reassessment_subjects,
)
from credential_service.transcripts.grading_scores import (
    MAX_SCORE,
    MAX_TX,
    MIN_SCORE,
    MIN_TX,
    ONE_DECIMAL,
    SCORE_EXPECTED,
    comment_semester_result,
    comment_year_result,
    fmt,
    round_score,
    score_problem,
    semester_average,
    tx_count_problem,
    year_average,
)
from credential_service.transcripts.grading_types import Level, SubjectValue, Traced, TraceStep, Verdict

__all__ = [
    "COMPLETION_GRADES",
    "GIOI",
    "MAX_ABSENCES",
    "MAX_SCORE",
    "MAX_TX",
    "MIN_SCORE",
    "MIN_SUBJECTS_COUNTED",
    "MIN_TX",
    "ONE_DECIMAL",
    "SCORE_EXPECTED",
    "XUAT_SAC",
    "Award",
    "Level",
    "Promotion",
    "PromotionDecision",
    "SubjectValue",
    "TraceStep",
    "Traced",
    "Verdict",
    "award",
    "comment_semester_result",
    "comment_year_result",
    "conduct_year",
    "fmt",
    "learning_after_reassessment",
    "learning_result",
    "promotion",
    "reassessment_subjects",
    "round_score",
    "score_problem",
    "semester_average",
    "tx_count_problem",
    "year_average",
]
