from dashboard.ui.about import about

about()
