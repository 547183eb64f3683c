"""briefing: turn a folder of confidence-tagged evidence into executive policy briefings."""

__version__ = "0.1.0"
