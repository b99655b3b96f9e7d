from django.urls import path

from org import views

app_name = "org"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("units/", views.UnitListView.as_view(), name="unit_list"),
    path("units/new/", views.UnitCreateView.as_view(), name="unit_create"),
    path("units/<int:pk>/", views.UnitDetailView.as_view(), name="unit_detail"),
    path("units/<int:pk>/edit/", views.UnitUpdateView.as_view(), name="unit_update"),
    path("units/<int:pk>/delete/", views.UnitDeleteView.as_view(), name="unit_delete"),
    path("people/", views.PersonListView.as_view(), name="person_list"),
    path("people/new/", views.PersonCreateView.as_view(), name="person_create"),
    path("people/<int:pk>/edit/", views.PersonUpdateView.as_view(), name="person_update"),
    path("customers/", views.CustomerListView.as_view(), name="customer_list"),
    path("customers/new/", views.CustomerCreateView.as_view(), name="customer_create"),
    path("customers/<int:pk>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("customers/<int:pk>/edit/", views.CustomerUpdateView.as_view(),
         name="customer_update"),
    path("customers/<int:pk>/delete/", views.CustomerDeleteView.as_view(),
         name="customer_delete"),
    path("customers/<int:pk>/contacts/new/", views.ContactCreateView.as_view(),
         name="contact_create"),
    path("contacts/<int:pk>/edit/", views.ContactUpdateView.as_view(), name="contact_update"),
    path("contacts/<int:pk>/delete/", views.ContactDeleteView.as_view(), name="contact_delete"),
    path("contacts/<int:pk>/magic-link/", views.ContactMagicLinkView.as_view(),
         name="contact_magic_link"),
    path("contacts/<int:pk>/magic-links/revoke/", views.ContactMagicLinksRevokeView.as_view(),
         name="contact_magic_links_revoke"),
    path("import/customers/", views.ImportCustomersView.as_view(), name="import_customers"),
    path("import/people/", views.ImportPeopleView.as_view(), name="import_people"),
]
