from dashboard.ui.area import area

area("cared_for")
