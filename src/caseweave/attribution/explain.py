"""A subject's attribution as plain lines, for `caseweave subject show ID --explain` and the like."""

from __future__ import annotations

from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.attribution.queue import RouteEntry
from caseweave.attribution.views import (
    AttributionView,
    EvidenceView,
    NotAttributed,
    Retired,
    current_attribution,
)

LABELS = {
    "stated_country": "country stated by the referral",
    "platform_country": "country stated by the platform",
    "address": "address",
    "phone": "phone",
    "ip": "IP address",
    "email": "e-mail domain",
}


def explain_lines(session: Session, actor: Actor, subject_id: str) -> list[str]:
    """The attribution the actor may see, with every weight and why; NotFound where the subject is not
    visible to them. A subject not attributed yet gives one line saying how to attribute it."""
    try:
        view = current_attribution(session, actor, subject_id)
    except NotAttributed as error:
        return [f"attribution: none yet — {error.hint}"]
    except Retired as error:
        return [f"attribution: none — {error.message}"]
    return render(view)


def render(view: AttributionView) -> list[str]:
    lines = [headline(view), f"  {view.provider_line}"]
    w = view.weights
    lines.append(
        f"  computed {view.computed_at:%Y-%m-%d %H:%M} UTC, checked {view.checked_at:%Y-%m-%d %H:%M}; "
        f"weights: stated {w.stated_country:g}, platform {w.platform_country:g}, address {w.address:g}, "
        f"phone {w.phone:g} (national ×{w.phone_national_factor:g}), IP {w.ip:g} "
        f"(proxy ×{w.proxy_factor:g}, over {w.stale_days} days old ×{w.stale_factor:g}), "
        f"e-mail ccTLD {w.email_cctld:g}; prior {w.prior:g}, contested under {w.contested_margin:g}, "
        f"review under {w.min_confidence:g}"
    )
    if view.evidence:
        lines.append("  evidence you may see (weight, country, clue):")
        lines.extend(f"    {evidence_line(item)}" for item in view.evidence)
    else:
        lines.append("  no evidence you may see")
    if view.hidden_note:
        lines.append(f"  {view.hidden_note}")
    if view.decision is not None:
        decision = view.decision
        lines.append(
            f"  system decision over all evidence: {decision.status}, {decision.top_country or 'no country'} "
            f"{decision.confidence:.2f} ({shares(decision.distribution)})"
        )
        lines.append(f"  route: {route_line(decision.route)}")
    if view.history:
        lines.append(f"  changed {view.history} time(s) since first computed")
    return lines


def headline(view: AttributionView) -> str:
    if view.top_country is None:
        return "attribution: no country from the evidence you may see"
    scope = "" if view.complete else " (from the evidence you may see)"
    return (
        f"attribution: {view.top_country}, confidence {view.confidence:.2f}, {view.status.replace('_', ' ')}"
        f"{scope} — {shares(view.distribution)}"
    )


def shares(distribution: dict[str, float]) -> str:
    return ", ".join(f"{country} {share:.0%}" for country, share in distribution.items()) or "none"


def evidence_line(item: EvidenceView) -> str:
    weight = f"{item.weight:+.2f}" if item.weight else " 0.00"
    seen = ""
    if item.sightings > 1:
        seen = f", {item.sightings} sightings"
    if item.observed_from is not None:
        end = item.observed_to or item.observed_from
        span = f"{item.observed_from:%Y-%m-%d}" + (
            f"–{end:%Y-%m-%d}" if end.date() != item.observed_from.date() else ""
        )
        seen += f", seen {span}"
    why = f" — {item.note}" if item.note else ""
    twice = "" if item.counted or not item.weight else " (same fact counted once)"
    label = LABELS.get(item.kind, item.kind)
    where = f"[record {item.person_record_id}{seen}]"
    return f"{weight} {item.country or '--'} {label} {item.value}{why}{twice} {where}"


def route_line(route: RouteEntry | None) -> str:
    if route is None:
        return "not routed yet"
    if route.status == "routed":
        how = "by hand" if route.method == "manual" else "automatically"
        note = f": {route.note}" if route.note else ""
        return f"routed to {route.agency} ({route.country}) {how} by {route.decided_by}{note}"
    return f"{route.status} — {route.reason_text or route.reason}"
