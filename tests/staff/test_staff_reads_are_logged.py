"""Every staff read of a person's record goes to the access log the holder sees, naming who read it."""

from __future__ import annotations

from sqlalchemy import select
from staff_world import World

from credential_service.holders.access_log import holder_entries
from credential_service.transcripts.tables import Transcript


def test_a_teacher_reading_a_students_year_and_transcript_shows_in_that_students_log(world: World) -> None:
    c = world.container
    with c.db.reader() as s:
        transcript = s.get(Transcript, world.params["transcript_id"])
        assert transcript is not None
        student_id = transcript.student_id
    person_id = c.holders.link_student(student_id, linked_by="test")
    teacher = world.client("gvcn-10a1")
    assert teacher.get(f"/api/v1/classes/{world.params['class_id']}/students/{student_id}").status_code == 200
    assert teacher.get(f"/api/v1/transcripts/{transcript.id}/record").status_code == 200
    with c.db.reader() as s:
        log = holder_entries(s, person_id)
    reads = [e for e in log if e.get("event") == "staff_read"]
    assert len(reads) >= 2, log
    assert all("gvcn-10a1" in e["who"] for e in reads), reads
    assert reads[0]["event_label"]["en"] == "A staff member viewed the record"
    assert {e["purpose"] for e in reads} >= {"class.read", "transcript.read"}, reads


def test_a_refused_read_is_not_a_read(world: World) -> None:
    c = world.container
    with c.db.reader() as s:
        transcript = s.execute(select(Transcript).where(Transcript.id == world.params["transcript_id"])).scalar_one()
    person_id = c.holders.link_student(transcript.student_id, linked_by="test")
    with c.db.reader() as s:
        before = len(holder_entries(s, person_id))
    assert world.client("other-gvcn").get(f"/api/v1/transcripts/{transcript.id}/record").status_code == 403
    with c.db.reader() as s:
        assert len(holder_entries(s, person_id)) == before
