"""What people read: display names of indicators and plans, and the words of charts and tables, in
English (``en``, the default) or Chinese (``zh``).

The language is set for a block of code with :func:`language` (``output.lang`` for a run, ``--lang``
for ``soe-sim-report``); charts, the printed summary and the report card read it through
:func:`t` (a phrase), :func:`indicator_name` and :func:`plan_name`. English phrases are the keys:
a chart is written in English and each phrase it shows is looked up in :data:`ZH`. A phrase with no
translation is shown in English and remembered in :data:`MISSING`, which the tests keep empty.

The Chinese names of indicators follow the terms of the reform documents (亏损面, 资产负债率,
亩均税收 …; docs/sources.md); this module imports nothing but the standard library.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

LANGS = ("en", "zh")
"""The languages of charts, tables and the printed summary."""

_LANG: contextvars.ContextVar[str] = contextvars.ContextVar("soe_sim_lang", default="en")

MISSING: set[str] = set()
"""Phrases looked up in Chinese that have no translation (shown in English)."""


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Charts, tables and summaries made inside the block are in ``lang``."""
    if lang not in LANGS:
        raise ValueError(f"language must be one of {LANGS}, got {lang!r}")
    token = _LANG.set(lang)
    try:
        yield
    finally:
        _LANG.reset(token)


def current() -> str:
    """The language in force (``en`` outside any :func:`language` block)."""
    return _LANG.get()


def t(phrase: str) -> str:
    """``phrase`` in the current language. Phrases with ``{placeholders}`` are translated before
    they are filled: ``t("Firms in the zones: {first} to {last}").format(first=..., last=...)``."""
    if _LANG.get() == "en":
        return phrase
    if phrase in ZH:
        return ZH[phrase]
    MISSING.add(phrase)
    return phrase


INDICATORS: dict[str, tuple[str, str]] = {
    "entities": ("Legal entities", "法人户数"),
    "entities_cut_share": ("Net cut in legal entities", "法人户数净减少比例"),
    "operating_entities": ("Operating legal entities", "经营性法人户数"),
    "operating_entities_cut_share": ("Net cut in operating legal entities", "法人户数压减比例"),
    "groups": ("Groups", "集团户数"),
    "max_layer": ("Deepest management layer", "最深管理层级"),
    "mean_layer": ("Mean management layer", "平均管理层级"),
    "loss_making_share": ("Loss-making share", "亏损面"),
    "operating_loss_share": ("Loss-making share, one-offs excluded", "经营性亏损面"),
    "loss_makers_losses": ("Losses of loss-makers, year to date", "亏损企业亏损额（年内累计）"),
    "losses_cut_share": ("Cut in loss-makers' losses", "减亏幅度"),
    "revenue": ("Revenue this month", "本月营业收入"),
    "profit": ("Profit this month", "本月利润总额"),
    "profit_ttm": ("Profit, trailing 12 months", "利润总额（近12个月）"),
    "assets": ("Total assets", "资产总额"),
    "liabilities": ("Total liabilities", "负债总额"),
    "equity": ("Equity", "所有者权益"),
    "debt_ratio": ("Debt-to-asset ratio", "资产负债率"),
    "roe": ("Return on equity", "净资产收益率"),
    "capital_preservation": ("Capital preservation (equity / month 0)", "国有资本保值增值率"),
    "employees": ("Employees", "职工人数"),
    "zombies": ("Zombie entities", "僵尸企业"),
    "zombie_share": ("Zombie share of operating entities", "僵尸企业占比"),
    "idle_assets": ("Idle assets held", "闲置资产"),
    "support": ("Soft-budget support paid by parents", "母公司输血支持"),
    "gov_function_entities": ("Entities with government functions", "承担政府职能的企业"),
    "assets_revitalised": ("Idle assets revitalised, cumulative", "盘活存量资产（累计）"),
    "cash_recovered": ("Cash recovered from revitalised assets", "盘活回收资金"),
    "central_local_cash": ("Cash from central-local cooperation", "央地合作回收资金"),
    "receivables_collected": ("Receivables collected", "清收债权"),
    "debt_repaid": ("External debt repaid", "清偿债务"),
    "hazards_cleared": ("High-risk debt paid down", "清除风险隐患"),
    "decoupled": ("Enterprises decoupled", "脱钩企业"),
    "restructuring_cost": ("Restructuring cost, cumulative", "改革成本（累计）"),
    "jobs_affected": ("Jobs affected, cumulative", "受影响职工（累计）"),
    "creditor_losses": ("Outside creditors' losses, cumulative", "外部债权人损失（累计）"),
    "actions_deferred": ("Proposals deferred", "推迟的改革事项"),
    "one_off_results": ("One-off results booked in profit", "计入利润的一次性损益"),
    "turnarounds_started": ("Turnaround programmes started", "启动的扭亏方案"),
    "zones": ("Development zones", "开发区个数"),
    "management_bodies": ("Zone management bodies", "管委会个数"),
    "parks": ("Parks in the zones", "园区个数"),
    "firms": ("Firms in the zones", "园区企业数"),
    "soe_firms": ("SOE-owned firms in the zones", "园区国有企业数"),
    "land_mu": ("Industrial land", "工业用地"),
    "idle_land_mu": ("Idle industrial land", "闲置工业用地"),
    "output_per_mu": ("Output per mu", "亩均产值"),
    "value_added_per_mu": ("Value added per mu", "亩均增加值"),
    "tax_per_mu": ("Tax per mu", "亩均税收"),
    "firm_output": ("Firms' output", "园区企业产值"),
    "firm_tax": ("Firms' tax", "园区企业税收"),
    "firm_employees": ("Firms' employees", "园区企业职工"),
    **{f"firms_{c}": (f"Firms in class {c}", f"{c}类企业数") for c in "ABCD"},
    **{f"share_{c}": (f"Share of firms in class {c}", f"{c}类企业占比") for c in "ABCD"},
    "firms_support": ("Firms under a support plan", "帮扶提升企业"),
    "firms_merge": ("Firms under a merger plan", "兼并重组企业"),
    "firms_compliance": ("Firms under forced compliance", "倒逼规范企业"),
    "firms_transfer": ("Firms under a transfer plan", "合作转移企业"),
    "firms_closure": ("Firms under a closure plan", "关停退出企业"),
    "firms_entered": ("Firms entered since the start", "新进入企业"),
    "firms_left": ("Firms left since the start", "退出企业"),
    "park_cost": ("Park reform spending, cumulative", "园区改革支出（累计）"),
    "park_jobs_affected": ("Jobs affected by the park reform", "园区改革受影响职工"),
    "land_freed_mu": ("Land freed since the start", "腾退土地"),
    "land_reused_mu": ("Idle land re-used, cumulative", "盘活闲置土地（累计）"),
    "surcharges": ("Differentiated-price surcharges", "差别化价格加价"),
    "bodies_cut": ("Management bodies abolished", "撤销的管理机构"),
    "targets_met": ("Milestone targets met", "目标达成率"),
    "profit_gain": ("Profit gained", "利润增加额"),
}
"""Each indicator's display name (English, Chinese); ``layer_K`` counts are named by
:func:`indicator_name`. A test checks that every declared outcome has one."""


def indicator_name(name: str) -> str:
    """The display name of an indicator in the current language."""
    zh = _LANG.get() == "zh"
    if name.startswith("layer_") and name[6:].isdigit():
        return f"第{name[6:]}级企业数" if zh else f"Entities at layer {name[6:]}"
    if name not in INDICATORS:
        return name.replace("_", " ")
    return INDICATORS[name][1 if zh else 0]


PLANS: dict[str, tuple[str, str]] = {
    # policy presets (configs/policy/)
    "chongqing_2024": ("Chongqing 2024, as adopted", "重庆2024年实际方案"),
    "gradual": ("Gradual", "渐进推进"),
    "loss_cutting_first": ("Loss-cutting first", "止损治亏优先"),
    "mergers_first": ("Mergers first", "重组整合优先"),
    "no_reform": ("No reform", "不改革"),
    "none": ("No rules", "无规则"),
    # park presets (configs/parks/)
    "consolidation_first": ("Consolidation first", "先整合后评价"),
    "strict_mujun": ("Strict per-mu evaluation", "从严亩均评价"),
    # economies (configs/economy/)
    "default": ("Baseline economy", "基准经济"),
    "downturn": ("Downturn", "经济下行"),
}
"""Display names of the shipped presets (policy, parks, economy; a test checks each has one).
Other scenario names are shown with their underscores as spaces."""


def plan_name(name: str) -> str:
    """The display name of a plan or scenario in the current language."""
    if name in PLANS:
        return PLANS[name][1 if _LANG.get() == "zh" else 0]
    return name.replace("_", " ")


ZH: dict[str, str] = {
    # units
    "%": "%",
    "% a year": "%/年",
    "percentage points": "百分点",
    "percentage points a year": "百分点/年",
    "thousand persons": "千人",
    "persons": "人",
    "entities": "户",
    "groups": "家",
    "enterprises": "户",
    "proposals": "项",
    "zones": "个",
    "bodies": "个",
    "parks": "个",
    "firms": "家",
    "layers": "级",
    "ratio": "比率",
    "mu": "亩",
    "thousand mu": "千亩",
    "count": "个数",
    "index, month 0 = 100": "指数（第0月=100）",
    "% of ranked firms": "占参评企业 %",
    # the run charts
    "reform start": "改革开始",
    "target": "目标",
    "target {name} {value}": "目标：{name} {value}",
    "Zones and management bodies": "开发区与管委会",
    "management bodies": "管委会",
    "Per-mu tax, value added and output": "亩均税收、增加值与产值",
    "tax per mu": "亩均税收",
    "value added per mu": "亩均增加值",
    "output per mu": "亩均产值",
    "{label} ({value} at start)": "{label}（期初 {value}）",
    "Per-mu classes (A-D)": "亩均评价分类（A–D）",
    "class {c}": "{c}类",
    "no per-mu evaluation in this plan": "本方案未开展亩均评价",
    "Firms under a plan, by disposition": "一企一案：各类处置中的企业",
    "support": "帮扶提升",
    "merge": "兼并重组",
    "compliance": "倒逼规范",
    "transfer": "合作转移",
    "closure": "关停退出",
    "Idle industrial land": "闲置工业用地",
    "idle land": "闲置土地",
    "re-used since start": "累计盘活",
    "freed since start": "累计腾退",
    "entered": "新进入",
    "left, closed or absorbed": "退出、关停或被兼并",
    "firms since start": "期初以来企业数",
    "Firms in the zones: {first} to {last}": "园区企业：{first} → {last}",
    # report card
    "Report card": "改革成绩单",
    "no milestones in this policy": "本方案未设节点目标",
    "achieved as % of target (the line is the target)": "完成值占目标 %（竖线为目标）",
    "met": "达标",
    "missed": "未达标",
    "after the run": "在模拟期之后",
    "before the run": "在模拟期之前",
    "achieved {achieved}, target {sign} {target}: {status}": "完成 {achieved}，目标 {sign} {target}：{status}",
    "target {sign} {target}: {status}": "目标 {sign} {target}：{status}",
    "milestone": "节点",
    "indicator": "指标",
    "achieved": "完成值",
    "status": "状态",
    # titles of a run's figures
    "{policy}: seed {seed}, {first} to {last}": "{policy}：随机种子 {seed}，{first} 至 {last}",
    "Report card: {policy}, seed {seed}": "改革成绩单：{policy}，随机种子 {seed}",
    "Park reform: {plan}, seed {seed}, {first} to {last}": "园区改革：{plan}，随机种子 {seed}，{first} 至 {last}",
    # ensembles and sweep reports
    "{n} seeds": "{n}个随机种子",
    "mean over {n} seeds, 5-95% band": "{n}个随机种子均值，5–95% 区间",
    "seeds meeting the target, %": "达标种子占比 %",
    "Chance of meeting each milestone target": "各节点目标的达成概率",
    "50% band": "50% 区间",
    "90% band": "90% 区间",
    "reform from {months}": "改革始于 {months}",
    "{title} ({sense} is better)": "{title}（越{sense}越好）",
    "higher": "高",
    "lower": "低",
    "difference, {unit}": "差值，{unit}",
    "{plan} (reference, 0)": "{plan}（参照，0）",
    "share of replications meeting the target (dot), with its interval (line)": "达标重复模拟占比（点）及其区间（线）",
    "jobs affected by the end, {unit}": "期末受影响职工，{unit}",
    "profit gained (TTM, end minus month 0), {unit}": "利润增加额（近12个月，期末减期初），{unit}",
    "scenario mean": "情景均值",
    "Month 0": "第0月",
    "Last month": "最后一月",
    "management layer (1 = group headquarters)": "管理层级（1 = 集团总部）",
    "entities, mean over replications": "户数，重复模拟均值",
    "entities per replication (mean)": "每次模拟户数（均值）",
    "Scenarios over time, {first} to {last}: median, 50% and 90% bands over {reps}": "各情景随时间变化，{first} 至 {last}：{reps}的中位数及50%、90%区间",
    "Each plan minus {reference}, paired by replication: mean difference and {level} interval ({reps})": "各方案减{reference}，按重复模拟配对：平均差值及{level}区间（{reps}）",
    "Chance of meeting each milestone target, with Wilson {level} interval ({reps})": "各节点目标达成概率及Wilson {level}区间（{reps}）",
    "Jobs affected against profit gained, {first} to {last}: one dot per replication": "受影响职工与利润增加，{first} 至 {last}：每点为一次模拟",
    "Entities per management layer, mean over {reps}": "各管理层级户数，{reps}均值",
    "Entities that left, by fate: mean per replication ({reps})": "退出企业按去向：每次模拟均值（{reps}）",
    "{n} replications per scenario": "每个情景{n}次重复模拟",
    # fates of entities (sim.state.FATES, underscores as spaces)
    "merged": "被吸收合并",
    "closed": "关闭清算",
    "bankrupt": "破产",
    "transferred out": "划出或转让",
    "deregistered": "注销",
    # the printed summary
    "start ({date})": "期初（{date}）",
    "end ({date})": "期末（{date}）",
    "parks: plan '{plan}'": "园区开发区改革：方案 {plan}",
    "report card: {met} of {due} targets due in the run met": "改革成绩单：模拟期内到期目标 {due} 项，达标 {met} 项",
    "outputs": "输出",
    "note: {note}": "注意：{note}",
    "soe-sim {version}: policy '{policy}', seed {seed}, {months} months, {ever} entities ever, {events} events, {seconds} s": "soe-sim {version}：方案 {policy}，随机种子 {seed}，{months} 个月，共 {ever} 户法人，{events} 条事件，{seconds} 秒",
    "{low}-{high} replications ({each})": "{low}–{high}次重复模拟（{each}）",
    "{label} '{plan}' sets absolute targets that scale with the population ({targets}), written for the Chongqing 2023 start, not this population: read them as Chongqing's figures, or give them as shares of this population's start ({label}.milestones[i].relative)": "{label} 方案 '{plan}' 设定了随企业规模而变的绝对目标（{targets}），这些是按重庆2023年起点制定的数字，并非本名册的：请视为重庆的数字，或改为本名册期初值的比例（{label}.milestones[i].relative）",
}
"""Chinese for every English phrase the charts and tables show."""
