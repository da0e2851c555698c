"""Draw the pictures of docs/pde.md from the PDE examples: ``python benchmarks/pde_figures.py``.

Each example is solved with the options of its own ``simulate`` line (a few
with a shorter or longer span, noted below) and drawn with
`modelc.plot_fields.plot_fields` into docs/images/pde_<name>.png.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import modelc  # noqa: E402
from modelc.plot_fields import plot_fields  # noqa: E402

# example -> solve options (None: the file's simulate line)
FIGURES = {
    "kuramoto_sivashinsky": None,
    "nlse_collision": None,
    "nlse_modulation": None,
    "kdv": None,
    "burgers": {"t": (0, 20), "points": 101},
    "allen_cahn": None,
    "heat_1d": None,
    "gray_scott": None,
    "keller_segel": None,
    "chromatography": None,
}


def main(names: list[str]) -> None:
    """Solve and draw each named example (all of FIGURES when none is named)."""
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    for name in names or FIGURES:
        model = modelc.load(ROOT / "examples" / f"{name}.model")
        sol = model.solve(**(FIGURES[name] or {}))
        path = plot_fields(sol, out / f"pde_{name}.png", title=model.doc or model.name)
        print(f"{name}: {sol.message}, {sol.stats['steps']} steps -> {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
