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

    budgets = []
    small, large = median(500, "board"), median(50000, "board")
    ratio = large / small if small and large else None
    budgets.append(Budget(
        "board_scales",
        "board median at N=50,000 ≤ 1.5 × at N=500",
        round(ratio, 2) if ratio else None, 1.5,
        f"{large} ms / {small} ms" if ratio else "needs N=500 and N=50,000",
    ))
    board, bare = median(5000, "board"), median(5000, "sql_floor")
    ratio = board / bare if board and bare else None
    budgets.append(Budget(
        "board_over_sql_floor",
        "board median at N=5,000 ≤ 3 × bare SQL floor",
        round(ratio, 2) if ratio else None, 3.0,
        f"{board} ms / {bare} ms" if ratio else "needs N=5,000",
    ))
    all_sql = sizes.get("5000", {}).get("sql_board", {}).get("median_ms")
    for label, value in (("board", board),
                         ("board without the card cache", sizes.get("5000", {}).get("pages", {})
                          .get("board_uncached", {}).get("median_ms"))):
        ratio = value / all_sql if value and all_sql else None
        budgets.append(Budget(
            "board_over_all_sql",
            f"{label} at N=5,000 ÷ all of the board's SQL, bare (for reading)",
            round(ratio, 2) if ratio else None, 3.0,
            f"{value} ms / {all_sql} ms" if ratio else "needs N=5,000",
            informational=True,
        ))
    return budgets
