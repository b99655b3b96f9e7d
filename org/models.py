from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from accounts.models import Organisation


class Level(models.TextChoices):
    STRATEGIC = "strategic", _("Strategic")
    TACTICAL = "tactical", _("Tactical")
    OPERATIONAL = "operational", _("Operational")


class UnitKind(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation")
    BUSINESS_UNIT = "business_unit", _("Business unit")
    REGION = "region", _("Region")
    DEPARTMENT = "department", _("Department")
    TEAM = "team", _("Team")


class UnitQuerySet(MP_NodeQuerySet):
    def for_organisation(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class UnitManager(MP_NodeManager.from_queryset(UnitQuerySet)):
    def get_queryset(self):
        # treebeard's manager builds a plain MP_NodeQuerySet; keep ours (for_organisation).
        return UnitQuerySet(self.model, using=self._db).order_by("path")


class Unit(MP_Node):
    """A node of an organisation's unit tree, stored as a materialised path.

    The path makes "this unit and everything below it" a prefix match, so a
    roll-up over any subtree is one SQL query. The level is stored rather than
    derived from depth, because trees are not all three levels deep.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="units")
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices,
                            default=UnitKind.TEAM)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices,
                             default=Level.OPERATIONAL)
    code = models.CharField(_("code"), max_length=40, blank=True)

    node_order_by = ["name"]
    objects = UnitManager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], condition=~Q(code=""),
                                    name="unit_code_unique_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class CustomerKind(models.TextChoices):
    COMPANY = "company", _("Company")
    PERSON = "person", _("Person")


class CustomerQuerySet(models.QuerySet):
    def for_organisation(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class Customer(models.Model):
    """A customer of the organisation: a company or a private person."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="customers")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=CustomerKind.choices,
                            default=CustomerKind.COMPANY)
    customer_number = models.CharField(_("customer number"), max_length=60, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    segment = models.CharField(_("segment"), max_length=80, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="customers", verbose_name=_("unit"))
    account_owner = models.ForeignKey("accounts.Membership", on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="owned_customers",
                                      verbose_name=_("account owner"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "customer_number"],
                                    condition=~Q(customer_number=""),
                                    name="customer_number_unique_per_org"),
            models.CheckConstraint(condition=~Q(customer_number="") | ~Q(email=""),
                                   name="customer_has_number_or_email"),
        ]
        indexes = [models.Index(fields=["organisation", "email"])]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person at a customer: who is surveyed, invited and sent magic links."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        ordering = ["-is_primary", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name

    @property
    def organisation(self) -> Organisation:
        return self.customer.organisation
