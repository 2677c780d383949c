"""The browser benchmark's reference: the least a Streamlit page can be."""
import streamlit as st

st.title("Hello")
