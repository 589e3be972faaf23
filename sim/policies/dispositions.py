"""What each kind of disposition costs, returns and takes: one model shared by all rules.

Implements the price and time side of 一企一案 dispositions used by the reform: lawful closure
(依法关停: liquidation at a recovery rate, severance per employee, creditor losses recorded),
transfer out of the state portfolio (合作转移: sale or mixed-ownership reform at a valuation),
deregistration of shells (注销), absorption (吸收合并) with integration cost and job cuts, and
transfer within the state sector at book value (划转).

**Dispositions take time.** A decision is taken (and uses the regulator's capacity) in one month;
the disposition completes ``*_months`` later, or fails with probability ``*_failure`` and the
entity is free to be handled again. The defaults are documented assumptions read from the legal
procedures (docs/sources.md, source 16): a voluntary liquidation needs a liquidation committee,
notice to creditors within 10 days and a public notice within 60, 30 to 45 days for claims, then
asset sales and tax and registration clearance (a court bankruptcy takes longer: 1.7 years in the
World Bank's Doing Business); a transfer of state equity needs an audit and a valuation, then at
least 20 working days' listing on a property-rights exchange, bidding and closing, and fails when
no buyer bids the reserve price; an absorption needs the resolutions, a creditor notice with 30 to
45 days to object, and registration; a simplified deregistration takes a 20-day public notice and
up to 20 days more to apply. A strategic merger of whole groups adds the municipal government's
approvals.
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
    close_months: int = param(
        6,
        unit="months",
        kind="uncertainty",
        low=0,
        high=60,
        meaning="Months from a closure decision to the end of liquidation (45-day creditor "
        "claims, asset sales, tax and registration clearance)",
    )
    close_failure: float = param(
        0.05,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Chance that a closure stalls (creditor or labour disputes) and is dropped",
    )
    transfer_months: int = param(
        5,
        unit="months",
        kind="uncertainty",
        low=0,
        high=60,
        meaning="Months from a transfer-out decision to completion (audit and valuation, at least "
        "20 working days' listing on a property-rights exchange, bidding, closing)",
    )
    transfer_failure: float = param(
        0.3,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Chance that no buyer bids the reserve price and the sale is dropped",
    )
    merge_months: int = param(
        3,
        unit="months",
        kind="uncertainty",
        low=0,
        high=60,
        meaning="Months from an absorption decision to registration (resolutions, creditor "
        "notice and 30/45-day objection period)",
    )
    merge_failure: float = param(
        0.1,
        unit="share",
        kind="uncertainty",
        low=0.0,
        high=1.0,
        meaning="Chance that an absorption is dropped (creditor objection, failed due diligence)",
    )
    group_merger_months: int = param(
        4,
        unit="months",
        kind="uncertainty",
        low=0,
        high=60,
        meaning="Months from the decision to merge two groups to completion (government approval "
        "on top of an absorption's steps)",
    )
    deregister_months: int = param(
        2,
        unit="months",
        kind="uncertainty",
        low=0,
        high=60,
        meaning="Months to deregister a shell or dormant entity (20-day simplified notice, then "
        "the application)",
    )
    move_months: int = param(
        1,
        unit="months",
        kind="uncertainty",
        low=0,
        high=60,
        meaning="Months to transfer an entity to a new parent at book value (划转)",
    )

    def timing(self, action: Action, is_group: bool) -> tuple[int, float]:
        """(months to completion, chance of failure) of a decided action; ``is_group``: the
        action merges or moves a whole group's headquarters."""
        if action.kind == "close":
            return self.close_months, self.close_failure
        if action.kind == "transfer_out":
            return self.transfer_months, self.transfer_failure
        if action.kind == "deregister":
            return self.deregister_months, 0.0
        if is_group:
            return self.group_merger_months, self.merge_failure
        if action.kind == "merge":
            return self.merge_months, self.merge_failure
        return self.move_months, 0.0


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
    # Python scalars (``.item``): the same arithmetic as numpy scalars, several times cheaper,
    # and the rules price thousands of absorptions a run.
    cut = round(p.merge_job_cut * st.employees.item(row))
    cost = p.integration_cost * 12.0 * st.revenue.item(row) + p.severance_per_employee * cut
    return Action(
        "merge", row, rule, reason, target=into, cost=max(cost, 0.0), jobs=cut, synergy=synergy
    )


def move(row: int, new_parent: int, *, rule: str, reason: str) -> Action:
    """Transfer (划转) of an entity and its subtree to a new parent at book value."""
    return Action("move", row, rule, reason, target=new_parent)


def rebuild(world: World, action: Action, p: DisposalParams) -> Action:
    """The action priced again on the state at completion (balance sheets move meanwhile)."""
    kw = {"rule": action.rule, "reason": action.reason}
    if action.kind == "close":
        return close(world, action.row, p, **kw)
    if action.kind == "transfer_out":
        st = world.state
        if st.assets[action.row] <= st.liabilities[action.row]:  # no equity left to sell
            reason = f"{action.reason}; insolvent by completion: closed instead"
            return close(world, action.row, p, rule=action.rule, reason=reason)
        return transfer_out(world, action.row, p, **kw)
    if action.kind == "deregister":
        return deregister(world, action.row, p, **kw)
    if action.kind == "merge":
        return absorb(world, action.row, action.target, p, synergy=action.synergy, **kw)
    return move(action.row, action.target, **kw)
