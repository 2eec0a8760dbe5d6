"""The machine, and the results as Markdown tables (what the README shows)."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path

import sqlalchemy

from .budgets import Budget

PAGES = [
    ("board", "board"),
    ("board_uncached", "board, every card rendered (no card cache)"),
    ("board_search", "board, text filter (word)"),
    ("board_search_reference", "board, text filter (reference)"),
    ("detail", "detail page"),
    ("status", "status page"),
    ("intake", "intake sent: form and check page POSTs (303)"),
]


def machine() -> dict:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gb = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
    }


def machine_lines(info: dict, server_versions: dict[str, str]) -> list[str]:
    lines = [
        f"- CPU: {info['cpu']}, {info['cores']} cores; RAM {info['ram_gb']} GB; {info['os']}",
        f"- Python {info['python']}, SQLAlchemy {info['sqlalchemy']}, SQLite {info['sqlite']}",
    ]
    for kind, version in server_versions.items():
        if kind != "sqlite":
            lines.append(f"- {version}")
    return lines


def _n(size: str) -> str:
    return f"N={int(size):,}"


def _cell(entry: dict | None) -> str:
    if not entry or "median_ms" not in entry:
        return "–"
    return f"{entry['median_ms']:.1f} / {entry['p95_ms']:.1f}"


def _rows(result: dict) -> list[tuple[str, list[dict | None], str]]:
    """(label, entry per size, SQL statements) for the in-process table."""
    sizes = list(result["sizes"].values())

    def counts(entries: list[dict | None]) -> str:
        found = sorted({entry["queries"] for entry in entries if entry and "queries" in entry})
        return "/".join(map(str, found)) or "–"

    rows = []
    for page, label in PAGES:
        entries = [size["pages"].get(page) for size in sizes]
        rows.append((label, entries, counts(entries)))
    board_queries = rows[0][2]
    rows.append(("board, timed in turns across sizes ¹", [size.get("interleaved", {}).get("board") for size in sizes],
                 board_queries))
    rows.append(("bare SQL floor: the board's card SELECT, in turns ¹",
                 [size.get("interleaved", {}).get("sql_floor") for size in sizes], "1"))
    entries = [size.get("sql_board") for size in sizes]
    rows.append(("all of the board's SQL, bare", entries, counts(entries)))
    return rows


def in_process_table(result: dict) -> list[str]:
    sizes = list(result["sizes"])
    lines = [
        "| page (in-process, ms: median / p95) | " + " | ".join(_n(size) for size in sizes) + " | SQL statements |",
        "|---|" + "---:|" * len(sizes) + "---:|",
    ]
    for label, entries, queries in _rows(result):
        lines.append(f"| {label} | " + " | ".join(_cell(entry) for entry in entries) + f" | {queries} |")
    lines.append("")
    lines.append("¹ one board request and one floor run per size, round after round: what the budgets compare.")
    return lines


def load_table(result: dict) -> list[str]:
    sizes = [size for size in result["sizes"] if "load" in result["sizes"][size]]
    if not sizes:
        return []
    first = result["sizes"][sizes[0]]["load"]
    lines = [
        f"gunicorn: {first['workers']} workers × {first['threads']} threads; {first['clients']} client threads "
        f"with keep-alive, {first['duration_s']:.0f} s after {first['warmup_s']:.0f} s warm-up; mix "
        + ", ".join(f"{kind} {share}%" for kind, share in first["mix"].items()) + ".",
        "",
        "| N | request | req/s | p50 ms | p95 ms | p99 ms | failed | load avg (before → after) |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for size in sizes:
        load = result["sizes"][size]["load"]
        for kind, entry in load["kinds"].items():
            if not entry.get("requests"):
                continue
            average = (f"{load['load_average_before'][0]} → {load['load_average_after'][0]}" if kind == "all" else "")
            label = "**all**" if kind == "all" else kind
            lines.append(f"| {int(size):,} | {label} | {entry['rps']} | {entry['median_ms']:.1f} | {entry['p95_ms']:.1f} "
                         f"| {entry['p99_ms']:.1f} | {entry['failed']} | {average} |")
    return lines


def seed_lines(result: dict) -> list[str]:
    parts = []
    for size, entry in result["sizes"].items():
        seeding = entry["seeding"]
        rows = seeding["rows"]
        parts.append(f"N={int(size):,}: {rows['event']:,} events, {rows['contact_log_entry']:,} contacts, "
                     f"seeded in {seeding['seed_s']} s")
    return ["Seeded: " + "; ".join(parts) + "."]


def budget_table(budgets: dict[str, list[Budget]]) -> list[str]:
    lines = ["| budget | database | measured | limit | result |", "|---|---|---:|---:|---|"]
    for database, items in budgets.items():
        for budget in items:
            value = "–" if budget.value is None else f"{budget.value}× ({budget.detail})"
            lines.append(f"| {budget.description} | {database} | {value} | {budget.limit}× | **{budget.outcome}** |")
    return lines


def explain_lines(result: dict) -> list[str]:
    lines = []
    for size, entry in result["sizes"].items():
        for explained in entry.get("explain", []):
            lines.append(f"EXPLAIN of the board's text filter, q={explained['query']!r}, N={int(size):,}: "
                         f"touches event: {'yes' if explained['touches_event'] else 'no'}; "
                         f"full scan of registration: {'yes' if explained['full_scan_of_registration'] else 'no'}; "
                         f"indexes: {', '.join(explained['indexes']) or 'none'}")
    return lines


def explain_text(explained: dict) -> list[str]:
    lines = []
    for plan in explained["plans"]:
        first_line = plan["statement"].strip().splitlines()[0][:100]
        lines.append(f"-- {first_line} ...")
        lines.extend(plan["plan"])
    return lines
