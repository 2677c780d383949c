"""Production mode, the first look: a viewer signs in and reads the overview with the warm-up and workers on."""

import pytest
from prod import look, sign_in

pytestmark = pytest.mark.browser
PROD_SHARED = True  # reads only: the session's shared app (prod.prod_app checks nothing was written)


def test_a_viewer_signs_in_and_reads_the_overview(prod_app, browser):
    page = sign_in(browser, prod_app, "viewer@example.test", fresh=True)  # through the provider's pages
    page.get_by_text("Exceptions to discuss").wait_for()
    page.get_by_role("link", name="Cared For").click()
    look(page)
    page.get_by_role("heading", name="Cared For Children and Care Leavers").wait_for()
