from dashboard.ui import computed

computed.computed_vs_loaded()
