"""Calibration of hedgesim: targets from the seed articles, their evaluator and the fitting loop."""
