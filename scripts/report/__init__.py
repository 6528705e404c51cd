"""Pieces of scripts/report_experiments.py: reading the experiments' logs (logs.py), one section
per kind of experiment (sweeps.py, long.py, resnet.py) and the verdict table (verdict.py)."""
