# hub-convert GitHub Action image: CPU-only TensorFlow and the converters, pinned in
# requirements.txt — the same file the Makefile and CI install from.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2

WORKDIR /opt/hub-convert

COPY requirements.txt .
RUN pip install --no-deps -r requirements.txt

COPY pyproject.toml README.md entrypoint.py ./
COPY src ./src
RUN pip install --no-deps --no-build-isolation . \
    && python -c "import hub_convert.action"

ENTRYPOINT ["python", "/opt/hub-convert/entrypoint.py"]
