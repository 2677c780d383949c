from dashboard.ui import admin

admin.load_page()
