"""The codes of the notices kind as sentences (message ids the report translates)."""

from __future__ import annotations

from forensics.messages import Msg, msg

OUTCOMES: dict[str, Msg] = {
    "delivered": msg("accepted by the recipient's mail server"),
    "bounced": msg("refused by the recipient's mail server (bounced)"),
    "expired": msg("given up after retrying (expired)"),
    "deferred": msg("not delivered yet: only temporary failures until the mail log ends"),
    "queued": msg("in the mail queue; no delivery attempt in the mail log"),
    "not_in_mail_log": msg("not found in the mail log"),
    "reached": msg("call answered"),
    "voicemail": msg("voicemail: a message was left"),
    "no_answer": msg("call not answered"),
    "busy": msg("line busy"),
    "sent": msg("letter sent"),
    "returned": msg("letter returned"),
    "unknown": msg("outcome not logged"),
}


def outcome_text(code: str | None) -> Msg:
    """The outcome code as a sentence (unknown codes as written)."""
    return OUTCOMES.get(code or "unknown") or msg("{code}", code=code)


def number(value: float) -> float | int:
    """A figure for a sentence: one decimal, and no ".0" on a whole number."""
    rounded = round(float(value), 1)
    return int(rounded) if rounded == int(rounded) else rounded
