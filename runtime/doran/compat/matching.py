"""A maximum-weight matching of a bipartite graph (the Hungarian method, O(n^3), exact integers).

Branches of two `anyOf`/`oneOf`/`allOf` are paired with it; pairs of weight 0 or less stay unpaired.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["max_weight_matching"]

_INFINITY = 1 << 512  # above any reduced cost


def max_weight_matching(weights: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """Pairs (row, column) of positive weight whose total weight is greatest; each index used once."""
    rows = len(weights)
    cols = len(weights[0]) if rows else 0
    if not rows or not cols:
        return []
    top = max(0, *(max(row) for row in weights))
    # rows x (cols + rows): each row may also take its own dummy column, worth 0 (left unpaired)
    width = cols + rows
    cost = [[top - max(w, 0) for w in row] + [top] * rows for row in weights]
    # e-maxx formulation for rows <= columns; potentials u (rows) and v (columns), p[j]: row of column j
    u = [0] * (rows + 1)
    v = [0] * (width + 1)
    p = [0] * (width + 1)
    way = [0] * (width + 1)
    for i in range(1, rows + 1):
        p[0] = i
        j0 = 0
        minv = [_INFINITY] * (width + 1)
        used = [False] * (width + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], _INFINITY, 0
            row, ui = cost[i0 - 1], u[i0]
            for j in range(1, width + 1):
                if used[j]:
                    continue
                cur = row[j - 1] - ui - v[j]
                if cur < minv[j]:
                    minv[j] = cur
                    way[j] = j0
                if minv[j] < delta:
                    delta, j1 = minv[j], j
            for j in range(width + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    pairs = [(p[j] - 1, j - 1) for j in range(1, cols + 1) if p[j] and weights[p[j] - 1][j - 1] > 0]
    return sorted(pairs)
