from dashboard.ui import data_quality

data_quality.data_quality()
