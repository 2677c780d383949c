from dashboard.ui.plan_view import improvement_plan

improvement_plan()
