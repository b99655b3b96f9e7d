"""What each role may do: the one place the role matrix is written down.

Views check these capabilities on the server (``OrgRequiredMixin.capability``);
templates only use them to hide what would be refused anyway. The README's role
matrix is generated from ``MATRIX`` (``outsidein manage roles_matrix``).
"""

from django.utils.translation import gettext_lazy as _

from accounts.models import Role

# One letter per role keeps the matrix below readable as a table.
A, C, B, M, E = Role.ADMIN, Role.CONSULTANT, Role.BOARD, Role.MANAGER, Role.EMPLOYEE
STAFF = {A, C, B, M, E}
EVERYONE = STAFF | {Role.MODERATOR}


class Capability:
    VIEW_STRUCTURE = "view_structure"
    MANAGE_STRUCTURE = "manage_structure"
    VIEW_PEOPLE = "view_people"
    MANAGE_PEOPLE = "manage_people"
    VIEW_CUSTOMERS = "view_customers"
    MANAGE_CUSTOMERS = "manage_customers"
    IMPORT_DATA = "import_data"
    VIEW_POINTS = "view_points"
    RAISE_POINT = "raise_point"
    MANAGE_POINTS = "manage_points"
    MANAGE_ACTIONS = "manage_actions"
    UPDATE_OWN_ACTIONS = "update_own_actions"
    VIEW_ROUTES = "view_routes"
    MANAGE_ROUTES = "manage_routes"
    SEND_MAGIC_LINKS = "send_magic_links"
    VIEW_WAVES = "view_waves"
    MANAGE_WAVES = "manage_waves"
    IMPORT_RESPONSES = "import_responses"
    VIEW_FOLLOW_UPS = "view_follow_ups"
    MANAGE_API_TOKENS = "manage_api_tokens"
    VIEW_INSIGHTS = "view_insights"
    VIEW_TEAM_INSIGHTS = "view_team_insights"
    MARK_VOICE = "mark_voice"
    EDIT_TAXONOMY = "edit_taxonomy"
    VIEW_ARENAS = "view_arenas"
    PLAN_ARENAS = "plan_arenas"
    VIEW_ARENA_REPORTS = "view_arena_reports"
    VIEW_CASCADES = "view_cascades"
    MANAGE_CASCADES = "manage_cascades"
    VIEW_SAFARIS = "view_safaris"
    PLAN_SAFARIS = "plan_safaris"
    VIEW_JOURNEYS = "view_journeys"
    EDIT_JOURNEYS = "edit_journeys"
    VIEW_COCREATION = "view_cocreation"
    MANAGE_COCREATION = "manage_cocreation"
    MANAGE_PERSONAL_DATA = "manage_personal_data"
    VIEW_AUDIT_LOG = "view_audit_log"


MATRIX: dict[str, tuple[str, set[str]]] = {
    Capability.VIEW_STRUCTURE: (_("See the unit tree"), EVERYONE),
    Capability.MANAGE_STRUCTURE: (_("Create, change and delete units"), {A, C}),
    Capability.VIEW_PEOPLE: (_("See the people list"), STAFF),
    Capability.MANAGE_PEOPLE: (_("Add, change and deactivate people; change roles"), {A, C}),
    Capability.VIEW_CUSTOMERS: (_("See customers and contacts"), STAFF),
    Capability.MANAGE_CUSTOMERS: (_("Create, change and delete customers"), {A, C, M}),
    Capability.IMPORT_DATA: (_("Import customers and people from CSV"), {A, C}),
    Capability.VIEW_POINTS: (_("See improvement points, actions and history"), EVERYONE),
    Capability.RAISE_POINT: (_("Raise a new improvement point"), EVERYONE),
    Capability.MANAGE_POINTS: (_("Change any point's details, status and evidence"), {A, C, B, M}),
    Capability.MANAGE_ACTIONS: (_("Create, assign and change any action"), {A, C, B, M}),
    Capability.UPDATE_OWN_ACTIONS: (_("Update status and notes of one's own actions"), EVERYONE),
    Capability.VIEW_ROUTES: (_("See improvement routes"), STAFF),
    Capability.MANAGE_ROUTES: (_("Create and change improvement routes"), {A, C, B}),
    Capability.SEND_MAGIC_LINKS: (_("Send customers a personal access link"), {A, C, M}),
    Capability.VIEW_WAVES: (_("See research waves, response counts and response rates"),
                            {A, C, B, M}),
    Capability.MANAGE_WAVES: (_("Create waves, edit questionnaires, invite and remind customers"),
                              {A, C}),
    Capability.IMPORT_RESPONSES: (_("Import and export survey responses"), {A, C}),
    Capability.VIEW_FOLLOW_UPS: (_("See all follow-ups of detractors and contact requests"),
                                 {A, C, B, M}),
    Capability.MANAGE_API_TOKENS: (_("Create and revoke API tokens"), {A, C}),
    Capability.VIEW_INSIGHTS: (_("See insights of every unit"), {A, C, B, M}),
    # Own team only: the team page of the member's unit, and their own customers.
    Capability.VIEW_TEAM_INSIGHTS: (_("See the insights and customers of one's own team"),
                                    STAFF),
    Capability.MARK_VOICE: (_("Mark quotes as voice of the customer"), {A, C, B, M}),
    Capability.EDIT_TAXONOMY: (_("Edit the theme taxonomy"), {A, C}),
    # Taking part in an arena depends on being listed in it, not on the role.
    Capability.VIEW_ARENAS: (_("See customer arenas"), EVERYONE),
    Capability.PLAN_ARENAS: (_("Plan customer arenas, invite customers and employees, finish "
                               "and thank (an arena's own moderator too)"), {A, C, M}),
    Capability.VIEW_ARENA_REPORTS: (_("Read arena reports (an arena's own moderator too)"),
                                    {A, C, B, M}),
    Capability.VIEW_CASCADES: (_("See the 1-2-3 sessions of a wave"), STAFF),
    # Starting out of order needs an administrator with a reason (cascade.services).
    Capability.MANAGE_CASCADES: (_("Create the 1-2-3 sessions, plan and run them"), {A, C}),
    # Filing a visit report depends on being the visit's visitor, not on the role.
    Capability.VIEW_SAFARIS: (_("See safari rounds and what the visits taught"), {A, C, B, M}),
    Capability.PLAN_SAFARIS: (_("Plan safari rounds and assign visits"), {A, C, B}),
    Capability.VIEW_JOURNEYS: (_("See customer journeys and their evidence"), STAFF),
    Capability.EDIT_JOURNEYS: (_("Create and edit customer journeys"), {A, C, M}),
    # Taking part in a group depends on being its member, not on the role.
    Capability.VIEW_COCREATION: (_("See improvement groups and the steering group"), STAFF),
    Capability.MANAGE_COCREATION: (_("Form improvement groups, invite customer delegates"), {A, C, M}),
    # AVG/GDPR: the right of access, portability and erasure (privacy).
    Capability.MANAGE_PERSONAL_DATA: (_("Export or erase everything held about a person"), {A}),
    # Logins, imports, exports, erasures, role changes and API tokens (audit).
    Capability.VIEW_AUDIT_LOG: (_("Read the audit log"), {A}),
}


def role_can(role: str, capability: str) -> bool:
    """Return whether ``role`` holds ``capability``; unknown capabilities are refused."""
    entry = MATRIX.get(capability)
    return entry is not None and role in entry[1]


def capabilities_of(role: str) -> frozenset[str]:
    return frozenset(cap for cap, (_label, roles) in MATRIX.items() if role in roles)
