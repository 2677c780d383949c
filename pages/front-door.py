from dashboard.ui.views import area

area("front_door")
