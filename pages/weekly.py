from dashboard.ui.views import weekly

weekly()
