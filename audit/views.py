"""The audit log page: the organisation's entries, newest first, filtered and paginated."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views import View

from accounts.permissions import Capability
from accounts.tenancy import OrgRequiredMixin
from audit import selectors
from audit.forms import AuditFilterForm

PAGE_SIZE = 50


class AuditLogView(OrgRequiredMixin, View):
    capability = Capability.VIEW_AUDIT_LOG

    def get(self, request, org):
        form = AuditFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        entries = selectors.entries_for(
            self.organisation, action=filters.get("action") or "", since=filters.get("since"),
            until=filters.get("until"), email=filters.get("email") or "")
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return render(request, "audit/log.html", {
            "filter_form": form, "page": page, "query": query.urlencode(),
            "rows": selectors.entries_view(self.organisation, page.object_list),
        })
