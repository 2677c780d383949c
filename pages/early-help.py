from dashboard.ui.views import area

area("early_help")
