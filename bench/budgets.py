"""The timing budgets of issue 7, checked on one database's results.

1. The board does not slow down as registrations pile up: its median at
   N = 50,000 is at most 1.5 times its median at N = 500.
2. The board costs little on top of its data: its median at N = 5,000 is at
   most 3 times the bare SQL floor (the board's own card SELECT through the
   same driver, no ORM, no templates) measured in the same run.

Both use the medians measured in turns (bench.inprocess.measure_interleaved),
so that the machine's changing load does not decide them. A budget whose
sizes were not measured is skipped, not passed.

Next to them, for reading, not for passing (outcome INFO): the same ratio
against all of the board's SQL (counts, cards, guard look-ups and the user,
bare), and the board with no rendered card reused (its first view).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Budget:
    name: str
    description: str
    value: float | None
    limit: float
    detail: str

    informational: bool = False

    @property
    def outcome(self) -> str:
        if self.value is None:
            return "SKIP"
        if self.informational:
            return "INFO"
        return "PASS" if self.value <= self.limit else "FAIL"


def check(result: dict) -> list[Budget]:
    sizes = result["sizes"]

    def median(n: int, what: str) -> float | None:
        entry = sizes.get(str(n), {}).get("interleaved", {}).get(what)
        return entry["median_ms"] if entry else None

    board, bare = median(5000, "board"), median(5000, "sql_floor")
    all_sql = sizes.get("5000", {}).get("sql_board", {}).get("median_ms")
    uncached = sizes.get("5000", {}).get("pages", {}).get("board_uncached", {}).get("median_ms")
    return [
        _ratio("board_scales", "board median at N=50,000 ≤ 1.5 × at N=500",
               median(50000, "board"), median(500, "board"), 1.5, "needs N=500 and N=50,000"),
        _ratio("board_over_sql_floor", "board median at N=5,000 ≤ 3 × bare SQL floor", board, bare, 3.0),
        _ratio("board_over_all_sql", "board at N=5,000 ÷ all of the board's SQL, bare (for reading)",
               board, all_sql, 3.0, informational=True),
        _ratio("board_over_all_sql", "board without the card cache at N=5,000 ÷ all of the board's SQL, bare "
               "(for reading)", uncached, all_sql, 3.0, informational=True),
    ]


def _ratio(name: str, description: str, measured: float | None, base: float | None, limit: float,
           needs: str = "needs N=5,000", informational: bool = False) -> Budget:
    """The budget `measured / base <= limit`, skipped when either was not measured."""
    ratio = measured / base if measured and base else None
    return Budget(name, description, round(ratio, 2) if ratio else None, limit,
                  f"{measured} ms / {base} ms" if ratio else needs, informational)
