"""The demo's pre-existing register (`registration/data/demo_register.jsonl`): about a thousand Dongguan enterprises
market supervision licensed before the portal, which `seed_demo` loads through `import_register`.

The first row is the demo founder's: its legal representative is 李娜, the verified identity of `applicant2`
(and a person of the sandbox identity platform), so applicant2 can claim it and file with its departments.

The file is shipped, not generated at start, so every demo has the same register. Regenerate it with
`python manage.py shell -c "from registration.demo_register import demo_register_write; demo_register_write()"`.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stdnum.cn import uscc

from forms_engine.identity import organisation_code_check

from .demo_history import SERVICE_INDUSTRIES, _Names, _register_data
from .identifiers import DONGGUAN_ENTERPRISE_PREFIX, USCC_ALPHABET

PATH = Path(__file__).resolve().parent / "data" / "demo_register.jsonl"
COUNT = 1000
# applicant2's verified identity (portal.sandbox_idp knows her as "li-na").
FOUNDER = {"name": "李娜", "id_type": "resident_id", "id_number": "441900198704160028", "mobile": "13926830416"}


def _code(rng: random.Random) -> str:
    body = "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
    first17 = DONGGUAN_ENTERPRISE_PREFIX + body + organisation_code_check(body)
    return first17 + uscc.calc_check_digit(first17)


def demo_register_rows(count: int = COUNT, seed: int = 2015) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    names = _Names(rng)
    codes: set[str] = set()
    for index in range(count):
        industry = rng.choice(SERVICE_INDUSTRIES)
        import_export = rng.random() < industry[3]
        data = _register_data(rng, names.draw(industry[1]), industry, import_export)
        if index == 0:
            data["legal_rep"] = data["liaison"] = data["tax_agent"] = dict(FOUNDER)
            data["investors"][0].update({k: FOUNDER[k] for k in ("name", "id_type", "id_number")})
        code = _code(rng)
        while code in codes:
            code = _code(rng)
        codes.add(code)
        status = "active" if index < 10 or rng.random() < 0.93 else rng.choice(("revoked", "deregistered"))
        established = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 7))
        yield {
            "uscc": code, "established_on": established.isoformat(), "version": rng.randrange(1, 6), "status": status,
            **{k: v for k, v in data.items() if v is not None},
        }  # fmt: skip


def demo_register_write(path: Path = PATH) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = list(demo_register_rows())
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return len(rows)
