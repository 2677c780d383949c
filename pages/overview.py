from dashboard.ui.overview import overview

overview()
