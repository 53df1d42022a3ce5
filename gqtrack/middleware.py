from django.conf import settings
from django.utils import translation


class LanguageMiddleware:
    """Activate Chinese unless the user picked another language.

    Browsers' Accept-Language is ignored on purpose: union offices share machines set
    up in English as often as in Chinese, and the product speaks Chinese first. The
    language switch in the header stores the choice in Django's language cookie.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
