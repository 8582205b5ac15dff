import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hakusan.settings.embedded")
application = get_wsgi_application()
