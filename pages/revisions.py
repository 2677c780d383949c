from dashboard.ui import trust

trust.revisions()
