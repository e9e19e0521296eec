"""Calibration choices side by side, on the three development sets, in one run.

Run with `make bench-kb-variants`. In process (no HTTP: the decision is the same code, and the
point is the comparison): each set's articles imported into a temporary data directory once,
then for each configuration the knowledge base calibrates itself again and every question is
counted with `knowledge_base.replay`. "standard" is the model's fixed limits (no calibration).
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from benchmarks.common import SHARED
from bot.client import NoBot
from cascade.app import build_services
from core.settings import Settings
from knowledge_base.calibration import Targets
from knowledge_base.importing import parse_jsonl
from knowledge_base.replay import parse_questions, replay

SETS = [SHARED / "data" / name for name in ("kb-dev", "kb-dev-hwu", "kb-dev-ja")]
CHOSEN = Targets()
VARIANTS: list[tuple[str, Targets | None]] = [
    ("standard limits (no calibration)", None),
    ("calibrated, no floor", replace(CHOSEN, floor=0.0)),
    ("calibrated, floor 0.02", replace(CHOSEN, floor=0.02)),
    ("calibrated (default: floor 0.05)", CHOSEN),
    ("calibrated, floor 0.10", replace(CHOSEN, floor=0.10)),
    ("wrong aimed at half its target", replace(CHOSEN, aim_wrong=0.5)),
    ("out of scope aimed at its target", replace(CHOSEN, aim=1.0)),
    ("clarify reach 0.98", replace(CHOSEN, clarify_reach=0.98)),
]


def fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def main(sets: list[Path]) -> None:
    with tempfile.TemporaryDirectory(prefix="cascade-kb-variants-") as tmp:
        bases = {}
        for data in sets:
            services = build_services(
                Settings(data_dir=Path(tmp) / data.name, rasa_url=""), bot=NoBot()
            )
            services.kb.import_articles(
                parse_jsonl((data / "articles.jsonl").read_text(encoding="utf-8"))
            )
            questions = parse_questions((data / "queries.jsonl").read_text(encoding="utf-8"))
            bases[data.name] = (services.kb, questions)
        print("correct / wrong / out-of-scope answered / helpful, per set")
        print(f"{'configuration':<36}" + "".join(f"| {name:<28}" for name in bases))
        for label, targets in VARIANTS:
            cells = []
            for kb, questions in bases.values():
                kb.targets = targets
                kb.calibration = kb.calibrate()
                f = replay(questions, kb.search).figures
                cells.append(
                    f"{fmt(f.correct)}/{fmt(f.wrong)}/{fmt(f.out_of_scope_answered)}"
                    f"/{fmt(f.helpful)}"
                )
            print(f"{label:<36}" + "".join(f"| {c:<28}" for c in cells), flush=True)


if __name__ == "__main__":
    main([Path(arg) for arg in sys.argv[1:]] or SETS)
