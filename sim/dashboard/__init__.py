"""The interactive dashboard (``soe-sim-dashboard``): Mesa's SolaraViz over the model.

Only user interface lives here; the model, the config schema and the indicators are the ones the
command line runs.

- :mod:`sim.dashboard.levers`: the scenario, population and park presets and the lever sliders,
  generated from the parameter declarations (:mod:`sim.params`);
- :mod:`sim.dashboard.adapter`: :class:`~sim.dashboard.adapter.DashboardModel`, the model built
  from those choices (SolaraViz re-creates its model from keyword arguments);
- :mod:`sim.dashboard.views`: the charts and tables (matplotlib figures, pandas tables);
- :mod:`sim.dashboard.app`: the Solara page (``solara run sim.dashboard.app``).

Only :mod:`sim.dashboard.app` imports Solara, so the rest loads without the ``dashboard`` extra.
"""
