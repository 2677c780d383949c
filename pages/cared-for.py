from dashboard.ui.views import area

area("cared_for")
