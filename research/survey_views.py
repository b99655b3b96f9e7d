"""Pages of our own survey.

Customer pages (no account, under ``/survey/``): the survey reached through a personal
link's session, its htmx autosave, the thank-you page, and the anonymous public link.
Staff pages (under ``/o/<org>/research/``): invitations and reminders, the public link
of an anonymous wave, and response rates per unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.models import MagicLinkPurpose
from accounts.permissions import Capability
from accounts.ratelimit import rate_limited
from accounts.tenancy import OrgRequiredMixin
from accounts.views import CUSTOMER_SESSION_KEY, customer_link_holds
from research import selectors
from research.models import Comparison, QuestionKind, Response, ResponseStatus, WaveStatus
from research.services import Answers, ResponseInvalid, wave_public_link_issue
from research.survey import (
    InvitationsRefused,
    invitation_open,
    invitations_create,
    invitations_remind,
    invitations_send,
    public_rate_limit_hit,
    survey_answers_save,
    survey_public_submit,
)

MAX_TEXT = 4000
MAX_ATTRIBUTE = 200
NOT_APPLICABLE = "na"
UNKNOWN = "unknown"


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


# --- The questionnaire as a form -------------------------------------------------------


@dataclass
class SurveyField:
    """One question as the page shows it: its input, choices and current value."""

    key: str
    kind: str
    name: str
    text: str
    widget: str  # scale, choice, textarea, text, select, checkbox
    choices: list[tuple[str, str]] = field(default_factory=list)
    low_label: str = ""
    high_label: str = ""
    low_value: str = ""
    high_value: str = ""
    value: str = ""
    checked: bool = False
    required: bool = False
    error: str = ""


def _rating_values(scale_max: int) -> list[int]:
    # A 0–10 rating keeps its zero, like the NPS question; shorter scales start at 1.
    return list(range(0, 11)) if scale_max == 10 else list(range(1, scale_max + 1))


def survey_fields(questions, *, language: str, response: Response | None = None) -> list[SurveyField]:
    """Turn the wave's questions into page fields, filled with ``response``'s answers."""
    open_fields = selectors.open_question_fields(questions)
    fields = []
    for q in questions:
        f = SurveyField(key=q.key, kind=q.kind, name=f"q-{q.key}", text=q.text(language),
                        widget="text", required=q.is_required and q.kind != QuestionKind.CONTACT_ME)
        if q.kind == QuestionKind.NPS:
            f.widget = "scale"
            f.choices = [(str(i), str(i)) for i in range(11)]
            f.low_label, f.high_label = _("Very unlikely"), _("Very likely")
            f.low_value, f.high_value = "0", "10"
        elif q.kind in (QuestionKind.DRIVER, QuestionKind.CORE_VALUE):
            f.widget = "scale"
            values = _rating_values(q.scale_max)
            f.choices = [(str(i), str(i)) for i in values]
            f.low_value, f.high_value = str(values[0]), str(values[-1])
            f.choices.append((NOT_APPLICABLE, _("n/a, don't know")))
            f.low_label, f.high_label = _("Very poor"), _("Excellent")
        elif q.kind == QuestionKind.COMPETITOR:
            f.widget = "choice"
            f.choices = [(UNKNOWN, _("I don't know them")), (Comparison.BETTER, _("You do better")),
                         (Comparison.SAME, _("About the same")), (Comparison.WORSE, _("You do worse"))]
        elif q.kind == QuestionKind.OPEN:
            f.widget = "textarea"
        elif q.kind == QuestionKind.ATTRIBUTE:
            if q.options:
                f.widget = "select"
                f.choices = [(option, option) for option in q.options]
        elif q.kind == QuestionKind.CONTACT_ME:
            f.widget = "checkbox"
        if response is not None:
            _fill(f, q, response, open_fields)
        fields.append(f)
    return fields


def _fill(f: SurveyField, q, response: Response, open_fields: dict[str, str]) -> None:
    if q.kind == QuestionKind.NPS:
        f.value = "" if response.nps is None else str(response.nps)
    elif q.kind in (QuestionKind.DRIVER, QuestionKind.CORE_VALUE):
        score = response.scores.get(q.key)
        f.value = "" if score is None else str(int(score))
    elif q.kind == QuestionKind.COMPETITOR:
        f.value = response.competitors.get(q.subject, "")
    elif q.kind == QuestionKind.OPEN:
        target = open_fields[q.key]
        f.value = (getattr(response, target) if target != "attributes"
                   else response.attributes.get(q.key, ""))
    elif q.kind == QuestionKind.ATTRIBUTE:
        f.value = str(response.attributes.get(q.key, ""))
    elif q.kind == QuestionKind.CONTACT_ME:
        f.checked = response.contact_me


def answers_from_post(questions, data, *, fields: list[SurveyField], submit: bool) -> Answers | None:
    """Read the posted answers into ``Answers``; mark ``fields`` with the values posted
    and any errors, and return None when there are errors."""
    open_fields = selectors.open_question_fields(questions)
    answers = Answers()
    ok = True
    by_key = {f.key: f for f in fields}
    for q in questions:
        f = by_key[q.key]
        raw = str(data.get(f.name, "")).strip()
        f.value, f.checked, f.error = raw, False, ""
        allowed = {value for value, _label in f.choices}
        if f.widget in ("scale", "choice") and raw and raw not in allowed:
            f.error, ok = _("Choose one of the options."), False
            continue
        if q.kind == QuestionKind.NPS:
            answers.nps = int(raw) if raw else None
        elif q.kind in (QuestionKind.DRIVER, QuestionKind.CORE_VALUE):
            if raw and raw != NOT_APPLICABLE:
                answers.scores[q.key] = int(raw)
        elif q.kind == QuestionKind.COMPETITOR:
            if raw and raw != UNKNOWN:
                answers.competitors[q.subject] = raw
        elif q.kind == QuestionKind.OPEN:
            text = raw[:MAX_TEXT]
            target = open_fields[q.key]
            if target == "attributes":
                if text:
                    answers.attributes[q.key] = text
            else:
                setattr(answers, target, text)
        elif q.kind == QuestionKind.ATTRIBUTE:
            if f.widget == "select" and raw and raw not in allowed:
                f.error, ok = _("Choose one of the options."), False
            elif raw:
                answers.attributes[q.key] = raw[:MAX_ATTRIBUTE]
        elif q.kind == QuestionKind.CONTACT_ME:
            answers.contact_me = f.checked = raw in ("1", "on", "true")
        if submit and f.required and not raw:
            f.error, ok = _("Please answer this question."), False
    return answers if ok else None


def _mark_service_errors(fields: list[SurveyField], error: ResponseInvalid) -> None:
    by_key = {f.key: f for f in fields}
    for key, message in error.errors.items():
        target = by_key.get(key) or next((f for f in fields if f.kind == QuestionKind.NPS
                                          and key == "nps"), None)
        if target is not None:
            target.error = (_("Please answer this question.") if message == "is required"
                            else _("Choose one of the options."))


def _survey_response(request, template: str, context: dict, status: int = 200):
    context.setdefault("language", translation.get_language())
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)
    patch_vary_headers(response, ["Cookie"])
    return response


# --- Personal link ------------------------------------------------------------------------


def _survey_access(request) -> dict | None:
    access = request.session.get(CUSTOMER_SESSION_KEY)
    if not access or access.get("purpose") != MagicLinkPurpose.SURVEY or not customer_link_holds(access):
        return None
    return access


def _no_access(request):
    return _survey_response(request, "accounts/magic_link_invalid.html", {}, status=403)


def _closed(request, wave, status=410):
    return _survey_response(request, "research/survey_closed.html",
                            {"wave": wave, "organisation": wave.organisation}, status=status)


class SurveyStartView(View):
    """Where a survey link's session lands: the open wave the contact was invited to."""

    def get(self, request):
        access = _survey_access(request)
        if access is None:
            return _no_access(request)
        invitation = selectors.invitation_for_contact(access["contact"], access["organisation"])
        if invitation is None:
            return _survey_response(request, "research/survey_closed.html", {}, status=410)
        return redirect("survey:form", pk=invitation.wave_id)


class InvitationMixin:
    """Resolve the session's own invitation to wave ``pk``; never anyone else's."""

    def dispatch(self, request, *args, **kwargs):
        access = _survey_access(request)
        if access is None:
            return _no_access(request)
        invitation = selectors.invitation_for_contact(access["contact"], access["organisation"],
                                                      wave_id=kwargs["pk"])
        if invitation is None:
            raise Http404
        self.invitation = invitation
        self.wave = invitation.wave
        return super().dispatch(request, *args, **kwargs)

    def questions(self):
        return selectors.survey_questions(self.wave)


class SurveyFormView(InvitationMixin, View):
    template_name = "research/survey_form.html"

    def context(self, fields, **extra):
        response = self.invitation.response
        return {"wave": self.wave, "organisation": self.wave.organisation, "fields": fields,
                "contact": self.invitation.contact, "response": response,
                "submitted": response is not None and response.status == ResponseStatus.SUBMITTED,
                "form_action": reverse("survey:form", kwargs={"pk": self.wave.pk}),
                "save_url": reverse("survey:save", kwargs={"pk": self.wave.pk}),
                "autosave": True, **extra}

    def get(self, request, pk):
        if self.wave.status != WaveStatus.OPEN:
            return _closed(request, self.wave)
        invitation_open(invitation=self.invitation)
        fields = survey_fields(self.questions(), language=translation.get_language(),
                               response=self.invitation.response)
        return _survey_response(request, self.template_name,
                                self.context(fields, saved=request.GET.get("saved") == "1"))

    @rate_limited("survey")
    def post(self, request, pk):
        if self.wave.status != WaveStatus.OPEN:
            return _closed(request, self.wave)
        submit = request.POST.get("action") == "submit"
        questions = self.questions()
        fields = survey_fields(questions, language=translation.get_language())
        answers = answers_from_post(questions, request.POST, fields=fields, submit=submit)
        if answers is not None:
            try:
                survey_answers_save(invitation=self.invitation, answers=answers, submit=submit,
                                    language=translation.get_language(),
                                    base_url=_base_url(request))
            except ResponseInvalid as error:
                if "wave" in error.errors:
                    return _closed(request, self.wave)
                _mark_service_errors(fields, error)
            else:
                if submit:
                    return redirect("survey:thanks", pk=self.wave.pk)
                return redirect(reverse("survey:form", kwargs={"pk": self.wave.pk}) + "?saved=1")
        self.invitation.refresh_from_db()
        return _survey_response(request, self.template_name,
                                self.context(fields, has_errors=True), status=400)


class SurveySaveView(InvitationMixin, View):
    """The htmx autosave: keep what was answered so far; answer with a status line."""

    @rate_limited("survey")
    def post(self, request, pk):
        context = {"wave": self.wave}
        if self.wave.status != WaveStatus.OPEN:
            context["state"] = "closed"
            return _survey_response(request, "research/survey_save_status.html", context)
        questions = self.questions()
        fields = survey_fields(questions, language=translation.get_language())
        answers = answers_from_post(questions, request.POST, fields=fields, submit=False)
        context["state"] = "invalid"
        if answers is not None:
            try:
                response = survey_answers_save(invitation=self.invitation, answers=answers,
                                               submit=False, language=translation.get_language(),
                                               base_url=_base_url(request))
            except ResponseInvalid as error:
                context["state"] = "closed" if "wave" in error.errors else "invalid"
            else:
                context.update(state="saved", response=response)
        return _survey_response(request, "research/survey_save_status.html", context)


class SurveyThanksView(InvitationMixin, View):
    def get(self, request, pk):
        if self.wave.status != WaveStatus.OPEN:
            return _closed(request, self.wave)
        return _survey_response(request, "research/survey_thanks.html", {
            "wave": self.wave, "organisation": self.wave.organisation,
            "response": self.invitation.response,
            "correct_url": reverse("survey:form", kwargs={"pk": self.wave.pk}),
        })


# --- Anonymous public link ------------------------------------------------------------------


class PublicSurveyView(View):
    """The anonymous wave's one public link. It sets no session and keeps no IP address:
    the address only feeds a keyed hash that counts submissions in the cache for an hour."""

    template_name = "research/survey_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.wave = selectors.wave_by_public_token(kwargs["token"])
        if self.wave is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def context(self, fields, **extra):
        return {"wave": self.wave, "organisation": self.wave.organisation, "fields": fields,
                "public": True, "autosave": False,
                "form_action": reverse("survey:public", kwargs={"token": self.kwargs["token"]}),
                **extra}

    def get(self, request, token):
        if self.wave.status != WaveStatus.OPEN:
            return _closed(request, self.wave)
        questions = selectors.survey_questions(self.wave)
        fields = survey_fields(questions, language=translation.get_language())
        return _survey_response(request, self.template_name, self.context(fields))

    @rate_limited("survey")
    def post(self, request, token):
        if self.wave.status != WaveStatus.OPEN:
            return _closed(request, self.wave)
        if public_rate_limit_hit(visitor=request.META.get("REMOTE_ADDR", ""), wave=self.wave):
            return _survey_response(request, "research/survey_limited.html",
                                    {"wave": self.wave, "organisation": self.wave.organisation},
                                    status=429)
        questions = selectors.survey_questions(self.wave)
        fields = survey_fields(questions, language=translation.get_language())
        answers = answers_from_post(questions, request.POST, fields=fields, submit=True)
        if answers is not None:
            try:
                survey_public_submit(wave=self.wave, answers=answers,
                                     language=translation.get_language())
            except ResponseInvalid as error:
                if "wave" in error.errors:
                    return _closed(request, self.wave)
                _mark_service_errors(fields, error)
            else:
                return _survey_response(request, "research/survey_thanks.html",
                                        {"wave": self.wave, "organisation": self.wave.organisation,
                                         "public": True})
        return _survey_response(request, self.template_name,
                                self.context(fields, has_errors=True), status=400)


# --- Staff: invitations, the public link, response rates -------------------------------------


class WaveInvitationsView(OrgRequiredMixin, View):
    capability = Capability.MANAGE_WAVES

    def get(self, request, org, pk):
        wave = selectors.access_wave_by_id(self.organisation, pk)
        return render(request, "research/survey_invitations.html", invitations_context(wave))


def invitations_context(wave, **extra) -> dict:
    return {"wave": wave, "counts": selectors.invitation_counts(wave),
            "uninvited": 0 if wave.is_anonymous else selectors.uninvited_contact_count(wave),
            "is_open": wave.status == WaveStatus.OPEN,
            "is_closed": wave.status == WaveStatus.CLOSED, **extra}


class _InvitationAction(OrgRequiredMixin, View):
    capability = Capability.MANAGE_WAVES

    def post(self, request, org, pk):
        wave = selectors.access_wave_by_id(self.organisation, pk)
        try:
            count = self.act(wave)
        except InvitationsRefused as error:
            messages.error(request, self.refused_message(error))
        else:
            messages.success(request, self.done_message(count))
        return redirect("research:wave_invitations", org=org, pk=wave.pk)

    def refused_message(self, error):
        if "anonymous" in str(error):
            return _("An anonymous wave uses its public link instead of personal invitations.")
        if "closed" in str(error):
            return _("The wave is closed.")
        return _("Open the wave before sending invitations or reminders.")


class InvitationsCreateView(_InvitationAction):
    def act(self, wave):
        return invitations_create(wave=wave)

    def done_message(self, count):
        return _("%(count)s contacts invited.") % {"count": count}


class InvitationsSendView(_InvitationAction):
    def act(self, wave):
        return invitations_send(wave=wave, base_url=_base_url(self.request))

    def done_message(self, count):
        return _("%(count)s invitations sent.") % {"count": count}


class InvitationsRemindView(_InvitationAction):
    def act(self, wave):
        return invitations_remind(wave=wave, base_url=_base_url(self.request))

    def done_message(self, count):
        return _("%(count)s reminders sent.") % {"count": count}


class WavePublicLinkView(OrgRequiredMixin, View):
    """Issue a new public link for an anonymous wave and show it once."""

    capability = Capability.MANAGE_WAVES

    def post(self, request, org, pk):
        wave = selectors.access_wave_by_id(self.organisation, pk)
        if not wave.is_anonymous:
            messages.error(request, _("Only an anonymous wave has a public link."))
            return redirect("research:wave_invitations", org=org, pk=wave.pk)
        token = wave_public_link_issue(wave=wave)
        public_url = request.build_absolute_uri(reverse("survey:public", kwargs={"token": token}))
        response = render(request, "research/survey_invitations.html",
                          invitations_context(wave, public_url=public_url))
        add_never_cache_headers(response)
        return response


class ResponseRatesView(OrgRequiredMixin, View):
    capability = Capability.VIEW_WAVES

    def get(self, request, org, pk):
        wave = selectors.access_wave_by_id(self.organisation, pk)
        units = selectors.response_rates_by_unit(wave)
        for unit in units:
            unit.indent = range(unit.depth - 1)
        return render(request, "research/survey_response_rates.html", {
            "wave": wave, "units": units, "counts": selectors.invitation_counts(wave),
        })
