"""The periodic report to the city (pure): which month, which school year, the sheets and the column labels.

The report is the dashboard's tables (``rules.tables``), suppressed the same way, as they stand when it is
made: the register keeps no history of counts, so a report for a past month says when it was computed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from credential_service.platform.errors import InvalidInput, Message
from credential_service.reporting import digitisation_rules, signature_rules, traffic_rules, trend_rules
from credential_service.reporting.rules import TABLES, school_year_of

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

SHEET_TITLES: dict[str, Message] = {
    "city": Message("Toàn thành phố", "City"),
    "communes": Message("Theo xã phường", "By commune"),
    "levels": Message("Theo cấp học", "By level"),
    "schools": Message("Theo trường", "By school"),
    "behind": Message("Trường chậm nhất", "Schools behind"),
    "backlog": Message("Tồn đọng ký", "Signing backlog"),
    "signers": Message("Chữ ký số theo vai trò", "Signers by role"),
    "certificates": Message("Chứng thư số", "Certificates"),
    "traffic": Message("Lượt xác minh theo ngày", "Verification traffic"),
    "registers": Message("Số hóa sổ gốc theo năm", "Paper registers by year"),
    "reconciliation": Message("Hàng chờ đối soát", "Reconciliation queue"),
    "trend": Message("Diễn biến tỷ lệ ký đủ", "Trend of the share signed"),
}
# Every table behind the dashboard: the học bạ model's (``rules.TABLES``), then each section's; the CSV
# endpoint, the workbook's sheets and the JSON's "tables" all have these.
ALL_TABLES: tuple[str, ...] = (
    TABLES + signature_rules.TABLES + traffic_rules.TABLES + digitisation_rules.TABLES + trend_rules.TABLES
)

COLUMN_LABELS: dict[str, str] = {
    "key": "Mã",
    "label": "Tên",
    "code": "Mã trường",
    "name": "Tên trường",
    "commune": "Xã/phường",
    "levels": "Cấp học",
    "rank": "Thứ hạng",
    "gap": "Còn thiếu",
    "students": "Học sinh",
    "drafted": "Đã nhập, chưa khóa",
    "locked": "Đã khóa",
    "signed_gvcn": "GVCN đã ký",
    "signed_principal": "Hiệu trưởng đã ký",
    "sealed": "Đã đóng dấu (đủ chữ ký)",
    "share_signed": "Tỷ lệ đủ chữ ký",
    "no_personal_id": "Thiếu số định danh",
    "pin_malformed": "Số định danh sai dạng",
    "pin_province": "Sai mã tỉnh",
    "pin_sex": "Sai giới tính",
    "pin_birth_year": "Sai năm sinh",
    "diplomas_graduates": "Tốt nghiệp",
    "diplomas_issued": "Văn bằng đã cấp",
    "diplomas_issued_late": "Cấp trễ hạn",
    "diplomas_due": "Chưa cấp, còn hạn",
    "diplomas_late": "Chưa cấp, quá hạn",
    "step": "Bước",
    "role": "Người cần ký",
    "role_en": "Role",
    "classes": "Số lớp",
    "documents": "Số hồ sơ",
    "since": "Chờ từ",
    "label_en": "Tên (tiếng Anh)",
    "staff": "Số cán bộ giữ vai trò",
    "with_valid_certificate": "Có chứng thư còn hiệu lực",
    "without_valid_certificate": "Chưa có chứng thư hiệu lực",
    "share_valid": "Tỷ lệ có chứng thư",
    "certificates": "Số chứng thư",
    "day": "Ngày",
    "qr_checks": "Quét mã QR",
    "qr_failed": "QR: không thành công",
    "pdf_checks": "Kiểm tra tệp PDF",
    "pdf_failed": "PDF: không thành công",
    "status_checks": "Tra cứu trạng thái",
    "status_failed": "Trạng thái: không hợp lệ/không có",
    "employer_checks": "Đơn vị tuyển dụng xác minh",
    "employer_failed": "ĐVTD: không thành công",
    "share_link_checks": "Mở liên kết chia sẻ",
    "share_link_failed": "Liên kết: không thành công",
    "register_checks": "Tra cứu văn bằng công khai",
    "register_failed": "Tra cứu: không khớp/bị chặn",
    "checks": "Tổng lượt",
    "failed": "Không thành công",
    "share_failed": "Tỷ lệ không thành công",
    "year": "Năm của sổ",
    "books": "Số sổ",
    "rows": "Số mục đã nhập",
    "in_ledger": "Đã ghi sổ cái",
    "signed_pdf": "Có bản PDF ký số",
    "items": "Số mục",
    "plan_share": "Kế hoạch (tỷ lệ)",
}


@dataclass(frozen=True)
class ReportPeriod:
    """A calendar month: the report's period."""

    year: int
    month: int

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def label(self) -> Message:
        return Message(f"tháng {self.month:02d}/{self.year}", f"{self.key}")

    @property
    def school_year(self) -> str:
        """The school year the month falls in (from August): 2026-11 → 2026-2027."""
        return school_year_of(self.first_day)


def parse_month(text: str | None, today: date) -> ReportPeriod:
    """``YYYY-MM`` (None: this month); not a month still to come, nor before the register (2000)."""
    if text is None:
        return ReportPeriod(today.year, today.month)
    m = _MONTH.match(text.strip())
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise InvalidInput(
            Message(
                f"Tháng không hợp lệ: «{text}»; hãy viết dạng NNNN-TT, ví dụ 2026-11.",
                f"Invalid month «{text}»; write it as YYYY-MM, e.g. 2026-11.",
            )
        )
    period = ReportPeriod(int(m.group(1)), int(m.group(2)))
    if period.first_day > today or period.year < 2000:
        raise InvalidInput(
            Message(
                f"Không lập báo cáo cho tháng {period.key}: chỉ từ 2000-01 đến tháng hiện tại.",
                f"No report for {period.key}: only from 2000-01 to the current month.",
            )
        )
    return period


def header_labels(columns: list[str]) -> list[str]:
    """The Vietnamese label of each column (the field name when it has none)."""
    return [COLUMN_LABELS.get(c, c) for c in columns]


def file_stem(period: ReportPeriod) -> str:
    return f"bao-cao-tien-do-{period.key}"
