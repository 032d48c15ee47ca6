"""A simulated shop: state, events for every trigger, and an executor that records effects."""
