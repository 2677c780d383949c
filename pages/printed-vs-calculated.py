from dashboard.ui import printed_ratings

printed_ratings.printed_vs_calculated()
