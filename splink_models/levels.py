"""Comparison-level helpers shared by every model's settings."""

from __future__ import annotations


def fixed_m(level, m: float):
    """A level whose m is known from the domain, not learned by EM."""
    return level.configure(m_probability=m, fix_m_probability=True)


def fixed_mu(level, m: float, u: float):
    """A level kept as weak evidence by design: both m and u fixed."""
    return level.configure(
        m_probability=m, u_probability=u, fix_m_probability=True, fix_u_probability=True
    )
