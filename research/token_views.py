"""Pages to create and revoke REST API tokens.

A new token is shown once, on the page that answers the form post, and never again:
only its hash is stored, and it is not put in the session or a redirect.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.api_tokens import (
    ApiTokenInvalid,
    access_api_token_by_id,
    api_token_create,
    api_token_list,
    api_token_revoke,
)
from accounts.models import ApiToken
from accounts.permissions import Capability
from accounts.tenancy import OrgRequiredMixin


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=ApiToken._meta.get_field("name").max_length,
        help_text=gettext_lazy("What the token is for, e.g. \"Survey tool link\"."),
    )


class ApiTokensView(OrgRequiredMixin, View):
    """List the organisation's tokens and create one for oneself."""

    capability = Capability.MANAGE_API_TOKENS

    def render_page(self, form, new_token: str = "", status: int = 200):
        return render(self.request, "research/api_tokens.html", {
            "form": form, "tokens": api_token_list(self.organisation), "new_token": new_token,
            "api_base": self.request.build_absolute_uri("/api/v1/"),
            "schema_url": self.request.build_absolute_uri(reverse("api:openapi-json")),
        }, status=status)

    def get(self, request, org):
        return self.render_page(ApiTokenForm())

    def post(self, request, org):
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                _api_token, token = api_token_create(organisation=self.organisation,
                                                     user=request.user,
                                                     name=form.cleaned_data["name"])
            except ApiTokenInvalid as exc:
                form.add_error("name", str(exc))
            else:
                response = self.render_page(ApiTokenForm(), new_token=token)
                response["Cache-Control"] = "no-store"
                return response
        return self.render_page(form, status=400)


class ApiTokenRevokeView(OrgRequiredMixin, View):
    capability = Capability.MANAGE_API_TOKENS

    def post(self, request, org, pk):
        api_token = access_api_token_by_id(self.organisation, pk)
        api_token_revoke(api_token=api_token, actor=self.membership)
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": api_token.name})
        return redirect("research:api_tokens", org=self.organisation.slug)
