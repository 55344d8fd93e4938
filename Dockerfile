FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN pip install --no-cache-dir --no-deps -e . \
    && DEBUG=0 ALLOWED_HOSTS=build SECRET_KEY=build-only-not-a-secret-0123456789abcdef \
       python manage.py collectstatic --no-input
RUN useradd --create-home tracker
USER tracker
EXPOSE 8000
