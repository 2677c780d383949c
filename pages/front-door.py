from dashboard.ui.area import area

area("front_door")
