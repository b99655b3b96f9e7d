"""A customer delegate on a phone: open the e-mailed link, comment in the group, and nothing else."""

import re

import pytest
from django.conf import settings
from django.core import mail

from cocreation import services
from cocreation.models import Comment, CommentKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_delegate_opens_the_link_on_a_phone_comments_and_cannot_open_another_group(
        browser, live_server, setup):
    from playwright.sync_api import expect

    services.comment_add(group=setup.other_group, contact=setup.other_contact,
                         text="Alleen voor de stuurgroep")
    services.delegate_invite(delegate=setup.delegate, actor=setup.admin, base_url=live_server.url)
    link = re.search(r"https?://\S+/m/\S+/", mail.outbox[-1].body).group(0)

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en",
                                  is_mobile=True, has_touch=True)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: msg.type == "error" and "favicon" not in msg.location.get(
        "url", "") and errors.append(msg.text))
    page.goto(link)

    # The link lands on the delegate's own group, and the token is gone from the address bar.
    expect(page.get_by_test_id("group-name")).to_have_text("Schadeafhandeling")
    assert "/m/" not in page.url
    expect(page.get_by_test_id("delegate-point")).to_contain_text("Schade duurt te lang")
    expect(page.locator("body")).not_to_contain_text("Interne analyse")
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_label("Your message").fill("Bel me terug als de expert niet kan komen")
    page.get_by_role("radio", name="Proposal").check()
    page.get_by_test_id("comment-post").click()
    expect(page.get_by_test_id("comment").first).to_contain_text("Bel me terug als de expert niet kan komen")
    expect(page.get_by_test_id("comment").first).to_contain_text("Proposal")
    comment = Comment.objects.get(group=setup.group)
    assert (comment.author_contact, comment.kind) == (setup.delegate_contact, CommentKind.PROPOSAL)

    assert errors == []

    # Another group of the same organisation does not exist for this delegate.
    response = page.goto(f"{live_server.url}/groups/{setup.other_group.pk}/")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("Alleen voor de stuurgroep")
    context.close()
