"""Data: loading from a source plugin, checks, task inference, splits and preprocessing."""
