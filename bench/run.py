"""Benchmark the board, detail, status and intake pages at several sizes.

    python -m bench.run --sizes 500,5000,50000 [--database-url postgresql+psycopg://...]

For every database (SQLite always; PostgreSQL when --database-url is given, in a
throw-away database created next to it) and every size N:

1. a fresh database, its schema from the real migrations, N seeded registrations
   (bench/seed.py: ~10 events, contacts, checks, DGAs, policy records each);
2. in-process, with the Flask test client as an a.s.r. user: median and p95 of
   the pages after a warm-up, their SQL statement counts, and the bare SQL floor
   (the board's own card SELECT through the raw DBAPI cursor);
3. EXPLAIN of the board's text-filter queries;
then, with the databases of all sizes side by side,
4. the board and its SQL floor at every size in turns (what the budgets use:
   the machine's load drifts, and in turns every size sees the same drift);
5. under gunicorn (2 workers, loopback), a mix of requests from concurrent
   clients for a fixed time: requests per second and p50/p95/p99 latency.

Prints Markdown tables, writes bench/results/<timestamp>-<database>.json, and
checks the budgets (bench/budgets.py): exit status 1 if one fails, unless
--report-only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.models import User

from . import budgets as budget_checks
from . import report
from .databases import fresh_database, migrate_and_seed, server_version
from .inprocess import (
    board_statements,
    card_statement,
    explain_board_search,
    make_app,
    measure_interleaved,
    measure_pages,
    measure_sql,
    pick_sample,
)
from .load import run_load
from .stats import load_average

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500,5000,50000", help="numbers of registrations (default %(default)s)")
    parser.add_argument("--database-url", help="a PostgreSQL URL: also run on a throw-away database next to it")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page first (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page (default %(default)s)")
    parser.add_argument("--duration", type=float, default=20, help="seconds of load per size (default %(default)s)")
    parser.add_argument("--load-warmup", type=float, default=3, help="seconds of load before measuring (default %(default)s)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default %(default)s)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default %(default)s)")
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn load test")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the data and the requests")
    parser.add_argument("--report-only", action="store_true", help="exit 0 even when a budget fails")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.sizes = [int(size.replace("_", "").replace(",", "")) for size in args.sizes.split(",") if size.strip()]
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be a PostgreSQL URL (SQLite is always measured)")
    if args.no_sqlite and not args.database_url:
        parser.error("--no-sqlite needs --database-url")
    return args


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def bench_database(kind: str, base_url: str | None, args: argparse.Namespace, log_dir: Path) -> dict:
    """Every size on this kind of database: each in a fresh database, all kept
    until the end so the board can be timed across sizes in turns."""
    sizes: dict[str, dict] = {}
    with ExitStack() as databases:
        prepared = {}
        for n in args.sizes:
            url = databases.enter_context(fresh_database(kind, base_url))
            app = make_app(url)
            say(f"{kind} N={n:,}: migrating and seeding (load average {load_average()})")
            entry: dict = {"seeding": migrate_and_seed(app, n, args.seed)}
            say(f"{kind} N={n:,}: seeded in {entry['seeding']['seed_s']} s; timing pages in-process")
            sample = pick_sample(app, args.seed)
            entry["pages"] = measure_pages(app, sample, args.warmup, args.repeat, args.seed)
            statements = board_statements(app)
            card = card_statement(statements)
            entry["sql_floor"] = measure_sql(app, [card], args.warmup, args.repeat * 4)
            entry["sql_board"] = measure_sql(app, statements, args.warmup, args.repeat * 2)
            entry["explain"] = [explain_board_search(app, sample.search_word),
                                explain_board_search(app, sample.references[0])]
            sizes[str(n)] = entry
            prepared[str(n)] = (url, app, sample, card)

        say(f"{kind}: the board and its SQL floor at every size, in turns (load average {load_average()})")
        interleaved = measure_interleaved({n: (app, card) for n, (_, app, _, card) in prepared.items()},
                                          args.warmup, args.repeat)
        for n, measured in interleaved.items():
            sizes[n]["interleaved"] = measured

        for n, (url, app, sample, _) in prepared.items():
            with app.app_context():
                staff = list(db.session.scalars(sa.select(User.email).where(User.role == "asr").order_by(User.email)))
                db.engine.dispose()
            if args.no_load:
                continue
            say(f"{kind} N={int(n):,}: {args.duration:.0f} s of load under gunicorn (load average {load_average()})")
            sizes[n]["load"] = run_load(
                url, staff, sample.ids, sample.tokens, log_path=log_dir / f"gunicorn-{kind}-{n}.log",
                clients=args.clients, workers=args.workers, threads=args.threads,
                duration=args.duration, warmup=args.load_warmup, rng_seed=args.seed,
            )
    return sizes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    args.results_dir.mkdir(parents=True, exist_ok=True)
    log_dir = args.results_dir / f"{stamp}-logs"
    log_dir.mkdir(exist_ok=True)
    plan = ([] if args.no_sqlite else [("sqlite", None)]) + ([("postgresql", args.database_url)] if args.database_url else [])
    machine = report.machine()
    versions = {kind: server_version(base or "sqlite://") for kind, base in plan}
    say(f"load average at the start: {load_average()} ({machine['cores']} cores)")

    results, all_budgets = {}, {}
    for kind, base in plan:
        result = {"database": kind, "server_version": versions[kind], "machine": machine, "started": stamp,
                  "arguments": {key: (str(value) if isinstance(value, Path) else value) for key, value in vars(args).items()
                                if key != "database_url"},
                  "sizes": {}}
        result["sizes"] = bench_database(kind, base, args, log_dir)
        all_budgets[kind] = budget_checks.check(result)
        result["budgets"] = [dict(vars(b), outcome=b.outcome) for b in all_budgets[kind]]
        result["load_average_end"] = load_average()
        path = args.results_dir / f"{stamp}-{kind}.json"
        path.write_text(json.dumps(result, indent=2, default=str))
        say(f"{kind}: results written to {path}")
        results[kind] = result

    print_report(results, all_budgets, machine, versions, time.monotonic() - started)
    failed = any(b.outcome == "FAIL" for items in all_budgets.values() for b in items)
    if failed and not args.report_only:
        return 1
    return 0


def print_report(results: dict, all_budgets: dict, machine: dict, versions: dict, elapsed: float) -> None:
    out: list[str] = []
    out.append(f"Machine ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; whole run {elapsed / 60:.1f} min):")
    out.extend(report.machine_lines(machine, versions))
    out.append(f"- load average (1/5/15 min) at the end: {load_average()}")
    for kind, result in results.items():
        out.append("")
        out.append(f"#### {versions[kind].split(' on ')[0]}")
        out.append("")
        out.extend(report.seed_lines(result))
        out.append("")
        out.extend(report.in_process_table(result))
        load = report.load_table(result)
        if load:
            out.append("")
            out.extend(load)
        out.append("")
        out.extend(report.explain_lines(result))
        largest = list(result["sizes"])[-1]
        # The plans in full for PostgreSQL (SQLite's are in the JSON: it has no text index and scans).
        for explained in result["sizes"][largest]["explain"] if kind == "postgresql" else []:
            out.append("")
            out.append("```")
            out.append(f"-- N={int(largest):,}, /board?q={explained['query']}")
            out.extend(report.explain_text(explained))
            out.append("```")
    out.append("")
    out.append("#### Budgets")
    out.append("")
    out.extend(report.budget_table(all_budgets))
    print("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
