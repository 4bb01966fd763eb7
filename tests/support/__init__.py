"""Helpers shared by the test tiers (unit, functional, e2e): fakes, builders, real-process drivers."""
