"""soe_sim: an agent-based simulator of state-owned enterprise (SOE) restructuring."""

__version__ = "0.1.0"
