"""Pictures and papers: chart descriptions, Altair charts, and the month's papers in each format."""
