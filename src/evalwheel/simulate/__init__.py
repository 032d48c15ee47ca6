"""Simulated users: goals ("essences") extracted from real conversations, replayed against a
system as multi-turn episodes, with the simulator's own errors and realism measured."""
