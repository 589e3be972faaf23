"""The reform rules (三攻坚一盘活: 止损、瘦身、提质、增效; 三清三减三增; 政企分离; 盘活).

One module per rule family, each with its parameters next to its rule; the families are listed
once, in ``registry.py`` (see the README's "Reform rules" table, generated from it).
``base.py`` is the contract, ``dispositions.py`` the shared cost model, ``synergy.py`` merger
synergy, ``milestones.py`` the targets and the report card, ``engine.py`` the monthly driver,
``config.py`` the typed config assembled from the registry, ``ranking.py`` the rank-order
helpers the rules share (candidates best first, sorted only as far as a rule reads them).

This package's ``__init__`` imports nothing, so ``import sim.config`` pulls in the parameter
declarations but not the engine.
"""
