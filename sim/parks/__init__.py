"""The park submodel (园区开发区改革): development zones, their firms and the park reform.

- :mod:`sim.parks.config`: the zones a run starts from (``population.zones``) and the plan
  (``parks``);
- :mod:`sim.parks.roster`: the zone roster format and its validation; :mod:`sim.parks.synthetic`:
  the seeded generator;
- :mod:`sim.parks.consolidation` (一区多园), :mod:`sim.parks.scoring` (亩均论英雄): the rules as
  pure functions;
- :mod:`sim.parks.submodel`: the zone agents, the firm arrays, the monthly stage, 一企一案 and land;
- :mod:`sim.parks.log`: the park event log.
"""
