from dashboard.ui.area import area

area("cin_cp")
