from dashboard.ui.area import area

area("workforce")
