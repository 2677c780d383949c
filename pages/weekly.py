from dashboard.ui.weekly import weekly

weekly()
