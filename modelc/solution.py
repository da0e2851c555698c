"""The result of a solve: times, states, observables, statistics and status."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

__all__ = ["Solution", "COUNTERS"]

COUNTERS = ("nfe", "steps", "accepted", "rejected", "njev", "nlu")
"""The loop's counters, copied from a `modelc.solvers.RawSolution` into ``stats``."""


@dataclass(frozen=True)
class Solution:
    """States and observables at the requested times.

    Attributes:
        t: output times, shape (n,).
        y: states, shape (n, n_states) in the order of `state_names`
           (with a leading batch axis for ensembles).
        state_names: names of the state columns.
        observables: observables, shape (n, n_observables).
        observable_names: names of the observable columns.
        stats: at least ``nfe``, ``steps``, ``accepted``, ``rejected``, ``method``.
        status: a `modelc.Status`; anything but ``SUCCESS`` means the outputs
            after the failure time are NaN.
        fields: for field models, each field by name, shape (n, *grid)
            (complex for complex fields); for models with array states, each
            array state by name, shape (n, *shape); `y` then holds the scalar
            states only.
        grid: for field models, the nodes of each axis by name.
        events: for a model with events, the fired events in order, as
            ``(time, name)`` pairs (ensembles: ``stats["event_count"]`` and the
            arrays ``stats["event_times"]``, ``stats["event_index"]`` per member).
            A ``stop`` event ends the solution at its time: the outputs after it
            are dropped and a last row holds the state at the stop time.
    """

    t: np.ndarray
    y: np.ndarray
    state_names: tuple[str, ...]
    observables: np.ndarray
    observable_names: tuple[str, ...]
    stats: dict = field(default_factory=dict)
    status: object = None
    fields: dict = field(default_factory=dict)
    grid: dict = field(default_factory=dict)
    events: tuple = ()

    @classmethod
    def from_raw(cls, raw, *, state_names, method: str, observables=None, observable_names=(),
                 unpacked: dict | None = None, separate=(), grid=None, start: int = 0,
                 batched: bool = False, t=None, stats: dict | None = None,
                 event_names: tuple = ()) -> Solution:
        """A `Solution` from the loop's `modelc.solvers.RawSolution` (NumPy side).

        Args:
            raw: the raw solution (with a leading member axis when ``batched``).
            state_names: the model's states, in the order of the columns of ``raw.ys``.
            method: the method that ran (``stats["method"]``).
            observables: observables at ``raw.ts`` (default: none).
            unpacked: each state by name (`modelc.runs.states_of`) for models whose
                flat state is not one column per state; then the names in ``separate``
                (array states, fields) go to ``fields`` and the others to ``y``.
            grid: the nodes of each axis of a field model.
            start: the first output time to keep (1 drops a start time that was not asked for).
            t: the output times (default ``raw.ts``, of the first member when batched).
            stats: more entries of ``stats`` (``auto``, ``members``, ...).
            event_names: the model's events, in the order of ``raw.event_index``.
        """
        from .solvers import Status

        cut = (lambda x: np.asarray(x)[:, start:]) if batched else (lambda x: np.asarray(x)[start:])
        ys = cut(raw.ys)
        names, fields = tuple(state_names), {}
        if unpacked is not None:
            names = tuple(n for n in state_names if n not in separate)
            y = (np.stack([cut(unpacked[n]) for n in names], axis=-1) if names
                 else np.zeros(ys.shape[:-1] + (0,), ys.dtype))
            fields = {n: cut(unpacked[n]) for n in separate}
        else:
            y = ys
        if t is None:
            t = np.asarray(raw.ts)[0] if batched else np.asarray(raw.ts)
        count = np.asarray if batched else int
        info = {k: count(getattr(raw, k)) for k in COUNTERS}
        info.update(method=method, **(stats or {}))
        status = np.asarray(raw.status) if batched else Status(int(raw.status))
        obs = cut(observables) if observables is not None else np.zeros(y.shape[:-1] + (0,))
        events = ()
        if getattr(raw, "event_count", None) is not None:
            count = np.asarray(raw.event_count)
            if batched:
                info.update(event_count=count, event_times=np.asarray(raw.event_times),
                            event_index=np.asarray(raw.event_index))
            else:
                n = min(int(count), np.shape(raw.event_index)[0])
                events = tuple((float(tk), event_names[int(k)]) for tk, k in
                               zip(np.asarray(raw.event_times)[:n], np.asarray(raw.event_index)[:n]))
                info["events"] = len(events)
        return cls(t=np.asarray(t)[start:], y=y, state_names=names, observables=obs,
                   observable_names=tuple(observable_names), stats=info, status=status,
                   fields=fields, grid={k: np.asarray(v) for k, v in (grid or {}).items()},
                   events=events)

    def ended_at(self, t_end: float, y_end, obs_end) -> Solution:
        """This solution cut after ``t_end`` (a stop event's time), with a last row there
        holding ``y_end`` and ``obs_end`` (unless an output time equals ``t_end``)."""
        keep = self.t <= t_end if self.t[-1] >= self.t[0] else self.t >= t_end
        t, y, obs = self.t[keep], self.y[keep], self.observables[keep]
        if not (t.size and t[-1] == t_end):
            t = np.append(t, t_end)
            y = np.vstack([y, np.asarray(y_end, y.dtype)[None]])
            obs = np.vstack([obs, np.asarray(obs_end, obs.dtype).reshape(1, -1)])
        return replace(self, t=t, y=y, observables=obs)

    def __getitem__(self, name: str) -> np.ndarray:
        """A state, field or observable over time, by name."""
        if name in self.fields:
            return self.fields[name]
        if name in self.state_names:
            return self.y[..., self.state_names.index(name)]
        if name in self.observable_names:
            return self.observables[..., self.observable_names.index(name)]
        known = self.state_names + tuple(self.fields) + self.observable_names
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"no state or observable named {name!r}{hint} (known: {', '.join(known)})")

    @property
    def ok(self) -> bool:
        """True when the solver reached the final time or a ``stop`` event ended it (every
        member, for an ensemble)."""
        from .solvers import OK_STATUSES

        return bool(np.all(np.isin(np.asarray(self.status, dtype=int), [int(s) for s in OK_STATUSES])))

    @property
    def message(self) -> str:
        """What the status means, in words (for a non-finite state, also which equations
        and where: ``stats["nonfinite"]``)."""
        text = getattr(self.status, "message", str(self.status))
        return text + (f": {self.stats['nonfinite']}" if self.stats.get("nonfinite") else "")

    @property
    def names(self) -> tuple[str, ...]:
        """All column names: states, then observables."""
        return self.state_names + self.observable_names

    def member(self, i: int) -> Solution:
        """Member ``i`` of an ensemble as an ordinary `Solution`."""
        from .solvers import Status
        return Solution(t=self.t, y=self.y[i], state_names=self.state_names,
                        observables=self.observables[i], observable_names=self.observable_names,
                        stats={k: (v[i] if np.ndim(v) else v) for k, v in self.stats.items()},
                        status=Status(int(np.asarray(self.status)[i])),
                        fields={k: v[i] for k, v in self.fields.items()}, grid=self.grid)

    def table(self) -> np.ndarray:
        """Columns ``t``, states and observables as one 2-D array."""
        return np.column_stack([self.t, self.y, self.observables])

    def to_csv(self, path: str | Path) -> None:
        """Write ``t``, the states and the observables as CSV with a header row, then
        every field or array state flattened one column per entry, named like
        ``x[3][1]`` (complex values as ``re(u[0])``, ``im(u[0])``); for many entries
        ``.npz`` (:meth:`to_npz`) is the compact choice."""
        names, columns = list(("t",) + self.names), [self.table()]
        for name, values in self.fields.items():
            values = np.asarray(values)
            flat = values.reshape(values.shape[0], -1)
            labels = [name + "".join(f"[{j}]" for j in i) for i in np.ndindex(*values.shape[1:])]
            if np.iscomplexobj(flat):
                names += [f"re({lab})" for lab in labels] + [f"im({lab})" for lab in labels]
                columns += [flat.real, flat.imag]
            else:
                names += labels
                columns.append(flat)
        np.savetxt(path, np.column_stack(columns), delimiter=",", header=",".join(names),
                   comments="")

    def to_npz(self, path: str | Path) -> None:
        """Write every column by name, plus the statistics, as a NumPy ``.npz`` file."""
        arrays = {"t": self.t}
        arrays.update({name: self[name] for name in self.names})
        arrays.update(self.fields)
        arrays.update({f"grid_{axis}": nodes for axis, nodes in self.grid.items()})
        arrays.update({f"stats_{k}": np.asarray(v) for k, v in self.stats.items()})
        np.savez(path, **arrays)
