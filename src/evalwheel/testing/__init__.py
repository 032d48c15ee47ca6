"""Test helpers that users can use too: a fault-injecting OpenAI-compatible stub server."""
