"""Who may do what: the roles file, its one permits rule, and the demo secret's back-off."""
