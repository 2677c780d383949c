from dashboard.ui.area import area

area("early_help")
