"""Rate limits, found by attack (issue #13 item 5): one store for every worker, keys nobody can reset.

Each attack of the issue is replayed: two workers (two containers, two apps, two processes) on one database
share the limits; rotating an API key does not reset the organisation's limit; X-Forwarded-For counts only
from a trusted proxy; sign-in answers the same for an unknown user, a wrong password and a throttled account;
the back-off doubles up to 15 minutes and never locks: the real user gets in from another address at once,
from the attacker's address once the wait is over, and from their usual address even when many addresses
guess at once; activation codes are limited per account and per address. Time is the injected FixedClock.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from real_clock import real_clock_env
from sqlalchemy import select, update

from credential_service.app.bootstrap import Container, build
from credential_service.app.factory import create_app
from credential_service.diplomas.tables import PublicCheckLog
from credential_service.employers.tables import ApiKey
from credential_service.holders.tables import Person
from credential_service.platform.client_address import address_bucket, client_address
from credential_service.platform.clock import FixedClock
from credential_service.platform.db import Database
from credential_service.platform.errors import NotAuthenticated, RateLimited
from credential_service.platform.ratelimit import Backoff, database_limiter, parse
from credential_service.platform.settings import Settings
from credential_service.staff.tables import RoleAssignment

T0 = datetime(2026, 12, 16, 2, 0, tzinfo=UTC)
CHECK = "/api/v1/public/diploma-check"
NOBODY = {"number": "B-0000001", "full_name": "Nguyễn Văn Không Có", "date_of_birth": "02/01/2000"}
PASSWORD = "mat-khau-rat-dai-123"
WRONG = "sai-mat-khau-9999"
SESSION = "/api/v1/holder/session"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def _container(url: str, clock: FixedClock, **settings: Any) -> Container:
    return build(Settings(env="test", database_url=url, **settings), clock=clock)


@pytest.fixture
def workers(db_url: str, clock: FixedClock) -> Iterator[tuple[Container, Container]]:
    """Two workers: two containers (services, engines, limiters) on one database."""
    one, two = _container(db_url, clock), _container(db_url, clock)
    yield one, two
    one.db.dispose()
    two.db.dispose()


def _web(c: Container, peer: str = "198.51.100.1") -> TestClient:
    """A browser or script at ``peer`` talking to the worker ``c`` (one app per worker)."""
    if "_app" not in c.__dict__:
        c.__dict__["_app"] = create_app(c)
    return TestClient(c.__dict__["_app"], client=(peer, 40000))


def _holder(c: Container, username: str) -> None:
    pid = str(uuid.uuid4())
    with c.db.transaction() as s:
        s.add(
            Person(id=pid, full_name="Người Thử", date_of_birth=date(2000, 1, 2), sex="Nam", created_at=c.clock.now())
        )
    code = c.holders.issue_activation(pid, username=username, issued_by="test")
    c.holders.activate(username, code, PASSWORD, client="192.0.2.250")


def _answer(r: Any) -> tuple[int, dict[str, Any]]:
    return r.status_code, r.json()


# -- one store for every worker ---------------------------------------------------------------------
def test_the_public_check_limit_holds_across_two_workers(
    workers: tuple[Container, Container], clock: FixedClock
) -> None:
    one, two = (_web(c, "203.0.113.7") for c in workers)
    codes = [(one if i % 2 else two).post(CHECK, json=NOBODY).status_code for i in range(12)]
    assert codes == [200] * 10 + [429] * 2  # 10 per minute in all, not 10 per worker
    refused = one.post(CHECK, json=NOBODY).json()
    assert refused["code"] == "rate-limited" and 1 <= refused["retry_after"] <= 60
    assert _web(workers[1], "203.0.113.8").post(CHECK, json=NOBODY).status_code == 200  # another client
    with workers[0].db.reader() as s:
        outcomes = [o for (o,) in s.execute(select(PublicCheckLog.outcome))]
    assert outcomes.count("limited") == 3 and outcomes.count("no_match") == 11  # the log is kept
    clock.advance(timedelta(minutes=2))
    assert two.post(CHECK, json=NOBODY).status_code == 200


def test_hits_are_atomic_under_concurrency(db_url: str, clock: FixedClock) -> None:
    limiters = [database_limiter(Database(db_url), clock) for _ in range(4)]  # four engines, like four workers
    limit = parse("50/hour")

    def hammer(i: int) -> int:
        taken = 0
        for _ in range(30):
            try:
                limiters[i % 4].hit(limit, "race", "one-client")
                taken += 1
            except RateLimited:
                pass
        return taken

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(hammer, range(8))) == 50
    backoff = Backoff("race", free=5)

    def guess(i: int) -> int:
        try:
            limiters[i % 4].attempt([(backoff, ("one-account",))])
            return 1
        except RateLimited:
            return 0

    with ThreadPoolExecutor(16) as pool:  # parallel guesses cannot slip past the count
        assert sum(pool.map(guess, range(16))) == 5
    for limiter in limiters:
        limiter.storage.db.dispose()  # type: ignore[attr-defined]


HAMMER = """
import sys
from datetime import UTC, datetime
from credential_service.platform.clock import FixedClock
from credential_service.platform.db import Database
from credential_service.platform.errors import RateLimited
from credential_service.platform.ratelimit import database_limiter, parse
limiter, taken = database_limiter(Database(sys.argv[1]), FixedClock(datetime(2026, 12, 16, 2, tzinfo=UTC))), 0
for _ in range(40):
    try:
        limiter.hit(parse("50/hour"), "processes", "one-client")
        taken += 1
    except RateLimited:
        pass
print(taken)
"""


def test_the_limit_holds_across_two_processes(db_url: str) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", HAMMER, db_url], stdout=subprocess.PIPE, text=True) for _ in "ab"]
    assert sum(int(p.communicate(timeout=300)[0]) for p in procs) == 50


def test_rotating_the_api_key_does_not_reset_the_organisations_limit(
    workers: tuple[Container, Container], clock: FixedClock
) -> None:
    one, two = (_web(c) for c in workers)
    r = one.post(
        "/api/v1/employer/organisations",
        json={"name": "Công ty Thử Giới Hạn", "tax_code": "0100000009", "contact_email": "a@thu.vn"},
    )
    assert r.status_code == 201, r.text
    key = r.json()["api_key"]
    with workers[0].db.transaction() as s:
        s.execute(update(ApiKey).values(rate_per_minute=3))

    def verify(web: TestClient, api_key: str) -> int:
        headers = {"Authorization": f"Bearer {api_key}"}
        return web.post("/api/v1/employer/verify", json={"code": "AAAAA-AAAAA"}, headers=headers).status_code

    assert [verify(one, key), verify(two, key), verify(one, key), verify(two, key)] == [404, 404, 404, 429]
    rotated = one.post("/api/v1/employer/keys/rotate", headers={"X-API-Key": key})
    new = rotated.json()["api_key"]
    assert rotated.status_code == 200 and new != key
    assert [verify(one, new), verify(two, new)] == [429, 429]  # the new key inherits the organisation's count
    clock.advance(timedelta(minutes=2))
    assert verify(two, new) == 404


# -- client addresses --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("203.0.113.5", "1.1.1.1", [], "203.0.113.5"),  # no trusted proxy: the header is ignored
        ("203.0.113.5", "1.1.1.1", ["10.0.0.0/8"], "203.0.113.5"),  # not from a trusted proxy
        ("10.0.0.2", "198.51.100.9", ["10.0.0.0/8"], "198.51.100.9"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.9", ["10.0.0.0/8"], "198.51.100.9"),  # a prepended lie is not read
        ("10.0.0.2", "198.51.100.9, 10.1.2.3", ["10.0.0.0/8"], "198.51.100.9"),  # two proxies
        ("10.0.0.2", "10.1.2.3", ["10.0.0.0/8"], "10.1.2.3"),  # only proxies: the first of them
        ("10.0.0.2", "garbage, 198.51.100.9:5555", ["10.0.0.0/8"], "198.51.100.9"),
        ("10.0.0.2", "garbage", ["10.0.0.0/8"], "10.0.0.2"),  # a malformed hop stops at the proxy
        ("::ffff:10.0.0.2", "[2001:db8::7]:443", ["10.0.0.2"], "2001:db8::7"),
        (None, "1.1.1.1", ["10.0.0.0/8"], "unknown"),
    ],
)
def test_client_address(peer: str | None, forwarded: str, trusted: list[str], client: str) -> None:
    assert client_address(peer, forwarded, trusted) == client


def test_ipv6_clients_are_counted_per_64() -> None:
    assert address_bucket("2001:db8:1:2:aaaa::1") == address_bucket("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert address_bucket("198.51.100.9") == "198.51.100.9" and address_bucket(None) == "unknown"


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(db_url: str, clock: FixedClock) -> None:
    c = _container(db_url, clock, trusted_proxies=["10.0.0.0/8"])
    proxy = _web(c, "10.0.0.2")
    many = [proxy.post(CHECK, json=NOBODY, headers={"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(12)]
    assert {r.status_code for r in many} == {200}  # not all lumped together as the proxy's address
    lies = [
        proxy.post(CHECK, json=NOBODY, headers={"X-Forwarded-For": f"6.6.6.{i}, 192.0.2.50"}).status_code
        for i in range(11)
    ]
    assert lies == [200] * 10 + [429]  # what the client prepends does not pick its bucket
    c.db.dispose()


def test_from_an_untrusted_peer_x_forwarded_for_is_ignored(db_url: str, clock: FixedClock) -> None:
    c = _container(db_url, clock, trusted_proxies=["10.0.0.0/8"])
    direct = _web(c, "192.0.2.77")
    codes = [
        direct.post(CHECK, json=NOBODY, headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(11)
    ]
    assert codes == [200] * 10 + [429]
    c.db.dispose()


# -- holders: sign-in and activation -----------------------------------------------------------------
def test_holder_sign_in_answers_the_same_for_unknown_wrong_and_throttled(workers: tuple[Container, Container]) -> None:
    one, two = workers
    _holder(one, "hs.that")
    web = _web(one, "198.51.100.20")

    def run(username: str) -> list[tuple[int, dict[str, Any]]]:
        return [_answer(web.post(SESSION, json={"username": username, "password": WRONG})) for _ in range(8)]

    real, unknown = run("hs.that"), run("khong.co.ai")
    assert real == unknown
    assert [status for status, _ in real] == [401] * 5 + [429] * 3
    right_but_throttled = _answer(
        _web(two, "198.51.100.20").post(SESSION, json={"username": "hs.that", "password": PASSWORD})
    )
    assert right_but_throttled == real[-1]  # the right password is not even checked while the wait runs


def test_back_off_doubles_up_to_fifteen_minutes(workers: tuple[Container, Container], clock: FixedClock) -> None:
    _holder(workers[0], "hs.backoff")
    webs = [_web(c, "203.0.113.30") for c in workers]

    def fail(i: int) -> Any:
        return webs[i % 2].post(SESSION, json={"username": "hs.backoff", "password": WRONG})

    assert [fail(i).status_code for i in range(5)] == [401] * 5
    waits = []
    for i in range(7):
        refused = fail(i)
        assert refused.status_code == 429
        waits.append(refused.json()["retry_after"])
        clock.advance(timedelta(seconds=waits[-1] - 1))
        assert fail(i).status_code == 429  # one second early
        clock.advance(timedelta(seconds=1))
        assert fail(i + 1).status_code == 401  # checked again, and wrong again
    assert waits == [30, 60, 120, 240, 480, 900, 900]


def test_an_attacker_cannot_keep_the_real_holder_out(workers: tuple[Container, Container], clock: FixedClock) -> None:
    one, two = workers
    _holder(one, "hs.victim")
    right, wrong = {"username": "hs.victim", "password": PASSWORD}, {"username": "hs.victim", "password": WRONG}
    attacker = _web(one, "203.0.113.66")
    for _ in range(8):
        attacker.post(SESSION, json=wrong)
    assert attacker.post(SESSION, json=right).status_code == 429
    # from another address the holder signs in at once (and that address becomes their usual one)
    usual = _web(two, "198.51.100.5")
    assert usual.post(SESSION, json=right).status_code == 200
    # from the attacker's own address (one school's NAT), once the wait is over
    clock.advance(timedelta(seconds=attacker.post(SESSION, json=right).json()["retry_after"]))
    assert _web(two, "203.0.113.66").post(SESSION, json=right).status_code == 200
    # many addresses, one guess each: the account's own back-off holds new addresses, not the usual one
    guesses = [_web(one, f"192.0.2.{i}").post(SESSION, json=wrong).status_code for i in range(1, 30)]
    assert 401 in guesses and guesses[-1] == 429
    assert _web(two, "192.0.2.200").post(SESSION, json=right).status_code == 429  # a new address waits
    assert usual.post(SESSION, json=right).status_code == 200


def test_activation_attempts_are_limited_per_account_and_per_address(
    workers: tuple[Container, Container], clock: FixedClock
) -> None:
    one, two = workers
    pid = str(uuid.uuid4())
    with one.db.transaction() as s:
        s.add(Person(id=pid, full_name="Người Mới", date_of_birth=date(2000, 1, 2), sex="Nữ", created_at=clock.now()))
    code = one.holders.issue_activation(pid, username="hs.moi", issued_by="test")

    def activate(web: TestClient, username: str, with_code: str) -> tuple[int, dict[str, Any]]:
        body = {"username": username, "code": with_code, "password": PASSWORD}
        return _answer(web.post("/api/v1/holder/activate", json=body))

    web = _web(one, "203.0.113.80")
    real = [activate(web, "hs.moi", "AAAAA-AAAAA") for _ in range(7)]
    unknown = [activate(web, "khong.co.ai", "AAAAA-AAAAA") for _ in range(7)]
    assert real == unknown and [s for s, _ in real] == [422] * 5 + [429] * 2
    assert activate(web, "hs.moi", code)[0] == 429  # even the right code waits at this address
    # per account, over every address: after 20 failures from any addresses, every new address waits
    for n in range(3):  # 5 + 15 = 20 failures on the account, from four addresses
        other = _web(two, f"192.0.2.{n + 1}")
        assert [activate(other, "hs.moi", "AAAAA-AAAAA")[0] for _ in range(5)] == [422] * 5
    assert activate(_web(one, "192.0.2.99"), "hs.moi", code)[0] == 429
    # the school issues a new code: the old guesses stop counting against the account
    code = one.holders.issue_activation(pid, username="hs.moi", issued_by="test")
    assert activate(_web(two, "192.0.2.99"), "hs.moi", code)[0] == 200
    # per address, over every account: one address trying many usernames is held back too
    sprayer = _web(one, "198.51.100.99")
    answers = [activate(sprayer, f"hs.{i}", "AAAAA-AAAAA")[0] for i in range(52)]
    assert answers[:50] == [422] * 50 and answers[-1] == 429


# -- staff -------------------------------------------------------------------------------------------
def test_staff_sign_in_and_signing_confirmation_back_off(
    workers: tuple[Container, Container], clock: FixedClock
) -> None:
    one, two = workers
    password = "mat-khau-can-bo-123"
    account = one.staff_auth.create_person_account(full_name="Cán Bộ Thử", username="cb.thu", password=password)
    with one.db.transaction() as s:  # an inspector of the Sở (any role may confirm its own signing)
        s.add(
            RoleAssignment(
                id=str(uuid.uuid4()), staff_id=account.staff_id, role="inspector", valid_from=date(2025, 1, 1)
            )
        )
    totp = pyotp.TOTP(account.totp_secret)
    web = _web(one, "198.51.100.30")

    def sign_in(client: TestClient, username: str, pw: str) -> Any:
        return client.post(
            "/api/v1/staff/session", json={"username": username, "password": pw, "totp": totp.at(clock.now())}
        )

    real = [_answer(sign_in(web, "cb.thu", "sai-mat-khau-9999")) for _ in range(7)]
    unknown = [_answer(sign_in(web, "khong.co", "sai-mat-khau-9999")) for _ in range(7)]
    assert real == unknown and [s for s, _ in real] == [401] * 5 + [429] * 2
    assert _answer(sign_in(web, "cb.thu", password)) == real[-1]
    page = web.post("/dang-nhap", data={"username": "cb.thu", "password": password, "totp": totp.at(clock.now())})
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    # from another address the person signs in; a stolen session cannot guess the signing code either
    desk = _web(two, "198.51.100.31")
    signed_in = sign_in(desk, "cb.thu", password)
    assert signed_in.status_code == 200, signed_in.text
    desk.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]
    valid = {totp.at(clock.now() + timedelta(seconds=30 * k)) for k in (-1, 0, 1)}
    bad = next(c for c in ("000000", "111111", "222222") if c not in valid)
    confirm = [
        desk.post("/api/v1/staff/confirmations", json={"purpose": "x", "totp": bad}).status_code for _ in range(6)
    ]
    assert confirm == [401] * 5 + [429]
    wait = desk.post("/api/v1/staff/confirmations", json={"purpose": "x", "totp": totp.at(clock.now())}).json()
    assert wait["code"] == "rate-limited"
    clock.advance(timedelta(seconds=wait["retry_after"]))
    ok = desk.post("/api/v1/staff/confirmations", json={"purpose": "x", "totp": totp.at(clock.now())})
    assert ok.status_code == 200, ok.text


# -- Redis, when configured ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (scripts/test.sh installs it)")
    pytest.importorskip("redis")
    socket = Path(tmp_path_factory.mktemp("redis")) / "redis.sock"
    args = [server, "--port", "0", "--unixsocket", str(socket), "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=real_clock_env())
    for _ in range(100):
        if socket.exists():
            break
        time.sleep(0.05)
    yield f"redis+unix://{socket}"
    proc.terminate()
    proc.wait(10)


def test_a_redis_store_is_shared_by_two_workers(redis_url: str, sqlite_db_url: str, clock: FixedClock) -> None:
    one, two = (_container(sqlite_db_url, clock, rate_limit_storage_url=redis_url) for _ in range(2))
    assert type(one.rate_limiter.storage).__name__ == "RedisStorage"
    client = uuid.uuid4().hex
    taken = []
    for i in range(7):
        try:
            (one if i % 2 else two).rate_limiter.hit(parse("5/hour"), "redis-test", client)
            taken.append(True)
        except RateLimited as e:
            assert 1 <= e.extra["retry_after"] <= 3600
            taken.append(False)
    assert taken == [True] * 5 + [False] * 2
    _holder(one, "hs.redis")  # the services use the same store: sign-in backs off across the workers
    statuses = []
    for i in range(7):
        try:
            (one if i % 2 else two).holders.sign_in("hs.redis", WRONG, client="203.0.113.90")
        except (NotAuthenticated, RateLimited) as e:
            statuses.append(type(e).__name__)
    assert statuses == ["NotAuthenticated"] * 5 + ["RateLimited"] * 2
    assert two.holders.sign_in("hs.redis", PASSWORD, client="198.51.100.91")[1].username == "hs.redis"
    one.db.dispose()
    two.db.dispose()
