from dashboard.ui.views import overview

overview()
