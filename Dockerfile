# The dashboard as a council's IT builds it: `make image` (docker build -t childrens-dashboard .).
# Data lives on a volume at /data (the database and, above all, the write journal: back it up);
# sign-in settings and the roles file are mounted read-only at /config (README, Deploying for a council).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DASHBOARD_DB=/data/dashboard.duckdb DASHBOARD_ROLES=/config/roles.toml
WORKDIR /app

# Dependencies first, pinned by the same constraints file as development, so a code change reuses this layer.
COPY pyproject.toml constraints.txt ./
COPY src ./src
RUN pip install --no-cache-dir -c constraints.txt setuptools \
 && pip install --no-cache-dir -c constraints.txt -e .

COPY app.py ./
COPY pages ./pages
COPY sample_data ./sample_data
COPY .streamlit/config.toml ./.streamlit/config.toml

RUN useradd --uid 10001 --no-create-home dashboard && mkdir -p /data /config && chown dashboard /data
USER dashboard
VOLUME ["/data"]
EXPOSE 8501

# Build (sample_data/ + the journal on the volume), then serve. With replicas, run the build once first
# (compose's `build` service) and start the servers with `serve`.
COPY --chmod=755 deploy/entrypoint.sh /usr/local/bin/entrypoint
ENTRYPOINT ["entrypoint"]
CMD ["build-and-serve"]
