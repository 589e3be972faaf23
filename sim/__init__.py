"""soe_sim: an agent-based simulator of state-owned enterprise (SOE) restructuring."""

__version__ = "0.1.0"


def config_dir() -> str:
    """The configs folder: packaged inside ``sim`` in a wheel, at the repo root in a checkout."""
    from pathlib import Path

    packaged = Path(__file__).parent / "configs"
    return str(packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "configs")
