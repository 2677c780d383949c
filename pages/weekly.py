from dashboard.ui.routing import serve

serve(__file__)
