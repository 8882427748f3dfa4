"""The SDK's sync() against the sync protocol in memory (tests/syncsim.py)."""
