"""Demo history (`seed_demo --history N`): past registrations for the operations dashboard.

Each registration is a new company that went through the portal: an enterprise in the register with a valid,
unique USCC, its application, and one filing per routed department with the timestamps the real workflow writes
(submitted → AIC dispatched, opened, decided = licensed → the other departments released, dispatched, decided;
prerequisites respected). Registrations are spread over the last HISTORY_DAYS days; the ones whose decisions would
fall after "now" are left where they would be today (submitted, in progress, filings still with the department).

Everything is written with `bulk_create` in one transaction, so 10,000 registrations take seconds. History
applications belong to applicant accounts named `history_…` (no usable password); the count of their applications
is what `history_ensure(registrations=N)` tops up to N, so running it again adds nothing.
Every released filing carries its department's form filled from the registration's data, as the real release
would, so a clerk who opens one decides on a complete form. Not generated: audit events and notifications.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric

from departments.filings import payload_hash
from departments.models import AdapterKind, Department, Filing, FilingState
from departments.routing import RoutingFacts
from departments.selectors import departments_routed
from forms_engine import codetables
from forms_engine.projection import project
from forms_engine.samples import _shipped, with_issued
from forms_engine.selectors import data_item_specs, forms_current
from portal.bulk import rows_insert
from portal.calendar import beijing_date, beijing_today
from portal.models import Role, User
from registration.identifiers import uscc_generate
from registration.models import Application, ApplicationState, Enterprise, EnterpriseChange, NameReservation
from registration.names import name_key

HISTORY_PREFIX = "history_"
HISTORY_DAYS = 182
APPLICANTS_MAX = 200
MEAN_CAPITAL = 2_130_000  # yuan: the average registered capital of the seed
CAPITAL_SIGMA = 1.0  # spread of the log-normal capital (a few companies with tens of millions, many with 0.1–1 M)

# (class code, industry word in the name, business scope, share of firms that import/export)
SERVICE_INDUSTRIES = [
    ("5179", "电子贸易", "电子产品、电子元器件批发", 0.7),
    ("5181", "贸易", "贸易代理；国内贸易", 0.6),
    ("5189", "商贸", "贸易经纪与代理；商务信息咨询", 0.5),
    ("5212", "超市", "日用百货、食品零售；超级市场零售", 0.05),
    ("6110", "酒店", "酒店住宿；会议服务", 0.0),
    ("6129", "旅馆", "旅馆住宿服务", 0.0),
    ("6210", "餐饮", "餐饮服务；正餐服务", 0.0),
    ("6220", "餐饮管理", "快餐服务；餐饮管理", 0.0),
    ("6513", "软件科技", "应用软件开发；信息技术咨询服务", 0.1),
    ("7010", "房地产开发", "房地产开发经营", 0.0),
    ("7030", "房地产经纪", "房地产中介服务；房地产经纪", 0.0),
    ("7212", "投资", "以自有资金从事投资活动；资产管理", 0.0),
    ("7297", "商务服务", "商务代理代办服务；企业管理咨询", 0.0),
    ("8040", "美容美发", "理发及美容服务", 0.0),
    ("8051", "沐足", "洗浴服务；足浴服务", 0.0),
    ("8930", "健身", "健身休闲活动；体育场馆管理", 0.0),
    ("9013", "网络", "互联网上网服务（网吧）", 0.0),
]
HIGH_TECH_INDUSTRIES = [
    ("3911", "电脑科技", "计算机整机制造、销售", 0.6),
    ("3922", "通讯科技", "通信终端设备制造、销售", 0.7),
    ("3973", "半导体", "集成电路制造、设计、销售", 0.6),
    ("3981", "电子元件", "电阻电容电感元件制造", 0.6),
    ("3982", "电路科技", "电子电路制造；印制电路板制造", 0.6),
    ("3841", "新能源科技", "锂离子电池制造、销售", 0.5),
]
TRADITIONAL_INDUSTRIES = [
    ("2110", "家具", "木质家具制造、销售", 0.5),
    ("1952", "鞋业", "皮鞋制造、销售", 0.6),
    ("2452", "玩具", "塑胶玩具制造、销售", 0.7),
    ("1819", "制衣", "服装制造、销售", 0.5),
    ("1713", "印染", "棉印染精加工", 0.3),
    ("2929", "塑胶制品", "塑料零件及其他塑料制品制造", 0.4),
    ("3360", "五金", "金属表面处理及热处理加工；五金制品加工", 0.3),
]
INDUSTRY_MIX = [(SERVICE_INDUSTRIES, 0.48), (HIGH_TECH_INDUSTRIES, 0.22), (TRADITIONAL_INDUSTRIES, 0.30)]
TRADE_SCOPE = "；货物进出口；技术进出口"
VENUES = {"61": "hotel", "62": "restaurant", "80": "beauty", "89": "fitness", "90": "internet_cafe"}

TRADE_NAME_CHARACTERS = (
    "华信悦临盛达宏远鑫源恒通嘉诚联创博泰永安金利德丰汇龙海天瑞祥凯旋新锐卓越美佳和兴晟荣立万顺伟业东升宝隆振亿"
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢韩唐冯叶邓"
GIVEN_NAMES = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华志建国文辉玲婷欣怡浩宇"
ROADS = ("东城大道", "鸿福路", "莞太路", "运河东路", "环城路", "东莞大道", "松山湖大道", "人民路", "振兴路", "工业大道")


@dataclass(frozen=True)
class _Timeline:
    """One department's part of a registration: when it was released, delivered, opened and decided."""

    code: str
    released: dt.datetime
    dispatched: dt.datetime
    opened: dt.datetime | None
    decided: dt.datetime


def _resident_id(rng: random.Random, birth: dt.date) -> str:
    first17 = f"441900{birth:%Y%m%d}{rng.randrange(1, 999):03d}"
    return first17 + ric.calc_check_digit(first17 + "?")  # python-stdnum expects a placeholder check character


def _person(rng: random.Random) -> dict[str, Any]:
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 42))
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN_NAMES) for _ in range(rng.choice((1, 2))))
    mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    return {"name": name, "id_type": "resident_id", "id_number": _resident_id(rng, birth), "mobile": mobile}


def _capital(rng: random.Random) -> int:
    """A log-normal amount whose mean is MEAN_CAPITAL, in whole ten thousands of yuan (at least 10,000)."""
    mu = math.log(MEAN_CAPITAL) - CAPITAL_SIGMA**2 / 2
    return max(10_000, round(rng.lognormvariate(mu, CAPITAL_SIGMA) / 10_000) * 10_000)


def _hours(rng: random.Random, median_hours: float, sigma: float) -> dt.timedelta:
    return dt.timedelta(hours=rng.lognormvariate(math.log(median_hours), sigma))


def _submission_times(rng: random.Random, count: int, now: dt.datetime) -> list[dt.datetime]:
    """Working days busier than weekends, office hours busier than evenings, a little more each month (uptake)."""
    today = timezone.localdate(now)
    days = [today - dt.timedelta(days=n) for n in range(HISTORY_DAYS)]
    weights = [(1.0 if d.weekday() < 5 else 0.3) * (1.3 - 0.6 * n / HISTORY_DAYS) for n, d in enumerate(days)]
    times = []
    for day in rng.choices(days, weights=weights, k=count):
        minute = rng.randrange(8 * 60 + 30, 17 * 60 + 30) if rng.random() < 0.85 else rng.randrange(18 * 60, 23 * 60)
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(minute // 60, minute % 60, rng.randrange(60))))
        times.append(min(moment, now - dt.timedelta(minutes=1)))
    return times


def _timelines(
    rng: random.Random, routed: list[str], prerequisites: dict[str, list[str]], http: set[str], submitted: dt.datetime
) -> list[_Timeline]:
    """AIC first; the others when the licence is issued, or when their prerequisites have approved."""
    seconds = dt.timedelta(seconds=1)
    aic_dispatched = submitted + seconds * rng.randint(1, 5)
    aic_opened = aic_dispatched + _hours(rng, 1.5, 1.0)
    licensed = aic_opened + _hours(rng, 0.15, 0.6)
    done = {"AIC": _Timeline("AIC", submitted, aic_dispatched, aic_opened, licensed)}
    pending = [code for code in routed if code != "AIC"]
    while pending:
        for code in list(pending):
            waits_for = [p for p in prerequisites[code] if p in routed]
            if any(p not in done for p in waits_for):
                continue
            released = max([licensed, *(done[p].decided for p in waits_for)]) + seconds * rng.randint(1, 3)
            if code in http:
                dispatched = released + seconds * rng.randint(1, 40)
                opened, decided = None, dispatched + _hours(rng, 0.7, 1.0)
            else:
                dispatched = released
                opened = dispatched + _hours(rng, 2.5, 1.2)
                decided = opened + _hours(rng, 0.12, 0.7)
            done[code] = _Timeline(code, released, dispatched, opened, decided)
            pending.remove(code)
    return [done[code] for code in routed]


class _Names:
    """Company names unique among the register and pending applications (compared as name keys)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.taken = set(NameReservation.objects.values_list("name_key", flat=True))

    def draw(self, industry_word: str) -> str:
        for attempt in range(200):
            length = 2 if attempt < 20 else 3
            trade_name = "".join(self.rng.choice(TRADE_NAME_CHARACTERS) for _ in range(length))
            name = f"东莞市{trade_name}{industry_word}有限公司"
            if name_key(name) not in self.taken:
                self.taken.add(name_key(name))
                return name
        raise RuntimeError("could not draw a free company name")


def _register_data(rng: random.Random, name: str, industry: tuple, import_export: bool) -> dict[str, Any]:
    code, _word, scope, _trade_share = industry
    town = rng.choice(sorted(codetables.towns().values(), key=lambda t: t.code))
    capital = _capital(rng)
    legal_rep, partner = _person(rng), _person(rng)
    sole = rng.random() < 0.35
    share = 1 if sole else rng.choice((0.51, 0.6, 0.7))
    investors = [(legal_rep, capital * share)] + ([] if sole else [(partner, capital - capital * share)])
    due = beijing_today().replace(month=12, day=31) + dt.timedelta(days=365 * rng.choice((5, 10, 20)))
    liaison = rng.choice((legal_rep, partner))
    return {
        "name_zh": name,
        "entity_type": "llc_natural_sole" if sole else "llc_natural_controlled",
        "industry_code": code,
        "business_scope": scope + (TRADE_SCOPE if import_export else ""),
        "reg_capital": f"{capital:.2f}",
        "capital_currency": "CNY",
        "term_years": rng.choice((None, 20, 30)),
        "import_export": import_export,
        "employee_count": max(1, int(rng.lognormvariate(math.log(12), 1.0))),
        "floor_area": f"{rng.randrange(40, 5000)}.00",
        "town_code": town.code,
        "reg_address": f"东莞市{town.name_zh}{rng.choice(ROADS)}{rng.randrange(1, 400)}号",
        "op_address": None,
        "postcode": f"523{rng.randrange(1000):03d}",
        "phone": f"0769-{rng.randrange(2200_0000, 8999_9999)}",
        "legal_rep": legal_rep,
        "finance_officer": partner if not sole else _person(rng),
        "tax_agent": liaison,
        "liaison": liaison,
        "investors": [
            {
                **{k: person[k] for k in ("name", "id_type", "id_number")},
                "kind": "natural",
                "nationality": "CHN",
                "subscribed_amount": f"{amount:.2f}",
                "contribution_form": "currency",
                "due_date": due.isoformat(),
            }
            for person, amount in investors
        ],
    }


def _department_data(rng: random.Random, code: str, routed: list[str], import_export: bool) -> dict[str, Any]:
    """The department-specific items the routed departments' forms ask for, from the shipped sample."""
    sample = _shipped()["electronics_trader"]
    data = {k: sample[k] for k in ("accounting_standard", "seals", "bank_name", "bank_code", "si_types", "hpf_rate")}
    data["bank_account"] = f"2010{rng.randrange(10**15):015d}"
    if not import_export:
        data["seals"] = [s for s in data["seals"] if s != "customs"]
    else:
        data["customs_category"] = sample["customs_category"]
        data["main_products"] = sample["main_products"]
    if {"HEALTH", "FIRE"} & set(routed):
        data["venue_kind"] = VENUES.get(code[:2], "other")
        data["premises_nature"] = rng.choice(("leased", "leased", "owned"))
    if "EPB" in routed:
        data["pollution_processes"] = []
    return data


def _applicants(count: int) -> list[User]:
    wanted = max(1, min(APPLICANTS_MAX, count // 50))
    names = [f"{HISTORY_PREFIX}{n:03d}" for n in range(1, wanted + 1)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        User(username=name, role=Role.APPLICANT, full_name=f"历史申请人{name[-3:]}", password=make_password(None))
        for name in names
        if name not in existing
    )
    return list(User.objects.filter(username__in=names).order_by("username"))


def history_count() -> int:
    return Application.objects.filter(applicant__username__startswith=HISTORY_PREFIX).count()


@transaction.atomic
def history_ensure(*, registrations: int, now: dt.datetime | None = None, seed: int | None = None) -> int:
    """Top the demo history up to `registrations` past registrations; returns how many were added (0 when there
    are enough already). Needs the departments, routing rules and department forms of `seed_demo`."""
    missing = registrations - history_count()
    if missing <= 0:
        return 0
    rng = random.Random(seed)  # noqa: S311 — demo data, not secrets
    now = now or timezone.now()
    departments = {d.code: d for d in Department.objects.prefetch_related("prerequisites")}
    prerequisites = {code: d.prerequisite_codes for code, d in departments.items()}
    http = {code for code, d in departments.items() if d.adapter_kind == AdapterKind.HTTP}
    forms = forms_current()
    versions = {code: form.version_id for code, form in forms.items()}
    filled = _FormFiller(forms, data_item_specs())
    clerks = {u.department.code: u for u in User.objects.filter(role=Role.CLERK).select_related("department")}
    applicants = _applicants(registrations)
    names = _Names(rng)
    usccs = set(Enterprise.objects.values_list("uscc", flat=True))
    routes: dict[tuple[str, bool], list[str]] = {}

    planned = []
    for index, submitted in enumerate(_submission_times(rng, missing, now)):
        industries = rng.choices([group for group, _ in INDUSTRY_MIX], weights=[w for _, w in INDUSTRY_MIX])[0]
        industry = rng.choice(industries)
        import_export = rng.random() < industry[3]
        name = names.draw(industry[1])
        register = _register_data(rng, name, industry, import_export)
        key = (industry[0], import_export)
        if key not in routes:
            facts = RoutingFacts(
                new_company=True,
                import_export=import_export,
                industry_code=industry[0],
                business_scope=register["business_scope"],
            )
            routes[key] = [d.code for d, _reasons in departments_routed(facts=facts)]
        routed = routes[key]
        uscc = uscc_generate()
        while uscc in usccs:
            uscc = uscc_generate()
        usccs.add(uscc)
        planned.append(
            {
                "applicant": applicants[index % len(applicants)],
                "register": register,
                "data": {**register, **_department_data(rng, industry[0], routed, import_export)},
                "routed": routed,
                "uscc": uscc,
                "submitted": submitted,
                "timelines": _timelines(rng, routed, prerequisites, http, submitted),
            }
        )

    for plan in planned:
        _settle(plan, now)
    licensed = [p for p in planned if p["licensed_at"] is not None]
    enterprise_ids = rows_insert(
        Enterprise,
        [
            {
                "uscc": p["uscc"],
                "name_zh": p["register"]["name_zh"],
                "name_key": name_key(p["register"]["name_zh"]),
                "entity_type": p["register"]["entity_type"],
                "established_on": beijing_date(p["licensed_at"]),
                "data": p["register"],
                "owner_id": p["applicant"].pk,
                "created_at": p["licensed_at"],
                "updated_at": p["licensed_at"],
            }  # fmt: skip
            for p in licensed
        ],
    )
    for plan, enterprise_id in zip(licensed, enterprise_ids, strict=True):
        plan["enterprise_id"] = enterprise_id
    application_ids = rows_insert(Application, [_application_row(p) for p in planned])
    # Each name is held by its enterprise once licensed, by its application before (as name_reserve would).
    rows_insert(
        NameReservation,
        [
            {
                "name_key": name_key(p["register"]["name_zh"]), "name_zh": p["register"]["name_zh"],
                "enterprise_id": p.get("enterprise_id"),
                "application_id": None if "enterprise_id" in p else application_id,
                "created_at": p["submitted"],
            }  # fmt: skip
            for p, application_id in zip(planned, application_ids, strict=True)
        ],
    )
    filings = []
    for plan, application_id in zip(planned, application_ids, strict=True):
        filings += _filing_rows(plan, application_id, departments, versions, clerks, now, filled)
    rows_insert(Filing, filings)
    aic_clerk = clerks.get("AIC")
    rows_insert(
        EnterpriseChange,
        [
            {
                "enterprise_id": p["enterprise_id"],
                "at": p["licensed_at"],
                "actor_id": aic_clerk.pk if aic_clerk else None,
                "application_id": application_id,
                "before": {},
                "after": p["register"],
            }  # fmt: skip
            for p, application_id in zip(planned, application_ids, strict=True)
            if "enterprise_id" in p
        ],
    )
    return len(planned)


def _settle(plan: dict, now: dt.datetime) -> None:
    """Where the registration stands today: licensed or not yet, completed or still with some departments."""
    timelines: list[_Timeline] = plan["timelines"]
    plan["licensed_at"] = timelines[0].decided if timelines[0].decided <= now else None
    completed_at = max(t.decided for t in timelines)
    if plan["licensed_at"] is None:
        plan["state"], plan["completed_at"] = ApplicationState.SUBMITTED, None
    elif completed_at <= now:
        plan["state"], plan["completed_at"] = ApplicationState.COMPLETED, completed_at
    else:
        plan["state"], plan["completed_at"] = ApplicationState.IN_PROGRESS, None


def _application_row(plan: dict) -> dict[str, Any]:
    last_change = plan["completed_at"] or plan["licensed_at"] or plan["submitted"]
    return {
        "kind": Application.Kind.NEW_COMPANY, "state": plan["state"], "applicant_id": plan["applicant"].pk,
        "enterprise_id": plan.get("enterprise_id"), "data": plan["data"], "routed": plan["routed"],
        "name_key": name_key(plan["register"]["name_zh"]), "created_at": plan["submitted"], "updated_at": last_change,
        "submitted_at": plan["submitted"], "licensed_at": plan["licensed_at"], "completed_at": plan["completed_at"],
    }  # fmt: skip


class _FormFiller:
    """A released filing's payload and its hash: the department's current form filled from the plan's data."""

    def __init__(self, forms: dict, items: dict):
        self.forms, self.items = forms, items

    def payload(self, code: str, plan: dict, *, licensed: bool) -> dict[str, Any]:
        current = self.forms.get(code)
        if current is None:
            return {}
        data = plan["data"]
        if licensed and plan["licensed_at"] is not None:
            data = with_issued(data, uscc=plan["uscc"], established_on=beijing_date(plan["licensed_at"]))
        projection = project(data, current.spec, self.items, {})
        return {"payload": projection.payload, "payload_hash": payload_hash(projection.payload)}


def _filing_rows(
    plan: dict,
    application_id: int,
    departments: dict[str, Department],
    versions: dict[str, int],
    clerks: dict[str, User],
    now: dt.datetime,
    filled: _FormFiller,
) -> Iterable[dict[str, Any]]:
    """Where each routed department's filing stands today (none but AIC's before the licence), as column values."""
    for number, t in enumerate(plan["timelines"]):
        if plan["licensed_at"] is None and t.code != "AIC":
            continue
        department = departments[t.code]
        created = plan["submitted"] if t.code == "AIC" else plan["licensed_at"]
        row: dict[str, Any] = {
            "application_id": application_id, "department_id": department.pk, "created_at": created,
            "updated_at": t.released, "released_at": t.released, "form_version_id": versions.get(t.code), "round": 1,
        }  # fmt: skip
        if t.released > now:  # its prerequisites have not all approved yet
            row |= {
                "state": FilingState.WAITING,
                "released_at": None,
                "form_version_id": None,
                "round": 0,
                "updated_at": created,
            }
            yield row
            continue
        # AIC's form is filled before the licence exists; the others read what it issued (USCC, date …).
        row |= filled.payload(t.code, plan, licensed=t.code != "AIC")
        if t.dispatched > now:
            row |= {"state": FilingState.QUEUED}
        else:
            row |= {
                "state": FilingState.DISPATCHED,
                "attempts": 1,
                "dispatched_at": t.dispatched,
                "due_at": t.dispatched + dt.timedelta(hours=department.sla_hours),
                "opened_at": t.opened if t.opened and t.opened <= now else None,
                "reference_no": f"{t.code}{t.dispatched:%Y%m%d}{application_id:06d}{number:02d}",
                "updated_at": t.dispatched,
            }
            if t.decided <= now:
                clerk = clerks.get(t.code) if t.opened else None
                row |= {
                    "state": FilingState.APPROVED,
                    "decided_at": t.decided,
                    "decided_by_id": clerk.pk if clerk else None,
                    "updated_at": t.decided,
                }
        yield row


