"""The reform rules (三攻坚一盘活: 止损、瘦身、提质、增效; 三清三减三增; 政企分离; 盘活).

One module per rule family, each with its parameters next to its rule:

| family | module | policy text |
|---|---|---|
| loss_cutting | ``loss_cutting.py`` | 分层分类"止损治亏", 处僵治困 |
| slimming | ``slimming.py`` | 瘦身健体: 减层级、减数量 |
| quality | ``quality.py`` (+ ``synergy.py``) | 优化重组: 战略性重组、专业化整合, 主业 ≤ 3 |
| efficiency | ``efficiency.py`` | 增效; 三清; 盘活国有资产 |
| decoupling | ``decoupling.py`` | 政企分离: 脱钩、集中统一监管 |

``base.py`` is the contract, ``dispositions.py`` the shared cost model, ``milestones.py`` the
targets and the report card, ``engine.py`` the monthly driver, ``config.py`` the typed config.
"""

from sim.policies.config import PolicyConfig
from sim.policies.engine import Policy

__all__ = ["Policy", "PolicyConfig"]
