from dashboard.ui import trust

trust.admin()
