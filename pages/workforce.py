from dashboard.ui.views import area

area("workforce")
