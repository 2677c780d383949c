from dashboard.ui.views import about

about()
