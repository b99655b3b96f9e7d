"""Pages of the closed loop: follow-ups of detractors and contact requests.

Everyone with ``view_follow_ups`` sees and updates all of them; an owner sees and
updates their own (also from "My actions"). The update endpoint answers htmx with the
piece of page it came from and plain posts with a redirect back.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.models import Membership
from accounts.permissions import Capability
from accounts.tenancy import OrgRequiredMixin
from org.models import Unit
from research import selectors
from research.models import FollowUpReason, FollowUpStatus
from research.services import follow_up_update

PAGE_SIZE = 50


class _MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.user.name or obj.user.email


class _UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "\u2002" * 2 * (obj.depth - 1) + obj.name


class FollowUpFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status"))] + FollowUpStatus.choices)
    reason = forms.ChoiceField(label=_("Reason"), required=False,
                               choices=[("", _("Any reason"))] + FollowUpReason.choices)
    owner = _MemberChoiceField(label=_("Owner"), queryset=None, required=False,
                               empty_label=_("Anyone"))
    unit = _UnitChoiceField(label=_("Unit"), queryset=None, required=False,
                            empty_label=_("All units"))

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (Membership.objects.for_organisation(organisation)
                                         .select_related("user").order_by("user__name"))
        self.fields["unit"].queryset = Unit.objects.for_organisation(organisation).order_by("path")


class FollowUpUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=FollowUpStatus.choices)
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3}))


def _is_partial(request) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


class FollowUpView(OrgRequiredMixin, View):
    def can_handle(self, follow_up) -> bool:
        """Those who see all follow-ups, and the owner, may read and update one."""
        return (self.can(Capability.VIEW_FOLLOW_UPS)
                or (follow_up.owner_id is not None and follow_up.owner_id == self.membership.pk))

    def get_follow_up(self, pk):
        follow_up = selectors.access_follow_up_by_id(self.organisation, pk)
        if not self.can_handle(follow_up):
            raise PermissionDenied
        return follow_up


class FollowUpListView(FollowUpView):
    capability = Capability.VIEW_FOLLOW_UPS

    def get(self, request, org):
        form = FollowUpFilterForm(request.GET or None, organisation=self.organisation)
        filters = form.cleaned_data if form.is_valid() else {}
        follow_ups = selectors.follow_up_list(
            self.organisation, owner=filters.get("owner"), status=filters.get("status") or None,
            reason=filters.get("reason") or None, unit=filters.get("unit"))
        page = Paginator(follow_ups, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {"filter_form": form, "page": page, "query": query.urlencode()}
        template = ("research/followup_results.html" if _is_partial(request)
                    else "research/followup_list.html")
        response = render(request, template, context)
        patch_vary_headers(response, ["HX-Request"])
        return response


class FollowUpDetailView(FollowUpView):
    def get(self, request, org, pk):
        follow_up = self.get_follow_up(pk)
        return render(request, "research/followup_detail.html", detail_context(follow_up))


def detail_context(follow_up, form=None) -> dict:
    response = follow_up.response
    return {
        "follow_up": follow_up, "response": response, "customer": response.customer,
        "contact": response.contact,
        "answers": selectors.response_answer_rows(response, language=translation.get_language()),
        "form": form or FollowUpUpdateForm(initial={"status": follow_up.status,
                                                    "outcome": follow_up.outcome}),
    }


class FollowUpUpdateView(FollowUpView):
    """Change a follow-up's status and outcome (POST; htmx gets the updated fragment)."""

    def post(self, request, org, pk):
        follow_up = self.get_follow_up(pk)
        layout = request.POST.get("layout", "detail")
        data = request.POST.copy()
        if "outcome" not in data:
            data["outcome"] = follow_up.outcome
        form = FollowUpUpdateForm(data)
        if form.is_valid():
            follow_up = follow_up_update(follow_up=follow_up, status=form.cleaned_data["status"],
                                         outcome=form.cleaned_data["outcome"])
        if _is_partial(request):
            template = ("research/followup_my_row.html" if layout == "mine"
                        else "research/followup_form.html")
            context = {"follow_up": follow_up, "saved": form.is_valid(),
                       "follow_up_statuses": FollowUpStatus.choices,
                       "form": form if not form.is_valid() else FollowUpUpdateForm(
                           initial={"status": follow_up.status, "outcome": follow_up.outcome})}
            # htmx swaps only 2xx answers; the fragment itself shows the error.
            response = render(request, template, context)
            patch_vary_headers(response, ["HX-Request"])
            return response
        if not form.is_valid():
            return render(request, "research/followup_detail.html",
                          detail_context(follow_up, form), status=400)
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                      require_https=request.is_secure()):
            return redirect(target)
        return redirect("research:followup_detail", org=org, pk=follow_up.pk)
