"""How much each kind of disposition costs and returns: one cost model shared by all rules.

Implements the price side of 一企一案 dispositions used by the reform: lawful closure (依法关停:
liquidation at a recovery rate, severance per employee, creditor losses recorded), transfer out of
the state portfolio (合作转移: sale or mixed-ownership reform at a valuation), deregistration of
shells (注销), and absorption (吸收合并) with integration cost and job cuts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from sim.params import Validated, param
from sim.policies.base import Action

if TYPE_CHECKING:
    from sim.world import World


@dataclass(kw_only=True)
class DisposalParams(Validated):
    """Prices and costs of dispositions (money in mn yuan)."""

    _section: ClassVar[str] = "policy.disposal"

    severance_per_employee: float = param(
        0.1,
        unit="mn yuan/person",
        kind="uncertainty",
        low=0.0,
        meaning="Severance per laid-off employee (about N+1 months at ~8,000 yuan a month)",
    )
    liquidation_recovery: float = param(
        0.45,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of a closed entity's assets recovered in liquidation",
    )
    liquidation_fee: float = param(
        0.02,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Liquidation costs, share of assets",
    )
    sale_valuation: float = param(
        0.9,
        unit="ratio",
        kind="uncertainty",
        low=0.0,
        high=10.0,
        meaning="Sale price / book equity when an entity is transferred out (合作转移)",
    )
    sale_fee: float = param(
        0.01,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Transaction costs of a sale, share of the price",
    )
    deregistration_fee: float = param(
        0.05,
        unit="mn yuan",
        kind="uncertainty",
        low=0.0,
        meaning="Cost of deregistering one shell or dormant entity",
    )
    integration_cost: float = param(
        0.02,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="One-off cost of absorbing an entity, share of its annual revenue",
    )
    merge_job_cut: float = param(
        0.05,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Share of an absorbed entity's staff cut in the merger (paid severance)",
    )


def close(world: World, row: int, p: DisposalParams, *, rule: str, reason: str) -> Action:
    """Lawful closure (依法关停): liquidate, pay severance; creditors bear any shortfall."""
    st = world.state
    recovered = p.liquidation_recovery * st.assets[row]
    staff = int(st.employees[row])
    return Action(
        "close", row, rule, reason,
        proceeds=max(recovered - st.liabilities[row], 0.0),
        creditor_loss=max(st.liabilities[row] - recovered, 0.0),
        cost=p.severance_per_employee * staff + p.liquidation_fee * st.assets[row],
        jobs=staff,
    )  # fmt: skip


def transfer_out(world: World, row: int, p: DisposalParams, *, rule: str, reason: str) -> Action:
    """Transfer out of the state portfolio (合作转移) at ``sale_valuation`` x book equity."""
    st = world.state
    price = p.sale_valuation * max(st.assets[row] - st.liabilities[row], 0.0)
    return Action(
        "transfer_out",
        row,
        rule,
        reason,
        proceeds=price,
        cost=p.sale_fee * price,
        jobs=int(st.employees[row]),
    )


def deregister(world: World, row: int, p: DisposalParams, *, rule: str, reason: str) -> Action:
    """Deregistration (注销): the parent takes the net assets (or settles the debts)."""
    st = world.state
    return Action(
        "deregister",
        row,
        rule,
        reason,
        proceeds=st.assets[row] - st.liabilities[row],
        cost=p.deregistration_fee,
        jobs=int(st.employees[row]),
    )


def absorb(
    world: World,
    row: int,
    into: int,
    p: DisposalParams,
    *,
    rule: str,
    reason: str,
    synergy: bool = True,
) -> Action:
    """Absorption (吸收合并) of ``row`` into ``into``, with integration cost and job cuts."""
    st = world.state
    cut = round(p.merge_job_cut * int(st.employees[row]))
    cost = p.integration_cost * 12.0 * st.revenue[row] + p.severance_per_employee * cut
    return Action(
        "merge", row, rule, reason, target=into, cost=max(cost, 0.0), jobs=cut, synergy=synergy
    )


def move(row: int, new_parent: int, *, rule: str, reason: str) -> Action:
    """Transfer (划转) of an entity and its subtree to a new parent at book value."""
    return Action("move", row, rule, reason, target=new_parent)
