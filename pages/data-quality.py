from dashboard.ui import trust

trust.data_quality()
