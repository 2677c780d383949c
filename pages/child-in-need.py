from dashboard.ui.views import area

area("cin_cp")
