"""Each dispute kind's own report section, for the shared renderer.

The renderer (`render.py`) and the shared context (`context.py`) draw the
cover, the log coverage, the method and the appendix for every kind.  A kind
other than `action` adds its own section: `kind_section()` returns the hook
`build_context(extra=...)` calls with the `Builder` (so the section's
citations join the appendix), and the investigation as the shared parts see
it.  The section's partial is `report_templates/_<kind>.html`.
"""

from __future__ import annotations

import dataclasses


def dispute_kind(inv) -> str:
    """The investigation's dispute kind: action, notices or outage."""
    return getattr(inv, "kind", None) or getattr(inv, "dispute", None) or "action"


def kind_section(inv, *, lang: str, gettext, config: dict):
    """(extra, shared_inv): the kind's context hook (None for `action`) and
    the investigation the shared parts render."""
    from forensics.report.context import Limits
    from forensics.report.i18n import INVESTIGATION, translations

    kind = dispute_kind(inv)
    if kind == "notices":
        from forensics.report.notices import notices_block
        from forensics.report.svg_notices import render_contact_svg

        contact_svg = render_contact_svg(inv, gettext=gettext)

        def extra(builder):
            block = notices_block(inv, builder, translations=None if lang == "en" else translations(lang, INVESTIGATION),
                                  lang=lang, limits=Limits.from_config(config), svg=contact_svg)
            return {"notices": block, "period": block["period"]}   # the cover shows the period examined

        # the notices kind states its own claims in its section
        return extra, dataclasses.replace(inv, claims=[])
    if kind == "outage":
        from forensics.report.outage import outage_context

        return (lambda builder: {"outage": outage_context(builder, inv, lang)}), inv
    return None, inv
