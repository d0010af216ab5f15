"""The evidence model of the action dispute, written down once.

Every conclusion an indicator can draw is one row of `MODEL`: which way it
points, what it rests on (the *fact*), how hard it is for another party to
produce the same observation, and how much it weighs.  The indicators
(`indicators.py`) name the row they conclude; the rules (`assess.py`) weigh
the rows, never the sentences; `docs/evidence-model.md` explains the rows in
words and the report's method section prints this table.

How hard to produce (`producible`):

* ``copyable``: what an attacker has or can send at will: the password
  (that is what is stolen or guessed), the login name (part of the
  credential), the User-Agent string (any program sends any string);
* ``hard``: what another party cannot simply copy: continuity with the
  holder's own network history at ISP/ASN level, the second factor (MFA),
  the way the account itself behaves (a person, not a script);
* ``ambiguous``: facts that the holder produces as easily as anyone else
  (a new network while travelling, an unusual hour).

Weight (`weight`):

* towards another party: ``strong`` (one is enough for
  `compromise_suspected`), ``weak`` (it takes
  `[assessment] weak_other_for_compromise` independent ones), ``hint`` (shown,
  counted for nothing on its own);
* towards the holder: ``hard`` (what `account_holder` needs at least one
  of), ``supporting`` (counts towards the identity comparisons but never
  carries a conclusion alone), ``none``.

Independent facts count once: indicators that rest on the same fact (the
browser string seen by `browser_fingerprint`, `version_timeline` and a
device-only `prior_activity`; the address seen by `network`,
`network_continuity` and an address-based `prior_activity`) add one fact to
either side, however many of them agree.  The login name is never a fact of
its own.

`about` says whether a conclusion is about this session (``session``) or
about what happened to the account before it (``before``: changes from a
foreign network, the travel from an earlier login); a later session that
matches the holder on a hard indicator is not blamed for what happened
before it (the holder's recovery after a takeover).
"""

from __future__ import annotations

from dataclasses import dataclass

from forensics.messages import Msg, msg

COPYABLE, HARD, AMBIGUOUS = "copyable", "hard", "ambiguous"


@dataclass(frozen=True)
class Evidence:
    """One conclusion an indicator can draw, and what it is worth."""

    indicator: str
    conclusion: str
    direction: str           # holder | other | neutral
    weight: str              # strong | weak | hint (other); hard | supporting (holder); none
    producible: str          # copyable | hard | ambiguous: how hard for another party to produce
    fact: str | None         # the independent fact it rests on (counted once per side)
    about: str               # session | before
    why: Msg                 # one plain sentence: why it weighs what it weighs

    def to_dict(self) -> dict:
        return {"indicator": self.indicator, "conclusion": self.conclusion, "direction": self.direction,
                "weight": self.weight, "producible": self.producible, "fact": self.fact, "about": self.about,
                "why": self.why}


def _e(indicator, conclusion, direction, weight, producible, fact, why, about="session") -> Evidence:
    return Evidence(indicator, conclusion, direction, weight, producible, fact, about, why)


MODEL: tuple[Evidence, ...] = (
    # -- the credential ----------------------------------------------------------------------
    _e("credential", "mfa", "holder", "hard", HARD, "second_factor",
       msg("The second factor is a device or app the holder keeps; a stolen password alone does not pass it.")),
    _e("credential", "password", "neutral", "none", COPYABLE, "credential",
       msg("The password (or single sign-on login) is exactly what is stolen or guessed: it shows that the "
           "credential was used, not who used it.")),
    _e("credential", "impersonation", "other", "staff", HARD, "credential",
       msg("Staff impersonation is logged by the provider's own systems with the staff member's name.")),
    _e("credential", "unknown", "neutral", "none", AMBIGUOUS, "credential",
       msg("The log does not say how the session was opened.")),
    # -- failed logins -----------------------------------------------------------------------
    _e("failed_logins", "guessed", "other", "strong", HARD, "guessing",
       msg("A success from an address that was guessing the password is the guess succeeding.")),
    _e("failed_logins", "attacked", "other", "weak", HARD, "guessing",
       msg("The account was under attack, although not from the login's address.")),
    _e("failed_logins", "few", "neutral", "none", AMBIGUOUS, "guessing",
       msg("A few failures are what a mistyped password looks like.")),
    _e("failed_logins", "none", "neutral", "none", COPYABLE, "guessing",
       msg("No failed login rules out guessing, not a stolen password: a thief who has it does not fail.")),
    _e("failed_logins", "unknown", "neutral", "none", AMBIGUOUS, "guessing",
       msg("The log does not cover the time before the login.")),
    # -- fleet-wide failures ------------------------------------------------------------------
    _e("fleet_failures", "same_address", "other", "strong", HARD, "stuffing",
       msg("The login came from an address that was trying passwords on other accounts: credential stuffing "
           "that succeeded.")),
    _e("fleet_failures", "wave", "other", "weak", HARD, "stuffing",
       msg("A credential-stuffing wave from the same network (not the holder's), or with the same client string "
           "of a tool or library, preceded the login; the login's own address was not seen in it.")),
    _e("fleet_failures", "none", "neutral", "none", AMBIGUOUS, "stuffing",
       msg("No failed logins against other accounts from the login's address, network or browser string.")),
    # -- account changes -----------------------------------------------------------------------
    _e("account_changes", "foreign_network", "other", "strong", HARD, "account_changes",
       msg("A password, e-mail or MFA change from a network the account never used, shortly before the action, "
           "is the classic takeover sequence."), about="before"),
    _e("account_changes", "recovered", "neutral", "none", HARD, "account_changes",
       msg("Changes from a foreign network were followed by a reset from the holder's own network: the holder "
           "took the account back."), about="before"),
    _e("account_changes", "known_network", "neutral", "none", AMBIGUOUS, "account_changes",
       msg("Changes from a network the holder uses are what the holder does.")),
    _e("account_changes", "none", "neutral", "none", AMBIGUOUS, "account_changes",
       msg("No change of credentials or contact data before the action.")),
    # -- the browser string ----------------------------------------------------------------------
    _e("browser_fingerprint", "exact", "holder", "supporting", COPYABLE, "user_agent",
       msg("The User-Agent is a string any program can send; an attacker who saw the holder's copies it.")),
    _e("browser_fingerprint", "family", "holder", "supporting", COPYABLE, "user_agent",
       msg("The same browser family, updated: as easy to copy as the exact string.")),
    _e("browser_fingerprint", "automation_tool", "other", "weak", COPYABLE, "user_agent",
       msg("An automation tool the account never used before.")),
    _e("browser_fingerprint", "new", "other", "weak", AMBIGUOUS, "user_agent",
       msg("A browser never seen in the account: another person, or the holder's new device.")),
    _e("browser_fingerprint", "unknown", "neutral", "none", AMBIGUOUS, "user_agent",
       msg("Nothing to compare the browser with.")),
    _e("version_timeline", "fits", "neutral", "none", COPYABLE, "user_agent",
       msg("A browser version that fits the holder's own updates is what a copied current string shows too.")),
    _e("version_timeline", "outdated", "other", "weak", HARD, "user_agent",
       msg("Browsers only update forwards: a version the holder had left weeks before, or older than the "
           "holder's latest, is a copied string, not the holder's browser.")),
    _e("version_timeline", "unknown", "neutral", "none", AMBIGUOUS, "user_agent",
       msg("No version history of this browser to compare with.")),
    # -- the address -------------------------------------------------------------------------
    _e("network", "same_address", "holder", "supporting", AMBIGUOUS, "address",
       msg("The same address or range as earlier sessions; how much it weighs is network continuity's "
           "question.")),
    _e("network", "same_isp", "holder", "supporting", AMBIGUOUS, "address",
       msg("The same ISP as earlier sessions: millions of people share an ISP.")),
    _e("network", "new_network", "neutral", "none", AMBIGUOUS, "address",
       msg("A new network in a known country: a new line, a friend's Wi-Fi, or someone else.")),
    _e("network", "new_country", "other", "weak", AMBIGUOUS, "address",
       msg("A new network in a new country: someone else, or the holder travelling.")),
    _e("network", "unknown", "neutral", "none", AMBIGUOUS, "address",
       msg("No network data to compare with.")),
    _e("network_continuity", "holder_network", "holder", "hard", HARD, "address",
       msg("The holder has used this network often and recently: an attacker would have to be on the holder's "
           "own ISP, not merely copy a string.")),
    _e("network_continuity", "seldom_used", "neutral", "none", AMBIGUOUS, "address",
       msg("Seen too rarely to be the holder's network: one earlier session may have been the attacker's own "
           "look around.")),
    _e("network_continuity", "recently_new", "other", "weak", AMBIGUOUS, "address",
       msg("A network the account first used only days before, after a long history elsewhere: the earlier "
           "session there may have been the attacker's own look around.")),
    _e("network_continuity", "never_used", "other", "weak", AMBIGUOUS, "address",
       msg("A network the holder never used: someone else, or the holder travelling.")),
    _e("network_continuity", "unknown", "neutral", "none", AMBIGUOUS, "address",
       msg("No ISP data or no history to judge the network by.")),
    _e("anonymiser", "flagged", "other", "weak", AMBIGUOUS, "address_type",
       msg("A VPN, hosting, Tor or proxy address hides who is behind it.")),
    _e("anonymiser", "usual", "neutral", "none", AMBIGUOUS, "address_type",
       msg("Not flagged, or flagged as the holder's addresses were before.")),
    _e("travel", "impossible", "other", "weak", HARD, "travel",
       msg("Two logins further apart than anyone travels in the time between: two different people."),
       about="before"),
    _e("travel", "previous_not_holder", "neutral", "none", HARD, "travel",
       msg("The impossible journey starts at a login from a network the holder never used: it speaks against "
           "that earlier login, not this one."), about="before"),
    _e("travel", "possible", "neutral", "none", AMBIGUOUS, "travel",
       msg("A journey that can be travelled (accuracy radii of the locations included).")),
    # -- history and behaviour ------------------------------------------------------------------------
    _e("prior_activity", "address_and_device", "holder", "supporting", AMBIGUOUS, "address",
       msg("Earlier undisputed sessions on the same address (the card schemes' compelling-evidence rule); the "
           "login name they share is part of the credential and adds nothing.")),
    _e("prior_activity", "device_only", "holder", "supporting", COPYABLE, "user_agent",
       msg("Earlier sessions match only on the browser string and the login name, both copyable: counted once "
           "with the browser.")),
    _e("prior_activity", "absent", "neutral", "none", AMBIGUOUS, "history",
       msg("Not enough matching earlier sessions.")),
    _e("hour_of_day", "usual", "neutral", "none", AMBIGUOUS, "behaviour",
       msg("An hour the holder is usually active at: anyone can log in then.")),
    _e("hour_of_day", "unusual", "other", "hint", AMBIGUOUS, "behaviour",
       msg("An hour the holder is rarely active at: people do sometimes stay up, so it is a hint, never "
           "decisive.")),
    _e("hour_of_day", "unknown", "neutral", "none", AMBIGUOUS, "behaviour",
       msg("Too few earlier sessions for an activity profile.")),
    _e("clickstream", "automated_browser", "other", "strong", HARD, "behaviour",
       msg("A program behind a browser's User-Agent pretends to be a person; the holder's own sessions were "
           "never scripted.")),
    _e("clickstream", "automated", "other", "weak", HARD, "behaviour",
       msg("A program, not a person, made the requests, and the account's history is not scripted.")),
    _e("clickstream", "automated_as_usual", "neutral", "none", AMBIGUOUS, "behaviour",
       msg("A program, as the account's own automation always is.")),
    _e("clickstream", "human", "neutral", "none", AMBIGUOUS, "behaviour",
       msg("A person clicked: that rules out a script, not another person.")),
    _e("clickstream", "unknown", "neutral", "none", AMBIGUOUS, "behaviour",
       msg("Too few requests, or none, for a verdict.")),
    _e("session_consistency", "foreign_use", "other", "strong", HARD, "session_cookie",
       msg("The session was used from another network or browser than its login: a stolen session cookie.")),
    _e("session_consistency", "consistent", "neutral", "none", AMBIGUOUS, "session_cookie",
       msg("Every request came from the login's address and browser: no stolen cookie, whoever logged in.")),
    _e("session_consistency", "unknown", "neutral", "none", AMBIGUOUS, "session_cookie",
       msg("No session to check.")),
    _e("api_key_usage", "known_network", "holder", "hard", HARD, "address",
       msg("The key was used from the network of its earlier uses: the holder's own automation.")),
    _e("api_key_usage", "account_network", "holder", "supporting", AMBIGUOUS, "address",
       msg("Another of the account's keys was used from this network.")),
    _e("api_key_usage", "holder_login_network", "neutral", "none", AMBIGUOUS, "address",
       msg("A network the holder logs in from, but never used for API calls.")),
    _e("api_key_usage", "leaked", "other", "strong", HARD, "address",
       msg("An API key used from a network the account never used has leaked.")),
    _e("api_key_usage", "unknown", "neutral", "none", AMBIGUOUS, "address",
       msg("No earlier use of the key to compare with.")),
    _e("staff_activity", "present", "neutral", "none", HARD, "staff",
       msg("Provider staff worked on the account: listed, weighed by the staff rule.")),
    _e("staff_activity", "none", "neutral", "none", HARD, "staff",
       msg("No staff work around the action.")),
    _e("baseline_size", "enough", "neutral", "none", AMBIGUOUS, "history",
       msg("Enough earlier sessions for the comparisons.")),
    _e("baseline_size", "thin", "neutral", "none", AMBIGUOUS, "history",
       msg("Too few earlier sessions: the comparisons carry little weight.")),
)

_BY_KEY = {(e.indicator, e.conclusion): e for e in MODEL}
HARD_HOLDER = tuple(sorted({e.indicator for e in MODEL if e.direction == "holder" and e.weight == "hard"}))


def evidence(indicator: str, conclusion: str) -> Evidence:
    """The model's row for one conclusion of one indicator (KeyError: a conclusion the model lacks)."""
    return _BY_KEY[(indicator, conclusion)]


def rows() -> list[dict]:
    """The model as a list of dicts (JSON, report)."""
    return [e.to_dict() for e in MODEL]


_POINTS = {"holder": "the holder", "other": "another party", "neutral": "neither"}


def markdown() -> str:
    """The model as a Markdown table (docs/evidence-model.md embeds it; a test keeps it current)."""
    lines = ["| indicator | conclusion | points to | weight | can another party produce it? | fact | about | why |",
             "|---|---|---|---|---|---|---|---|"]
    for e in MODEL:
        lines.append(f"| `{e.indicator}` | `{e.conclusion}` | {_POINTS[e.direction]} | {e.weight} | {e.producible} | "
                     f"{e.fact or '-'} | {e.about} | {e.why} |")
    return "\n".join(lines)
