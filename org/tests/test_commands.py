import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Membership
from org.models import Customer


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def customers_csv(tmp_path):
    path = tmp_path / "klanten.csv"
    path.write_bytes("name;email;customer_number;unit\r\n"
                     "Café De Zwaan;info@dezwaan.example;K-1;SAL-N\r\n"
                     "Bakkerij Jansen;jansen@example.nl;K-2;\r\n".encode("cp1252"))
    return path


def test_import_customers_command_imports_and_prints_counts(org, tree, customers_csv):
    out, _err = run("import_customers", "acme", str(customers_csv))
    assert "Created 2 and updated 0 customers in Acme Verzekeringen." in out
    assert Customer.objects.get(customer_number="K-1").unit == tree.sales_north

    out, _err = run("import_customers", "acme", str(customers_csv))
    assert "Created 0 and updated 2 customers" in out


def test_import_customers_command_dry_run_writes_nothing(org, tree, customers_csv):
    out, _err = run("import_customers", "acme", str(customers_csv), "--dry-run")
    assert "Would create 2 and would update 0 customers" in out
    assert "Dry run: nothing was written." in out
    assert not Customer.objects.exists()


def test_import_customers_command_prints_row_errors_and_fails(org, tmp_path):
    path = tmp_path / "kapot.csv"
    path.write_text("name,email,unit\nA,a@example.nl,Atlantis\nB,b@example.nl,\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"1 error\(s\) in .*kapot.csv; no customers"):
        call_command("import_customers", "acme", str(path), stderr=err)
    assert "line 2, unit: Unknown unit 'Atlantis'" in err.getvalue()
    assert not Customer.objects.exists()


def test_import_commands_refuse_unknown_organisations_and_files(org, customers_csv):
    with pytest.raises(CommandError, match="No organisation with short name 'nope'"):
        run("import_customers", "nope", str(customers_csv))
    with pytest.raises(CommandError, match="No such file"):
        run("import_people", "acme", "/nonexistent/people.csv")


def test_import_people_command(org, tree, tmp_path):
    path = tmp_path / "mensen.csv"
    path.write_text("Name,E-mail,Role,Unit\nEva,eva@acme.example,manager,Sales\n",
                    encoding="utf-8-sig")
    out, _err = run("import_people", "acme", str(path))
    assert "Created 1 and updated 0 people" in out
    eva = Membership.objects.get(organisation=org, user__email="eva@acme.example")
    assert (eva.role, eva.unit) == ("manager", tree.sales)


def test_outsidein_cli_runs_the_import_command(org, tree, customers_csv, capsys):
    from outsidein.cli import main

    assert main(["import-customers", "acme", str(customers_csv)]) == 0
    assert Customer.objects.count() == 2
    assert main(["import-customers", "nope", str(customers_csv)]) == 1
    assert "No organisation" in capsys.readouterr().err
