from dashboard.ui import revisions

revisions.revisions()
