"""coachlens dashboard: query layer (anonymity + statistics), charts, and Streamlit pages."""
