from org.importers import import_people
from org.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = "Import people from a CSV file (columns: name, email, role, unit). All or nothing."
    what = "people"

    def run_import(self, **kwargs):
        return import_people(**kwargs)
