from dashboard.ui.indicator import indicator

indicator()
