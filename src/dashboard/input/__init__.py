"""The input layer: sample data and uploaded files read through pydantic models."""
