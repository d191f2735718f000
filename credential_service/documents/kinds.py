"""The kinds of "any other" signed document (``documents/service.py``): the API's enum and the signature's
reason text. ``progress-report`` is the Sở's periodic report to the city (issue #16), sealed by the Sở."""

from __future__ import annotations

from credential_service.platform.errors import Message

DOC_KINDS: dict[str, Message] = {
    "grade-book": Message("Sổ điểm", "Grade book"),
    "decision": Message("Quyết định", "Decision"),
    "report": Message("Báo cáo", "Report"),
    "progress-report": Message("Báo cáo tiến độ gửi Thành phố", "Progress report to the city"),
    "admission-results": Message("Danh sách trúng tuyển lớp 10", "Grade-10 admission results"),  # admissions
    "admission-appeal-diff": Message("Thay đổi kết quả sau phúc khảo", "Admissions changed on appeal"),
    "other": Message("Văn bản khác", "Other document"),
}
