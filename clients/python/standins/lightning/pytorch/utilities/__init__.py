"""Stand-in: rank_zero_only, which runs the function on rank 0 only (here: always)."""


def rank_zero_only(fn):
    return fn
