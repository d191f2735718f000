"""`sogoc demo`: the holder and employer part of the demo (synthetic people, dev keys only).

Creates a holder account for the first student of the demo class (activated with the one-time code
the school would hand out, then the printed demo password), a synthetic parent in the dev
population registry (the student is a minor, so a parent confirms each share code), an employer
organisation with a printed demo API key, and ``DIR/README-demo.txt`` with the steps and the curl
commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from credential_service.app.demo import class_id
from credential_service.holders.population_registry import DevPopulationRegistry
from credential_service.transcripts.tables import Student, Transcript

DEMO_PASSWORD = "demo-hocsinh-2026"
DEMO_ORG = ("Công ty TNHH Demo Cảng Hải Phòng", "0200000001", "tuyendung@demo-cang.example")
# a synthetic parent (DEV registry only): 031 Hải Phòng, 1 = female born 1900s, 80 = 1980
PARENT = ("031180000123", "Phạm Thị Mai", "1980-05-20", "Nữ")


def prepare_holder_demo(c: Any, out: Path, klass: str) -> dict[str, str]:
    """Prepare the holder demo in container ``c``; prints what to use and writes README-demo.txt."""
    from datetime import date

    holders = c.holders
    with c.db.reader() as session:
        row = session.execute(
            select(Student, Transcript.id)
            .join(Transcript, Transcript.student_id == Student.id)
            .where(Transcript.class_id == class_id(klass), Transcript.status == "issued")
            .order_by(Student.student_code)
        ).first()
    if row is None:
        print("Không có học bạ đã phát hành cho demo người học / no issued transcript for the holder demo")
        return {}
    student, transcript_id = row
    person_id = holders.link_student(student.id, linked_by="sogoc demo")
    username = student.student_code.lower()
    code = holders.issue_activation(person_id, username=username, issued_by="sogoc demo")
    holders.activate(username, code, DEMO_PASSWORD)
    DevPopulationRegistry(c.db).add([(PARENT[0], PARENT[1], date.fromisoformat(PARENT[2]), PARENT[3])])
    employers = c.employers
    org, api_key = employers.register(name=DEMO_ORG[0], tax_code=DEMO_ORG[1], contact_email=DEMO_ORG[2])
    minor = holders.is_minor(person_id)
    base = c.settings.public_base_url.rstrip("/")
    print("Demo người học / holder demo:")
    print(f"  Tài khoản / username: {username}   mật khẩu / password: {DEMO_PASSWORD}")
    print(
        "  Kích hoạt / activation: đã kích hoạt bằng mã một lần của trường / activated with the school's one-time code"
    )
    print(f"  Nhà tuyển dụng / employer: {org['name']} (MST {org['tax_code']})")
    print(f"  Khóa API demo / demo API key: {api_key}")
    readme = README.format(
        base=base,
        username=username,
        password=DEMO_PASSWORD,
        full_name=student.full_name,
        transcript_id=transcript_id,
        org=org["name"],
        tax=org["tax_code"],
        api_key=api_key,
        parent_pin=PARENT[0],
        parent_name=PARENT[1],
        parent_dob=PARENT[2],
        parent_sex=PARENT[3],
        minor_vi="Học sinh chưa đủ 18 tuổi nên cha/mẹ phải xác nhận mã (bước 3)." if minor else "",
        db=c.settings.database_url,
    )
    (out / "README-demo.txt").write_text(readme, encoding="utf-8")
    print(f"  Hướng dẫn / steps: {out / 'README-demo.txt'}")
    return {"username": username, "password": DEMO_PASSWORD, "api_key": api_key, "transcript_id": transcript_id}


README = """Sổ Gốc Số — demo người học và nhà tuyển dụng / holder and employer demo
(dữ liệu và khóa chỉ dùng thử / synthetic data, DEV keys only)

0. Chạy dịch vụ / run the service:
     SOGOC_DATABASE_URL={db} sogoc serve

1. Người học đăng nhập / the holder signs in: {base}/holder
     tài khoản / username: {username}    mật khẩu / password: {password}    ({full_name})

2. Tạo mã chia sẻ / create a share code: "Văn bằng của tôi" → "Chia sẻ với nhà tuyển dụng";
   bên nhận / recipient tax code: {tax} (hoặc để trống / or empty = whoever holds the code).
   Mã hiện một lần, kèm liên kết và mã QR / the code is shown once, with a link and a QR code.

3. {minor_vi}
   Cha/mẹ xác nhận / a parent confirms ("Cha mẹ xác nhận" under the code), checked against the DEV
   population registry: họ tên / name {parent_name}, số định danh / ID {parent_pin},
   ngày sinh / born {parent_dob}, giới tính / sex {parent_sex}, quan hệ / relation "me".

4. Nhà tuyển dụng xác minh / the employer verifies ({org}):
     export SOGOC_API_KEY='{api_key}'
     curl -s -X POST {base}/api/v1/employer/verify \\
       -H "Authorization: Bearer $SOGOC_API_KEY" -H "Content-Type: application/json" \\
       -d '{{"code": "<MÃ / CODE>"}}' | tee verify.json

5. Biên nhận kiểm tra ngoại tuyến / the receipt verifies offline (no service needed):
     curl -s {base}/.well-known/sogoc-receipt-keys.json > receipt-keys.json
     python -c "import json; from verifier.receipt import ReceiptKeys, verify_receipt; \\
     c = verify_receipt(json.load(open('verify.json'))['receipt'], ReceiptKeys.load('receipt-keys.json')); \\
     print('OK', c['jti'], c['verifier']['name'], c['data'][0]['status'])"
   or: sogoc receipt verify verify.json --keys receipt-keys.json

6. Người học xem ai đã kiểm tra / the holder sees who checked: {base}/holder/log

Without a browser (cookie jar + CSRF header):
     curl -s -c jar -H "Content-Type: application/json" -d '{{"username":"{username}","password":"{password}"}}' \\
       {base}/api/v1/holder/session            # → csrf_token
     curl -s -b jar -H "X-CSRF-Token: <csrf_token>" -H "Content-Type: application/json" \\
       -d '{{"credential_ids":["{transcript_id}"],"scope":"diploma_fields",
            "purpose":"Tuyển dụng","recipient_tax_code":"{tax}"}}' \\
       {base}/api/v1/holder/grants            # → code (+ grant.id)
     curl -s -b jar -H "X-CSRF-Token: <csrf_token>" -H "Content-Type: application/json" \\
       -d '{{"guardian_name":"{parent_name}","guardian_pin":"{parent_pin}",
            "guardian_date_of_birth":"{parent_dob}","guardian_sex":"{parent_sex}","relation":"me"}}' \\
       {base}/api/v1/holder/grants/<grant.id>/guardian
     curl -s -b jar {base}/api/v1/holder/access-log
"""
