"""Synthetic applicants for tests, benchmarks and the demo (DEMO ONLY: nothing here is a real person).

Deterministic for a seed: scores in quarter points around a mean per applicant, a few absences, violations,
priority groups and direct admissions, wishes drawn with popular schools more often, grade 6–9 results.
"""

from __future__ import annotations

import random
from decimal import Decimal

from credential_service.admissions.applicants import Applicant, YearResult
from credential_service.admissions.import_rules import ApplicantRecord
from credential_service.admissions.year_rules import YearConfig
from credential_service.transcripts.grading_types import Level

_LEVELS = (Level.TOT, Level.TOT, Level.TOT, Level.KHA, Level.KHA, Level.DAT)


def _score(rng: random.Random, mean: float) -> Decimal:
    value = min(10.0, max(0.0, rng.gauss(mean, 1.4)))
    return Decimal(round(value * 4)) / 4  # quarter points


def synthetic_applicants(config: YearConfig, n: int, *, seed: int = 2026) -> list[Applicant]:
    rng = random.Random(seed)
    subjects = [name for name, _ in config.rules.subjects]
    regular = [s.code for s in config.schools if not s.is_specialised]
    specialised = [s for s in config.schools if s.is_specialised]
    weights = [1.0 / (1 + i) for i in range(len(regular))]  # the first schools are the popular ones
    groups = [g for g, _ in config.rules.priority_points]
    wishes_max = config.rules.max_wishes
    out = []
    for i in range(n):
        mean = rng.uniform(3.5, 9.0)
        scores = {s: _score(rng, mean) for s in subjects}
        if rng.random() < 0.005:
            del scores[rng.choice(subjects)]  # absent from one test
        wishes: list[str] = []
        if specialised and mean > 7.5 and rng.random() < 0.3:
            school = rng.choice(specialised)
            assert school.specialised_subject is not None
            scores[school.specialised_subject] = _score(rng, mean - 1.0)
            wishes.append(school.code)
        while (len(wishes) < min(wishes_max, len(regular) + len(wishes)) and rng.random() < 0.9) or not wishes:
            code = rng.choices(regular, weights)[0]
            if code not in wishes:
                wishes.append(code)
            elif len(set(regular) - set(wishes)) == 0:
                break
        grades = tuple(YearResult(rng.choice(_LEVELS), rng.choice(_LEVELS)) for _ in range(4))
        out.append(
            Applicant(
                id=f"SBD{i + 1:06d}",
                scores=scores,
                priority_group=rng.choice(groups) if groups and rng.random() < 0.05 else None,
                direct_admission=rng.random() < 0.002,
                violation=rng.random() < 0.001,
                wishes=tuple(wishes[:wishes_max]),
                grades_6_9=grades,
            )
        )
    return out


def synthetic_records(config: YearConfig, n: int, *, seed: int = 2026) -> list[ApplicantRecord]:
    """The same applicants as workbook rows: a synthetic personal ID, unique up to 10⁶ (Hải Phòng, born 2011),
    and a category for each direct admission."""
    rng = random.Random(seed + 1)
    categories = [c for c, _ in config.rules.direct_admission_categories]
    out = []
    for i, a in enumerate(synthetic_applicants(config, n, seed=seed)):
        subjects = [name for name, _ in config.rules.subjects]
        scores: dict[str, Decimal | None] = {s: a.scores.get(s) for s in subjects}
        scores.update({s: v for s, v in a.scores.items() if s not in scores})
        sex_digit = rng.choice((2, 3))  # born 2000-2099: 2 male, 3 female
        direct = rng.choice(categories) if a.direct_admission and categories else None
        out.append(
            ApplicantRecord(
                a.id,
                f"031{sex_digit}11{(i * 7919 + 4421) % 10**6:06d}",
                scores,
                a.violation,
                a.wishes,
                a.priority_group,
                direct,
            )
        )
    return out
