"""The sentences of an allocation's explanations, Vietnamese first, English second, with the figures compared.

Each function answers one "why" for one wish: why admitted there, or why not (disqualified, not eligible
for the specialised school, below the school's cutoff for that wish rank, no places left, outranked).
"""

from __future__ import annotations

from decimal import Decimal

from credential_service.admissions.values import en_number, vi_number
from credential_service.platform.errors import Message
from credential_service.transcripts.grading_types import Level


def missing_score(subject: str) -> Message:
    return Message(f"thiếu điểm môn {subject} (vắng thi hoặc chưa có điểm)", f"no {subject} score (absent or missing)")


def at_or_below(subject: str, score: Decimal, threshold: Decimal) -> Message:
    return Message(
        f"điểm môn {subject} là {vi_number(score)} ≤ điểm liệt {vi_number(threshold)}",
        f"the {subject} score {en_number(score)} is at or below the disqualifying {en_number(threshold)}",
    )


VIOLATION = Message("vi phạm quy chế thi", "a breach of the exam rules")


def disqualified(reason: Message) -> Message:
    return Message(f"Bị loại khỏi mọi nguyện vọng: {reason.vi}.", f"Disqualified from every wish: {reason.en}.")


def grade_below(grade: int, what: Message, level: Level, required: Level) -> Message:
    return Message(
        f"kết quả {what.vi} lớp {grade} là {level.value}, thấp hơn mức {required.value} trường yêu cầu",
        f"grade {grade} {what.en} is {level.label_en}, below the {required.label_en} the school requires",
    )


LEARNING = Message("học tập", "learning")
CONDUCT = Message("rèn luyện", "conduct")
GRADES_UNKNOWN = Message(
    "chưa có kết quả học tập và rèn luyện lớp 6–9 từ sổ gốc", "the grade 6–9 learning and conduct results are not known"
)


def ineligible(rank: int, school: str, reason: Message) -> Message:
    return Message(
        f"NV{rank} {school} (trường chuyên): không đủ điều kiện — {reason.vi}; bỏ qua nguyện vọng này.",
        f"Wish {rank} {school} (specialised): not eligible — {reason.en}; this wish is skipped.",
    )


def below_threshold(rank: int, school: str, total: Decimal, cutoff: Decimal, offset: Decimal) -> Message:
    need = cutoff + offset
    return Message(
        f"NV{rank} {school}: tổng {vi_number(total)} thấp hơn điểm chuẩn NV{rank} {vi_number(need)} "
        f"(điểm chuẩn vòng 1 {vi_number(cutoff)} + {vi_number(offset)}).",
        f"Wish {rank} {school}: total {en_number(total)} is below the wish-{rank} cutoff {en_number(need)} "
        f"(round-1 cutoff {en_number(cutoff)} + {en_number(offset)}).",
    )


def full(rank: int, school: str, quota: int) -> Message:
    return Message(
        f"NV{rank} {school}: trường đã đủ chỉ tiêu {quota} trước vòng {rank}.",
        f"Wish {rank} {school}: the school had filled its {quota} places before round {rank}.",
    )


def outranked(
    rank: int, school: str, total: Decimal, last: Decimal, key: tuple[str, Decimal, Decimal] | None
) -> Message:
    if key is None:
        return Message(
            f"NV{rank} {school}: tổng {vi_number(total)} thấp hơn tổng thấp nhất được nhận ở vòng {rank} "
            f"({vi_number(last)}); hết chỉ tiêu.",
            f"Wish {rank} {school}: total {en_number(total)} is below the lowest total admitted in round {rank} "
            f"({en_number(last)}); no places left.",
        )
    label, mine, theirs = key
    return Message(
        f"NV{rank} {school}: bằng tổng {vi_number(total)} với người cuối cùng được nhận, nhưng thấp hơn ở tiêu chí "
        f"phụ «{label}» ({vi_number(mine)} < {vi_number(theirs)}); hết chỉ tiêu.",
        f"Wish {rank} {school}: the same total {en_number(total)} as the last admitted, but lower on the tie-break "
        f"«{label}» ({en_number(mine)} < {en_number(theirs)}); no places left.",
    )


def admitted(rank: int, school: str, total: Decimal, need: Decimal | None, tie_over_quota: bool) -> Message:
    vi = f"Trúng tuyển NV{rank} {school} ở vòng {rank}: tổng {vi_number(total)}"
    en = f"Admitted to wish {rank} {school} in round {rank}: total {en_number(total)}"
    if need is not None:
        vi += f" ≥ điểm chuẩn NV{rank} {vi_number(need)}"
        en += f" ≥ the wish-{rank} cutoff {en_number(need)}"
    if tie_over_quota:
        vi += "; đồng hạng ở chỗ cuối cùng nên mọi người đồng hạng đều được nhận"
        en += "; tied for the last place, so all those tied were admitted"
    return Message(vi + ".", en + ".")


def direct(rank: int, school: str) -> Message:
    return Message(
        f"Tuyển thẳng vào NV{rank} {school} (nguyện vọng không chuyên đầu tiên), trước các vòng xét.",
        f"Admitted directly to wish {rank} {school} (the first non-specialised wish), before any round.",
    )


def skipped_for_direct(rank: int, school: str) -> Message:
    return Message(
        f"NV{rank} {school}: trường chuyên không xét tuyển thẳng; thí sinh được tuyển thẳng vào nguyện vọng sau.",
        f"Wish {rank} {school}: direct admission does not apply to a specialised school; admitted to a later wish.",
    )


NO_WISHES = Message("Không đăng ký nguyện vọng nào.", "No wishes were registered.")


def not_admitted(wishes: int) -> Message:
    return Message(
        f"Không trúng tuyển nguyện vọng nào trong {wishes} nguyện vọng (lý do từng nguyện vọng ở dưới).",
        f"Not admitted at any of the {wishes} wishes (the reason for each wish is below).",
    )
