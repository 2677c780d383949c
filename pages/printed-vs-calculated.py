from dashboard.ui import trust

trust.printed_vs_calculated()
