"""Errors for bad input. Each carries one message naming the problem and where it is."""


class SimInputError(ValueError):
    """Bad user input (config or roster). The CLI prints the message and exits non-zero."""


class RosterError(SimInputError):
    """A roster file or table breaks the schema in sim.population.schema."""


class ConfigError(SimInputError):
    """A configuration value is malformed or out of range."""
