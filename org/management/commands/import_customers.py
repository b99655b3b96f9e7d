from org.importers import import_customers
from org.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = ("Import customers from a CSV file (columns: name, email, customer_number, segment, "
            "unit, account_owner, kind). All or nothing.")
    what = "customers"

    def run_import(self, **kwargs):
        return import_customers(**kwargs)
