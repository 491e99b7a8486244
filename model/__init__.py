"""hedgesim: an agent-based model of North Korea hedging between China and Russia."""

__version__ = "0.1.0"
