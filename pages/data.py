from dashboard.ui import admin

admin.admin()
