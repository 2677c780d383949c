"""The words layer: how ratings, comparators, numbers and months are written."""
