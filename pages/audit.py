from dashboard.ui import admin

admin.audit_trail()
