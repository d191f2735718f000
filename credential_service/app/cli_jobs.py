"""`sogoc jobs`: run batch-job workers, watch a job's progress, resume, and (dev only) seal a school as a job.

sogoc jobs worker [--concurrency 1]          # on PostgreSQL: run items until stopped (any number of hosts)
sogoc jobs show JOB_ID [--watch]             # progress: documents done, time left; --watch draws a bar
sogoc jobs resume JOB_ID                     # queue the failed items again
sogoc jobs seal-school THPT-DEMO             # dev: the school's seal as one job, then watch it
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from credential_service.staff.cli_guard import require_dev


def _container(args: argparse.Namespace) -> Any:
    from credential_service.app.bootstrap import build
    from credential_service.platform.settings import Settings

    overrides = {"database_url": args.database_url} if getattr(args, "database_url", None) else {}
    return build(Settings(**overrides))


def cmd_worker(args: argparse.Namespace) -> int:
    from credential_service.platform.errors import ConfigurationError, Message
    from credential_service.platform.job_queue import WorkerOptions, run_worker

    c = _container(args)
    if not c.uses_job_workers:
        raise ConfigurationError(
            Message(
                "Tiến trình xử lý nền chỉ dùng với PostgreSQL (SOGOC_DATABASE_URL=postgresql+psycopg://…); với SQLite "
                "mặc định, dịch vụ tự chạy công việc nền.",
                "Job workers run on PostgreSQL (SOGOC_DATABASE_URL=postgresql+psycopg://…); on the SQLite default "
                "the service runs batch jobs itself.",
            )
        )
    c.start_dev_services()
    s = c.settings
    options = WorkerOptions(
        concurrency=args.concurrency,
        heartbeat=s.job_heartbeat_seconds,
        stalled_after=s.job_stalled_after_seconds,
        wait=not args.once,
    )
    print(f"sogoc jobs worker: hàng đợi / queue ready, concurrency {options.concurrency}", flush=True)
    run_worker(s.database_url, c.jobs, options)
    return 0


def watch(c: Any, job_id: str, *, poll: float = 0.5) -> dict[str, Any]:
    """Draw the job's progress (documents, time left) until it ends; its last progress."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    state = c.jobs.progress(job_id).to_dict()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns) as bar:
        task = bar.add_task(state["title"][:60], total=state["documents"])
        while True:
            state = c.jobs.progress(job_id).to_dict()
            bar.update(task, completed=state["documents_done"])
            if state["finished_at"] is not None:
                break
            time.sleep(poll)  # polling the job's rows: the clock is not read here
    return dict(state)


def cmd_show(args: argparse.Namespace) -> int:
    c = _container(args)
    state = watch(c, args.job_id) if args.watch else c.jobs.progress(args.job_id).to_dict()
    print(json.dumps(state, ensure_ascii=False, indent=2))
    return 0 if state["status"] != "failed" else 1


def cmd_resume(args: argparse.Namespace) -> int:
    c = _container(args)
    print(json.dumps({"job_id": args.job_id, "queued_again": c.jobs.retry_failed(args.job_id)}))
    return 0


def cmd_seal_school(args: argparse.Namespace) -> int:
    require_dev("jobs seal-school")
    from credential_service.platform.errors import Message, NotFound
    from credential_service.transcripts import seal_jobs

    c = _container(args)
    c.start_dev_services()
    school_id = c.school_place(args.school_code).school_id  # the place the policies use for a school code
    if school_id is None:
        raise NotFound(Message(f"Không có trường {args.school_code}.", f"No school {args.school_code}."))
    seal = c.staff_auth.seal_for_school(school_id)
    title, items = seal_jobs.school_seal_items(c.transcripts, school_id, seal_staff_id=seal, actor="sogoc (dev)")
    job_id = c.jobs.submit(seal_jobs.SEAL_CLASS, items, title=title, created_by="sogoc (dev)", school_id=school_id)
    print(f"job {job_id}", flush=True)
    state = watch(c, job_id)
    print(json.dumps(state, ensure_ascii=False, indent=2))
    return 0 if state["status"] == "done" else 1


def register(sub: Any) -> None:
    j = sub.add_parser("jobs", help="công việc nền / batch jobs")
    jsub = j.add_subparsers(dest="jobs_command", required=True)
    w = jsub.add_parser("worker", help="chạy tiến trình xử lý (PostgreSQL) / run a job worker")
    w.add_argument("--concurrency", type=int, default=1)
    w.add_argument("--once", action="store_true", help="dừng khi hết việc / stop when the queue is empty")
    w.set_defaults(func=cmd_worker)
    s = jsub.add_parser("show", help="tiến độ một công việc / a job's progress")
    s.add_argument("job_id")
    s.add_argument("--watch", action="store_true", help="thanh tiến độ đến khi xong / a progress bar until done")
    s.set_defaults(func=cmd_show)
    r = jsub.add_parser("resume", help="chạy lại các phần lỗi / queue the failed items again")
    r.add_argument("job_id")
    r.set_defaults(func=cmd_resume)
    k = jsub.add_parser("seal-school", help="(dev) đóng dấu cả trường / seal a school as one job")
    k.add_argument("school_code")
    k.set_defaults(func=cmd_seal_school)
