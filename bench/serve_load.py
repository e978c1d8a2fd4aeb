"""Serving under load: `caseweave serve` beside a bare FastAPI hello route, on SQLite and PostgreSQL.

    .venv/bin/python bench/serve_load.py                                  # both engines, 60 s phases
    .venv/bin/python bench/serve_load.py --engine sqlite --seconds 5      # a quick look

Per engine: a fresh database with the demo roster and a small synthetic operation (imported and
linked), served by `caseweave serve --workers N` (by default one process per CPU, as
docs/architecture.md advises; `--workers 1` for one) with the shipped settings otherwise. PostgreSQL is a
throwaway 15 cluster (tests/support/postgres.py: fsync off). The load comes from this process
(asyncio + httpx), open loop: each request starts on its schedule whether or not earlier ones have
answered, so a slow server cannot slow the load down; a request's latency is counted from its
scheduled start. Phases:

1. reads: GET /subjects/{id} of random subjects, at --steady-rate (50/s, below this machine's
   ceiling) and at --rate (200/s, the goal), each for --seconds; and the same schedules against a
   bare uvicorn + FastAPI sync route (`{"hello": "world"}`), as many processes: the floor of serving
   HTTP in Python on this machine with this load generator. Above the ceiling, what is not served
   must be a quick 503, never a 500 or a time-out; 10 s at the steady rate right after must be
   clean again (the server recovers by itself).
2. attack: 20 workers send wrong-password logins for one account, 50 a second together (issue 17's
   reproduction), while another user works at 100 requests/s or each of --work-rates (of every ten:
   three subject reads, four note lists, an operation, its referrals, a note written) and /health is
   asked every 100 ms;
   the user goes on for 10 s after the attack stops. Goal: 0 failures for the user and /health.
   The same user's work without the attack, first, is the control.
3. soak: the user's work at 50 requests/s for --soak seconds (300), the RSS sampled ten times: flat
   once warm, or it leaks.
4. SIGTERM while the user works: how long the server takes to exit.

The server's RSS (all its processes together) is read from /proc before and after each phase.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

USER = "analyst.gb"  # reads subjects in phase 1 and 2
WORKER = "analyst.ca-hotline"  # works through the attack
VICTIM = "investigator.de"  # whose password the attackers guess
TIMEOUT = 10.0  # seconds a request may take before it counts as timed out
SOAK_RATE = 50  # requests a second of the memory soak: work the server keeps up with
ATTACK_RATE = 50  # wrong-password logins a second from the 20 workers together, as in issue 17


# --- the servers ---------------------------------------------------------------------------------


def load_average() -> str:
    """The machine's 1-minute load average: other work running beside the benchmark."""
    return f"{os.getloadavg()[0]:.2f}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def rss_mb(self) -> float:
        """Resident memory of the server and its worker processes."""
        return sum(_rss_kib(pid) for pid in _process_tree(self.process.pid)) / 1024

    def stop(self) -> float:
        """SIGTERM; seconds until the process exited (killed after 60 s)."""
        started = time.perf_counter()
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return time.perf_counter() - started


def _process_tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid] + [grandchild for child in children for grandchild in _process_tree(int(child))]


def _rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:  # exited since it was listed
        return 0
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


def start(command: list[str], env: dict[str, str], port: int, log: Path) -> Server:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return Server(process, url, log)
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not answer within 120 s: {log.read_text()[-2000:]}")


def serve_caseweave(database_url: str, folder: Path, workers: int) -> Server:
    port = free_port()
    command = [str(ROOT / ".venv/bin/caseweave"), "serve", "--port", str(port), "--workers", str(workers)]
    env = {"CASEWEAVE_DATABASE_URL": database_url, "CASEWEAVE_AUTO_UPGRADE": "false"}
    return start(command, env, port, folder / f"serve-{port}.log")


def serve_hello(folder: Path, workers: int) -> Server:
    port = free_port()
    command = [sys.executable, __file__, "--hello-server", str(port), "--workers", str(workers)]
    return start(command, {}, port, folder / f"hello-{port}.log")


def run_hello_server(port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run("bench.serve_load:hello_app", factory=True, workers=workers, port=port, log_level="warning")


def hello_app() -> object:
    """The raw baseline: uvicorn and FastAPI with one sync route (run on the thread pool, as ours)."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/hello/{item}")
    def hello(item: int) -> dict[str, object]:
        return {"hello": "world", "item": item}

    return app


# --- the data ------------------------------------------------------------------------------------


def seed(database_url: str, folder: Path, subjects: int) -> dict[str, str]:
    """The demo roster and a synthetic operation, imported and linked; returns the demo passwords."""
    from caseweave.actor import Actor
    from caseweave.config import Settings
    from caseweave.db.runtime import Database
    from caseweave.demo.referrals import import_folder
    from caseweave.demo.seed import seed_demo
    from caseweave.linkage.service import link_operation
    from caseweave.synth import write_operation

    settings = Settings(database_url=database_url)
    db = Database.open(settings)
    operator = Actor.cli()
    data = folder / "synthetic"
    write_operation(data, subjects=subjects, countries=10, seed=1)
    with db.transaction() as session:
        result = seed_demo(session, operator, settings)
        import_folder(session, operator, result.operation, data, lambda _: None)
        link_operation(session, operator, settings, result.operation.id, full=True)
    db.close()
    return {username: password for username, _, _, password in result.logins}


def login(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    answer = client.post("/auth/login", json={"username": username, "password": password})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def subject_ids(client: httpx.Client, headers: dict[str, str]) -> list[str]:
    operations = client.get("/operations", headers=headers).json()
    listed = client.get(f"/operations/{operations[0]['id']}/subjects", headers=headers)
    listed.raise_for_status()
    return [subject["public_id"] for subject in listed.json()]


# --- the load ------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Answers of one stream of requests: status counts (`timeout`, `error` for no answer) and the
    latency of each answer in seconds, by status."""

    statuses: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)

    def add(self, status: str, seconds: float) -> None:
        self.statuses[status] += 1
        self.latencies.setdefault(status, []).append(seconds)

    def failures(self, ok: frozenset[str] = frozenset({"200", "201"})) -> int:
        return sum(count for status, count in self.statuses.items() if status not in ok)

    def percentile(self, q: float, status: str = "200") -> float:
        values = sorted(self.latencies.get(status, []))
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(q * len(values)))] * 1000

    def describe(self, status: str = "200") -> str:
        counts = ", ".join(f"{name} x{count}" for name, count in sorted(self.statuses.items()))
        return (
            f"{counts}; {status}: p50 {self.percentile(0.5, status):.1f} ms, "
            f"p99 {self.percentile(0.99, status):.1f} ms, max {self.percentile(1.0, status):.1f} ms"
        )


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    json: object = None


class Client:
    """Keep-alive HTTP/1.1 connections to one server, for the load itself (httpx, used to set up,
    spends about 1.5 ms of CPU a request: at 400/s most of a core of this 2-core machine, taken from
    the server being measured; this spends a tenth of that)."""

    def __init__(self, url: str) -> None:
        parsed = httpx.URL(url)
        self.host, self.port = parsed.host, parsed.port or 80
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened: list[asyncio.StreamWriter] = []

    async def send(self, request: Request) -> int:
        """The answer's status; the connection goes back to the pool unless the server closes it."""
        while self.idle:
            reader, writer = self.idle.pop()
            try:
                return await self.exchange(reader, writer, request)
            except (ConnectionError, asyncio.IncompleteReadError) as error:
                # The server closed it while idle (keep-alive timeout): try the next or a new one, as
                # any HTTP client does when nothing of the answer had come.
                writer.close()
                if isinstance(error, asyncio.IncompleteReadError) and error.partial:
                    raise
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.opened.append(writer)
        return await self.exchange(reader, writer, request)

    async def exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request
    ) -> int:
        body = b"" if request.json is None else json.dumps(request.json).encode()
        lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in request.headers]
        if request.json is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = (await reader.readuntil(b"\r\n\r\n")).lower()
        length = int(head.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
        await reader.readexactly(length)
        if b"connection: close" in head:
            writer.close()
        else:
            self.idle.append((reader, writer))
        return int(head[9:12])

    async def close(self) -> None:
        for writer in self.opened:
            writer.close()


async def timed(client: Client, request: Request, tally: Tally, scheduled: float) -> None:
    try:
        status = str(await asyncio.wait_for(client.send(request), TIMEOUT))
    except TimeoutError:
        status = "timeout"  # its connection is not reused: wait_for cancelled it mid-answer
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        status = "error"
    tally.add(status, time.perf_counter() - scheduled)


async def open_loop(
    client: Client, rate: float, seconds: float, pick: Callable[[int], Request], tally: Tally
) -> None:
    """`rate` requests a second for `seconds`, each started on schedule."""
    started = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for n in range(int(rate * seconds)):
        scheduled = started + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed(client, pick(n), tally, scheduled)))
    await asyncio.gather(*tasks)


async def closed_loop(client: Client, request: Request, tally: Tally, until: float, pause: float) -> None:
    """One worker sending the next request `pause` seconds after the last was answered."""
    while time.perf_counter() < until:
        await timed(client, request, tally, time.perf_counter())
        await asyncio.sleep(pause)


def bearer(headers: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(headers.items())


def subject_reads(ids: list[str], headers: dict[str, str], seed_: int) -> Callable[[int], Request]:
    rng = random.Random(seed_)
    return lambda _: Request("GET", f"/subjects/{rng.choice(ids)}", bearer(headers))


def hello_reads(n: int) -> Request:
    return Request("GET", f"/hello/{n % 1000}")


async def read_phase(url: str, rate: float, seconds: float, pick: Callable[[int], Request]) -> Tally:
    tally = Tally()
    client = Client(url)
    try:
        await open_loop(client, rate, seconds, pick, tally)
    finally:
        await client.close()
    return tally


async def attack_phase(
    url: str, seconds: float, after: float, work: Callable[[int], Request], attackers: int, rate: float
) -> tuple[Tally, Tally, Tally]:
    """(attackers', worker's, /health's answers)."""
    attack, worker, health = Tally(), Tally(), Tally()
    guess = Request("POST", "/auth/login", json={"username": VICTIM, "password": "not the password at all"})
    client = Client(url)
    try:
        until = time.perf_counter() + seconds
        pause = max(attackers, 1) / ATTACK_RATE
        await asyncio.gather(
            open_loop(client, rate, seconds + after, work, worker),
            open_loop(client, 10, seconds + after, lambda _: Request("GET", "/health"), health),
            *(closed_loop(client, guess, attack, until, pause) for _ in range(attackers)),
        )
    finally:
        await client.close()
    return attack, worker, health


def worker_requests(
    ids: list[str], headers: dict[str, str], operation_id: int, seed_: int
) -> Callable[[int], Request]:
    """Of every ten: three subjects read, four note lists, an operation, its referrals, a note written."""
    reads = subject_reads(ids, headers, seed_)
    note = {"title": "working through the attack", "tlp": "GREEN"}
    operation = f"/operations/{operation_id}"

    def pick(n: int) -> Request:
        step = n % 10
        if step < 3:
            return reads(n)
        if step < 7:
            return Request("GET", f"{operation}/notes", bearer(headers))
        if step == 7:
            return Request("GET", operation, bearer(headers))
        if step == 8:
            return Request("GET", f"{operation}/referrals", bearer(headers))
        return Request("POST", f"{operation}/notes", bearer(headers), note)

    return pick


# --- one engine ----------------------------------------------------------------------------------


@contextlib.contextmanager
def database(engine: str, folder: Path) -> Iterator[str]:
    if engine == "sqlite":
        yield f"sqlite:///{folder / 'caseweave.db'}"
        return
    from tests.support.postgres import start_cluster

    cluster = start_cluster()
    try:
        from sqlalchemy import create_engine, text

        admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE bench"))
        admin.dispose()
        yield cluster.url("bench")
    finally:
        cluster.stop()


def bench_engine(engine: str, args: argparse.Namespace) -> None:
    print(f"\n## {engine}", flush=True)
    with tempfile.TemporaryDirectory(prefix="caseweave-serve-") as tmp, database(engine, Path(tmp)) as url:
        folder = Path(tmp)
        started = time.perf_counter()
        passwords = seed(url, folder, args.subjects)
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
        server = serve_caseweave(url, folder, args.workers)
        hello = serve_hello(folder, args.workers)
        try:
            with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
                reader = login(client, USER, passwords[USER])
                ids = subject_ids(client, reader)
                worker = login(client, WORKER, passwords[WORKER])
                worker_ids = subject_ids(client, worker)
                operation_id = client.get("/operations", headers=worker).json()[0]["id"]
            print(f"{len(ids)} subjects visible to {USER}, {len(worker_ids)} to {WORKER}", flush=True)
            rss = [server.rss_mb()]
            asyncio.run(read_phase(server.url, 20, 3, subject_reads(ids, reader, 0)))  # warm up
            for n, rate in enumerate((args.steady_rate, args.rate), start=1):
                print(f"load average before: {load_average()}")
                ours = asyncio.run(read_phase(server.url, rate, args.seconds, subject_reads(ids, reader, n)))
                raw = asyncio.run(read_phase(hello.url, rate, args.seconds, hello_reads))
                rss.append(server.rss_mb())
                served = ours.statuses["200"] / args.seconds
                print(f"reads {rate:.0f}/s for {args.seconds:.0f} s, caseweave GET /subjects/{{id}}:")
                print(f"  {ours.describe()}")
                print(f"  {served:.0f} answered 200 a second; 503: p99 {ours.percentile(0.99, '503'):.1f} ms")
                print(f"  bare FastAPI hello, same schedule: {raw.describe()}")
                print(
                    f"  ratio caseweave / bare: p50 {ours.percentile(0.5) / raw.percentile(0.5):.1f}x, "
                    f"p99 {ours.percentile(0.99) / raw.percentile(0.99):.1f}x",
                    flush=True,
                )
            after = asyncio.run(read_phase(server.url, args.steady_rate, 10, subject_reads(ids, reader, 3)))
            print(f"right after, {args.steady_rate:.0f}/s for 10 s: {after.describe()}", flush=True)

            work = worker_requests(worker_ids, worker, operation_id, 4)
            for rate in args.work_rates:  # the goal's 100/s, and rates under this machine's ceiling
                attack_at(server, args, work, rate)
                rss.append(server.rss_mb())
            print(f"server RSS (MB) at start, after steady reads, after 200/s, after each attack: {rss}")
            if args.soak:
                soak(server, worker_requests(worker_ids, worker, operation_id, 6), args.soak)
            exited = sigterm_under_load(server, worker_requests(worker_ids, worker, operation_id, 5))
            print(f"SIGTERM while {WORKER} works at 100/s: exited in {exited:.1f} s", flush=True)
        finally:
            for process in (hello, server):
                if process.process.poll() is None:
                    process.stop()


def attack_at(server: Server, args: argparse.Namespace, work: Callable[[int], Request], rate: float) -> None:
    """The user's work at `rate` alone (the control), then through the login attack."""
    seconds = args.seconds
    print(f"load average before: {load_average()}")
    _, alone, _ = asyncio.run(attack_phase(server.url, seconds, 10, work, 0, rate))
    print(f"control: {WORKER} at {rate:.0f}/s alone, {seconds + 10:.0f} s: {alone.describe()}")
    print(f"load average before: {load_average()}", flush=True)
    attack, worked, health = asyncio.run(attack_phase(server.url, seconds, 10, work, 20, rate))
    print(
        f"attack: 20 workers, {ATTACK_RATE}/s wrong passwords for {VICTIM} for {seconds:.0f} s: "
        f"{dict(attack.statuses)}; 429: p99 {attack.percentile(0.99, '429'):.1f} ms"
    )
    print(f"  {WORKER} at {rate:.0f}/s through it and 10 s after: {worked.describe()}")
    print(f"  /health every 100 ms: {health.describe()}", flush=True)


def soak(server: Server, work: Callable[[int], Request], seconds: float) -> None:
    """The user's work at the steady rate for `seconds`, the server's RSS every tenth of it: memory
    that grows with the requests served would show as a line that keeps rising."""

    async def work_and_watch() -> tuple[Tally, list[float]]:
        tally, client, samples = Tally(), Client(server.url), [server.rss_mb()]
        load = asyncio.create_task(open_loop(client, SOAK_RATE, seconds, work, tally))
        try:
            while not load.done():
                await asyncio.wait({load}, timeout=seconds / 10)
                samples.append(server.rss_mb())
        finally:
            await load
            await client.close()
        return tally, samples

    tally, samples = asyncio.run(work_and_watch())
    print(f"soak: {WORKER} at {SOAK_RATE}/s for {seconds:.0f} s: {tally.describe()}")
    print(f"  server RSS (MB) every {seconds / 10:.0f} s: {[round(mb) for mb in samples]}", flush=True)


def sigterm_under_load(server: Server, work: Callable[[int], Request]) -> float:
    async def load_then_stop() -> float:
        client = Client(server.url)
        load = asyncio.create_task(open_loop(client, 100, 5, work, Tally()))
        await asyncio.sleep(2)
        exited = await asyncio.to_thread(server.stop)
        await load
        await client.close()
        return exited

    return asyncio.run(load_then_stop())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the read and attack phases")
    parser.add_argument("--rate", type=float, default=200.0, help="subject reads a second, the goal")
    parser.add_argument(
        "--steady-rate", type=float, default=50.0, help="subject reads a second below the ceiling"
    )
    parser.add_argument("--subjects", type=int, default=150, help="synthetic subjects to seed")
    parser.add_argument(
        "--work-rates",
        type=lambda text: [float(part) for part in text.split(",")],
        default=[100.0],
        help="requests a second of the user working through the login attack, e.g. 100,40",
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="server processes (default: one per CPU)"
    )
    parser.add_argument(
        "--soak", type=float, default=300.0, help="seconds of steady work watching RSS (0: skip)"
    )
    parser.add_argument("--hello-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hello_server:
        run_hello_server(args.hello_server, args.workers)
        return
    started = time.strftime("%Y-%m-%d %H:%M")
    print(f"# serve_load {started}, {os.cpu_count()} CPUs, {args.workers} server processes", flush=True)
    for engine in ("sqlite", "postgresql") if args.engine == "both" else (args.engine,):
        bench_engine(engine, args)


if __name__ == "__main__":
    main()
