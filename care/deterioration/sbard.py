"""SBARD drafted from the record, pure: Situation, Background, Assessment, a suggested
Recommendation; the staff member completes the Recommendation and the responder the Decision.

Names stay out of the text (the page shows who the resident is), so a draft can be shared
or printed without repeating identifiers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from care.deterioration.news2 import News2Result
from care.deterioration.routes import RESPONDER_LABELS, Route, Urgency


@dataclass(frozen=True)
class SbardFacts:
    """What the record says, gathered by the service."""

    news2: News2Result
    soft_signs: tuple[str, ...] = ()  # labels, in the checklist's words
    soft_signs_note: str | None = None
    carer_concerned: bool = False
    medical_emergency: bool = False
    baseline_total: int | None = None
    recent_totals: tuple[int, ...] = ()  # earlier NEWS2 totals, oldest first
    goals: tuple[str, ...] = ()
    what_matters: str | None = None
    hospital_admission_wish: str | None = None  # "yes" | "discuss_first" | "no"
    preferred_contact: str | None = None  # the coded first contact, in words
    # Legacy free text, as a sentence saying it awaits the clinical lead's review.
    preferred_contact_review: str | None = None
    wishes_note: str | None = None
    plan_missing: bool = False
    dementia: str | None = None
    end_of_life: bool = False
    # New or worse confusion in this set (ACVPU "C", or the "more confused" soft sign).
    new_confusion: bool = False
    # The resident's CPR / ReSPECT status as recorded in carejourney; None until the
    # end-of-life stage records it (then staff must check the home's own records).
    resuscitation: str | None = None
    last_hospital_stay: date | None = None
    recent_falls: int = 0
    recent_deteriorations: int = 0
    scored_parameters: tuple[str, ...] = field(default=())  # e.g. "pulse 118 (2)"


@dataclass(frozen=True)
class Sbard:
    situation: str
    background: str
    assessment: str
    suggested_recommendation: str

    def as_dict(self) -> dict[str, str | None]:
        return {
            "situation": self.situation,
            "background": self.background,
            "assessment": self.assessment,
            "suggested_recommendation": self.suggested_recommendation,
            "recommendation": None,
        }


_WISH_WORDS = {
    "yes": "would accept hospital admission if needed",
    "discuss_first": "wants hospital admission discussed with them or their family first",
    "no": "does NOT want hospital admission",
}


#: Until carejourney holds CPR / ReSPECT decisions, every SBARD says where to look instead.
RESUSCITATION_UNKNOWN = ("CPR / ReSPECT: not recorded in carejourney; check the resident's "
                         "ReSPECT form or DNACPR record held by the home.")
NEW_CONFUSION = ("New confusion (new or worse than usual): possible delirium, which needs "
                 "urgent assessment; it is not their usual state")


def trend_words(total: int, baseline: int | None, recent: tuple[int, ...]) -> str:
    """How this score compares with the resident's baseline and their last score."""
    parts = []
    if baseline is not None:
        diff = total - baseline
        if diff > 0:
            parts.append(f"{diff} above their baseline of {baseline}")
        elif diff < 0:
            parts.append(f"{-diff} below their baseline of {baseline}")
        else:
            parts.append(f"the same as their baseline of {baseline}")
    else:
        parts.append("no baseline recorded")
    if recent:
        last = recent[-1]
        direction = "rising" if total > last else "falling" if total < last else "unchanged"
        parts.append(f"{direction} since the last score of {last}")
    return "; ".join(parts)


def draft(facts: SbardFacts, route: Route) -> Sbard:
    """The draft SBARD for this deterioration."""
    situation: list[str] = []
    if facts.medical_emergency:
        situation.append("Medical emergency reported by staff.")
    if facts.soft_signs:
        situation.append("Staff have noticed: " + "; ".join(facts.soft_signs).lower() + ".")
    if facts.soft_signs_note:
        situation.append(f"In their words: {facts.soft_signs_note}")
    if facts.carer_concerned:
        situation.append("Staff or family are concerned.")
    situation.append(facts.news2.label + ".")

    background: list[str] = []
    if facts.plan_missing:
        background.append("No personalised care and support plan is recorded yet.")
    if facts.hospital_admission_wish:
        background.append("Their plan says the person "
                          + _WISH_WORDS.get(facts.hospital_admission_wish,
                                            facts.hospital_admission_wish) + ".")
    if facts.preferred_contact:
        background.append(f"Contact first: {facts.preferred_contact}.")
    elif facts.preferred_contact_review:
        background.append(f"{facts.preferred_contact_review}.")
    if facts.wishes_note:
        background.append(f"Other wishes: {facts.wishes_note}")
    if facts.end_of_life:
        background.append("The MDT has recognised they may be in the last year of life.")
    if facts.goals:
        background.append("Goals: " + "; ".join(facts.goals) + ".")
    if facts.what_matters:
        background.append(f"What matters to them: {facts.what_matters}")
    if facts.dementia and facts.dementia not in ("none", "unknown"):
        # Never "confusion is their usual state": that hides delirium (hazard H-07).
        background.append(f"Dementia: {facts.dementia.replace('_', ' ')}; confusion that is "
                          "new or worse than their usual is not their dementia and may be "
                          "delirium.")
    background.append(RESUSCITATION_UNKNOWN if facts.resuscitation is None
                      else f"CPR / ReSPECT: {facts.resuscitation}.")
    if facts.last_hospital_stay:
        background.append(f"Last hospital admission: {facts.last_hospital_stay:%d %b %Y}.")
    if facts.recent_falls:
        background.append(f"Falls in the last 30 days: {facts.recent_falls}.")
    if facts.recent_deteriorations:
        background.append(f"Other escalations in the last 30 days: "
                          f"{facts.recent_deteriorations}.")

    assessment: list[str] = [facts.news2.label]
    if facts.new_confusion:
        assessment.append(NEW_CONFUSION)
    if facts.news2.risk is not None:
        assessment[0] += " — " + trend_words(facts.news2.total, facts.baseline_total,
                                             facts.recent_totals)
    if facts.scored_parameters:
        assessment.append("Scoring: " + ", ".join(facts.scored_parameters))
    if facts.news2.single_parameter_3:
        assessment.append("A single parameter scores 3: urgent review.")
    assessment.extend(route.reasons)

    if route.call_999:
        suggestion = "Call 999 now; then inform the GP."
    elif route.full_set_in is not None and route.urgency == Urgency.ROUTINE:
        suggestion = "Take a full set of observations now."
    elif route.urgency == Urgency.ROUTINE:
        suggestion = "Continue routine monitoring."
    else:
        who = RESPONDER_LABELS[route.ladder[0]]
        within = route.respond_within
        when = (f" within {int(within.total_seconds() // 60)} minutes" if within
                and within.total_seconds() < 3600 * 2 else
                f" within {int(within.total_seconds() // 3600)} hours" if within else "")
        suggestion = f"Please assess: {who} to respond{when}."
        if route.repeat_obs_in:
            minutes = int(route.repeat_obs_in.total_seconds() // 60)
            suggestion += f" Repeat observations in {minutes} minutes."
        if route.full_set_in is not None:
            suggestion += " Take a full set of observations now."
    return Sbard(
        situation=" ".join(situation),
        background=" ".join(background) or "Nothing further recorded.",
        assessment=" ".join(a if a.endswith(".") else a + "." for a in assessment),
        suggested_recommendation=suggestion,
    )
