"""Stand-in (see ../../README.md): lightning.pytorch's Logger base class and rank_zero_only."""
