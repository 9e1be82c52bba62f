"""Identifiers the platform issues: the unified social credit code (GB 32100-2015)."""

import secrets

from stdnum.cn import uscc

from forms_engine.validators import organisation_code_check

# Characters allowed in a USCC (no I, O, S, V, Z); the organisation code body uses them too so the result is valid.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
DONGGUAN_ENTERPRISE_PREFIX = "91441900"  # 9 market supervision · 1 enterprise · 441900 Dongguan


def uscc_generate(prefix: str = DONGGUAN_ENTERPRISE_PREFIX) -> str:
    """A new code: prefix + "MA" + 6 random characters + the organisation code check + the outer check."""
    body = "MA" + "".join(secrets.choice(USCC_ALPHABET) for _ in range(6))
    first17 = prefix + body + organisation_code_check(body)
    return first17 + uscc.calc_check_digit(first17)
