"""Models and closed forms shared by the event tests."""

from __future__ import annotations

import numpy as np

BALL = """
model ball
parameter g = 9.81, e = 0.9, h0 = 1
state h = h0, v = 0
der(h) = v
der(v) = -g
event bounce when h < 0: v = -e*v, h = 0
observe energy = g*h + v^2/2
"""


def impacts(g=9.81, e=0.9, h0=1.0, n=6):
    """The first ``n`` impact times and the rebound speeds after each."""
    v0 = np.sqrt(2 * g * h0)
    speeds = v0 * e ** np.arange(1, n + 1)
    times = np.sqrt(2 * h0 / g) + np.concatenate([[0.0], np.cumsum(2 * speeds[:-1] / g)])
    return times, speeds


def exact_height(t, g=9.81, e=0.9, h0=1.0):
    """h(t) of the ideal ball (before the accumulation point)."""
    times, speeds = impacts(g, e, h0, 40)
    t = np.asarray(t, float)
    h = h0 - g * t ** 2 / 2
    for tk, vk in zip(times, speeds):
        s = t - tk
        h = np.where(s >= 0, vk * s - g * s ** 2 / 2, h)
    return h
