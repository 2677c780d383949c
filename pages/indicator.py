from dashboard.ui.views import indicator

indicator()
